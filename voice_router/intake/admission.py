"""What a helpdesk delivery must be to enter the inbox, and the bounds its values are held to.

Every event an adapter reads goes through `admit` when it is processed, and through its
refusing checks already at intake (`check_events`: a refusal there is a 400 naming the
field, and the delivery is kept as invalid). So nothing reaches the database that it cannot
hold, whatever a sender puts in a payload:

| value | limit | beyond it |
|---|---|---|
| ticket id | 255 characters | refused |
| customer e-mail | a valid address (email-validator) | dropped; refused without a customer id |
| helpdesk customer id | 255 characters | dropped; refused without an e-mail |
| agent e-mail | a valid address | dropped |
| names, company name and domain | 255 characters | trimmed |
| plan | 100 characters | trimmed |
| subject | 1,000 characters | trimmed |
| first customer message | 1,000 characters, e-mail addresses and phone numbers masked | trimmed |
| ticket URL | 2,000 characters | dropped (a cut URL leads nowhere) |
| tag | 255 characters | trimmed (a problem key keeps its first 200) |
| company MRR | 0 to 10,000,000,000, rounded to the cent | refused |
| pain tags in one delivery | `max_pain_tags` (20) | refused |
| when it happened | 2000-01-01 to a day after processing | taken as processed now |

Text has already been cleaned by integrations.payload; it is cleaned once more here so an
adapter that forgets cannot let a NUL through.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import datetime
from functools import lru_cache
from operator import attrgetter

from integrations import registry
from integrations.events import Company, PainPointEvent, PayloadError, Person
from integrations.payload import clean
from voice_router.models import MAX_MRR, to_cents
from voice_router.platform.clock import plausible, utcnow
from voice_router.platform.settings import Settings
from voice_router.problems.quotes import mask_contacts
from voice_router.problems.tags import TagMatcher

ID_CHARS = 255
NAME_CHARS = 255
PLAN_CHARS = 100
SUBJECT_CHARS = 1000
MESSAGE_CHARS = 1000
URL_CHARS = 2000
TAG_CHARS = 255
# What `plain_email` needs of email-validator, as email-validator says it (the test that holds
# plain_email to its answers reads these from it). Importing it compiles the regular
# expressions of its grammar, some 20 ms of every process's start (web and job processes
# alike), and a plain address never asks it: it is imported for the first address that is
# not plain.
EMAIL_MAX_LENGTH = 254
LOCAL_PART_MAX_LENGTH = 64
DOMAIN_MAX_LENGTH = 253
SPECIAL_USE_DOMAIN_NAMES = ("arpa", "invalid", "local", "localhost", "onion", "test")


class Refused(PayloadError):
    """A signed delivery whose values cannot be taken in (-> 400, kept as invalid)."""

    reason = "refused"


def read_events(
    settings: Settings, source: str, kind: str, headers: Mapping[str, str], body: bytes
) -> list[PainPointEvent]:
    """The delivery's events, admitted; PayloadError (Refused included) when it has none
    that can be."""
    events = registry.adapter(kind).parse(headers, body)
    tag_patterns = settings.sources[source].tag_patterns
    return admit(events, matcher_for(tag_patterns), settings.max_pain_tags)


def check_events(
    settings: Settings, source: str, kind: str, headers: Mapping[str, str], body: bytes
) -> None:
    """What intake needs of `read_events`: PayloadError (Refused included) exactly when it
    would raise one, without building the admitted events (trimmed names, masked message,
    the agent's address checked), which processing builds from the stored body anyway."""
    events = registry.adapter(kind).parse(headers, body)
    matcher = matcher_for(settings.sources[source].tag_patterns)
    for event in events:
        _refusal_checked(event, matcher, settings.max_pain_tags)


@lru_cache(maxsize=64)
def matcher_for(tag_patterns: tuple[str, ...]) -> TagMatcher:
    return TagMatcher(tag_patterns)


def admit(
    events: Iterable[PainPointEvent], matcher: TagMatcher, max_pain_tags: int
) -> list[PainPointEvent]:
    now = utcnow()
    return [_admit(event, matcher, max_pain_tags, now) for event in events]


def _refusal_checked(
    event: PainPointEvent, matcher: TagMatcher, max_pain_tags: int
) -> tuple[str, tuple[str, ...], tuple[str, ...], Person]:
    """Every check that refuses a delivery; the values they were made on (ticket id, tags,
    removed tags, customer), as admitted."""
    ticket_id = clean(event.ticket_id)
    if not ticket_id:
        raise Refused("the ticket id is missing")
    if len(ticket_id) > ID_CHARS:
        raise Refused(f"the ticket id is longer than {ID_CHARS} characters")
    tags, removed = _tags(event.tags), _tags(event.removed_tags)
    pain = len(matcher.keys((*tags, *removed)))
    if pain > max_pain_tags:
        raise Refused(
            f"the ticket carries {pain} pain tags; at most {max_pain_tags} are taken "
            "from one delivery (max_pain_tags)"
        )
    # An event that only says the ticket has no tags any more (a deleted conversation) needs
    # no customer: it takes pain points away, and names nobody.
    clearing = event.tags_complete and not tags and not removed and event.customer == Person()
    customer = Person() if clearing else _customer(event.customer)
    _check_mrr(event.company)
    return ticket_id, tags, removed, customer


def _admit(
    event: PainPointEvent, matcher: TagMatcher, max_pain_tags: int, now: datetime
) -> PainPointEvent:
    ticket_id, tags, removed, customer = _refusal_checked(event, matcher, max_pain_tags)
    occurred_at = plausible(event.occurred_at, now)
    ticket_url = _url(event.ticket_url)
    subject = _trimmed(event.subject, SUBJECT_CHARS)
    company = _company(event.company)
    agent = _agent(event.agent)
    first_message = _message(event.first_message)
    admitted = (ticket_id, occurred_at, tags, removed, ticket_url, subject, first_message)
    kept = customer is event.customer and company is event.company and agent is event.agent
    if kept and admitted == _AS_GIVEN(event):
        return event  # the usual one: within every bound already (it is frozen: shared)
    return PainPointEvent(  # every field named: dataclasses.replace cost more than the rest
        ticket_id=ticket_id,
        customer=customer,
        occurred_at=occurred_at,
        tags=tags,
        removed_tags=removed,
        tags_complete=event.tags_complete,
        ticket_url=ticket_url,
        subject=subject,
        company=company,
        agent=agent,
        first_message=first_message,
    )


_AS_GIVEN = attrgetter(
    "ticket_id", "occurred_at", "tags", "removed_tags", "ticket_url", "subject", "first_message"
)


def _message(text: str | None) -> str | None:
    """Only what a quote needs: the start of the message, with contact details masked."""
    trimmed = _trimmed(text, MESSAGE_CHARS)
    return mask_contacts(trimmed) if trimmed else None


def _customer(person: Person) -> Person:
    given = _trimmed(person.email, 1000)
    email = valid_email(given)
    external_id = _trimmed(person.external_id, 10 * ID_CHARS)
    if external_id is not None and len(external_id) > ID_CHARS:
        external_id = None
    if email is None and external_id is None:
        if given is not None:
            raise Refused("the customer's e-mail is not a valid address (and no customer id)")
        raise Refused("the customer has neither an e-mail address nor a customer id")
    return _bounded_person(person, email, _trimmed(person.name, NAME_CHARS), external_id)


def _agent(person: Person | None) -> Person | None:
    if person is None:
        return None
    email = valid_email(_trimmed(person.email, 1000))
    name = _trimmed(person.name, NAME_CHARS)
    external_id = _trimmed(person.external_id, ID_CHARS)
    if email is None and name is None and external_id is None:
        return None
    return _bounded_person(person, email, name, external_id)


def _bounded_person(
    person: Person, email: str | None, name: str | None, external_id: str | None
) -> Person:
    """`person` itself when its values were within bounds already (it is frozen: shared),
    else a person of the bounded ones."""
    if (email, name, external_id) == (person.email, person.name, person.external_id):
        return person
    return Person(email=email, name=name, external_id=external_id)


def _check_mrr(company: Company | None) -> None:
    if company is None or company.mrr is None:
        return
    if company.mrr < 0:
        raise Refused("the company's MRR is negative")
    if company.mrr > MAX_MRR:
        raise Refused(f"the company's MRR is over {MAX_MRR:,.0f}")


def _company(company: Company | None) -> Company | None:
    """The company's values bounded; its MRR was checked with the rest (_refusal_checked)."""
    if company is None:
        return None
    bounded = (
        _trimmed(company.name, NAME_CHARS),
        _trimmed(company.domain, NAME_CHARS),
        None if company.mrr is None else to_cents(company.mrr),
        _trimmed(company.plan, PLAN_CHARS),
        _trimmed(company.external_id, ID_CHARS),
    )
    given = (company.name, company.domain, company.mrr, company.plan, company.external_id)
    if bounded == given:  # an amount equal to itself in cents is one (100 as 100.00)
        return company
    name, domain, mrr, plan, external_id = bounded
    return Company(name=name, domain=domain, mrr=mrr, plan=plan, external_id=external_id)


def _tags(tags: Iterable[str]) -> tuple[str, ...]:
    return tuple([trimmed for tag in tags if (trimmed := _trimmed(tag, TAG_CHARS))])


def _url(url: str | None) -> str | None:
    url = _trimmed(url, URL_CHARS + 1)
    return None if url is None or len(url) > URL_CHARS else url


def _trimmed(value: str | None, limit: int) -> str | None:
    if value is None:
        return None
    if len(value) <= limit and value.isprintable():  # the usual value: clean() only strips
        return value.strip() or None
    return clean(value[: limit * 2])[:limit].strip() or None


@lru_cache(maxsize=4096)
def valid_email(value: str | None) -> str | None:
    """The address in lower case, or None when email-validator does not take it."""
    if value is None:
        return None
    return _checked_email(value)


@lru_cache(maxsize=2048)
def _checked_email(value: str) -> str | None:
    """Checking an address costs ~100 µs, a third of storing a delivery, and the same
    customers and agents write again and again; the answer never changes. Kept in memory
    only, never stored. An address of the plainest shape is taken without asking
    email-validator (`plain_email`), which matters while a new process's cache is cold."""
    if plain_email(value):
        return value.lower()
    from email_validator import EmailNotValidError, validate_email

    try:
        validate_email(value, check_deliverability=False)
    except EmailNotValidError:
        return None
    return value.lower()


# ASCII letters, digits, `_`, `+` and `-` in dot-separated runs, @, host name labels of
# letters, digits and inner hyphens, a top-level domain of letters: a subset of what
# email-validator takes (tests/test_intake_admission.py holds the two to the same answers).
_PLAIN_EMAIL = re.compile(
    r"[A-Za-z0-9_+-]+(?:\.[A-Za-z0-9_+-]+)*"
    r"@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}"
)


def plain_email(value: str) -> bool:
    """True for an address email-validator surely takes (False: ask it): the plain shape,
    within its lengths, no `--` in the host name (punycode and reserved label forms), and
    not under a special-use name such as `.test` or `.local`."""
    if len(value) > EMAIL_MAX_LENGTH or not _PLAIN_EMAIL.fullmatch(value):
        return False
    local, domain = value.split("@")
    domain = domain.lower()
    return (
        len(local) <= LOCAL_PART_MAX_LENGTH
        and len(domain) <= DOMAIN_MAX_LENGTH
        and "--" not in domain
        and not any(domain == d or domain.endswith("." + d) for d in SPECIAL_USE_DOMAIN_NAMES)
    )
