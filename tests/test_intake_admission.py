"""Intake runs only admission's refusing checks (`check_events`); processing admits the
stored body in full (`read_events`). A delivery must be refused at intake exactly when
processing would refuse it, with the same message: the 400 names the field."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from integrations.events import PayloadError
from integrations.generic import sign
from tests.support import generic_delivery
from voice_router.intake.admission import check_events, read_events

CASES = {
    "accepted": {},
    "accepted, agent address unusable": {"agent": {"email": "not an address", "name": "A"}},
    "accepted, long names and message": {"customer": {"email": "a@acme.com", "name": "N" * 900}},
    "ticket id too long": {"ticket": {"id": "T" * 256}},
    "blank ticket id": {"ticket": {"id": "\u0000\u0001"}},
    "customer address unusable": {"customer": {"email": "not-an-address"}},
    "customer address too long": {"customer": {"email": "a" * 320 + "@acme.com"}},
    "no customer at all": {"customer": {"email": None, "id": "c" * 300}},
    "MRR too large": {"customer": {"email": "a@acme.com", "company": "Acme", "mrr": 10**12}},
    "MRR negative": {"customer": {"email": "a@acme.com", "company": "Acme", "mrr": -5}},
    "too many pain tags": {"tags": [f"pain-p{n}" for n in range(21)]},
    "pain tags over both lists": {
        "tags": [f"pain-p{n}" for n in range(11)],
        "removed_tags": [f"pain-q{n}" for n in range(11)],
    },
}


def outcome(function, settings, body: bytes) -> str:  # type: ignore[no-untyped-def]
    headers = sign(body, settings.sources["generic"].secret)
    try:
        function(settings, "generic", "generic", headers, body)
    except PayloadError as exc:
        return f"{type(exc).__name__}: {exc}"
    return "accepted"


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize("case", sorted(CASES))
def test_intake_refuses_exactly_what_processing_refuses(settings, case):
    document = {**generic_delivery("T-1", "sam@acme.com", ["pain-login"]), **CASES[case]}
    body = json.dumps(document).encode()
    at_intake = outcome(check_events, settings, body)
    assert at_intake == outcome(read_events, settings, body)
    assert (at_intake == "accepted") is case.startswith("accepted"), at_intake


def address_corpus() -> list[str]:
    """Plain addresses, the edges of the plain shape, and near misses of every kind."""
    locals_ = ["a", "sam", "Sam.Okafor", "a+tag", "a_b", "-a", "a-", "1", "a.b.c", "x" * 64]
    locals_ += ["x" * 65, "a..b", ".a", "a.", "a b", 'a"b', "é", "a!b", "a#b", ""]
    domains = ["acme.com", "ACME.Example", "mail.acme.co.uk", "a.b", "1.com", "a-b.io"]
    domains += ["xn--p1ai.ru", "a.xn--p1ai", "ab--cd.com", "abc--d.com", "a.c1", "a.1", "a"]
    domains += ["a.test", "b.local", "x.localhost", "x.invalid", "a.arpa", "x.onion", "test"]
    domains += ["-a.com", "a-.com", "a..com", ".a.com", "a.com.", "é.com", "a_b.com"]
    domains += [("l" * 63 + ".") * 3 + "com", ("l" * 64) + ".com", ("l" * 61 + ".") * 4 + "com"]
    domains += ["localhost", "example", "a.b.c.d.e.f.g.h", "in valid.com", ""]
    corpus = [f"{local}@{domain}" for local in locals_ for domain in domains]
    corpus += ["a@b@c.com", "@acme.com", "acme.com", "a@acme.com\n", " a@acme.com", "A@B.CO"]
    corpus += [f"person{n}@company{n % 300}.example" for n in range(50)]
    corpus += [f"person{n}@gmail.com" for n in range(9, 500, 10)]
    return corpus


def test_plain_addresses_are_exactly_those_email_validator_takes():
    """`plain_email` may only say yes where email-validator says yes (it answers for it
    while the cache is cold, and without importing it); every plain shape here must be one
    it takes, and the bounds it checks are email-validator's own."""
    from email_validator import SPECIAL_USE_DOMAIN_NAMES, EmailNotValidError, validate_email
    from email_validator import rfc_constants as rfc

    from voice_router.intake import admission
    from voice_router.intake.admission import plain_email

    assert (admission.EMAIL_MAX_LENGTH, admission.LOCAL_PART_MAX_LENGTH) == (
        rfc.EMAIL_MAX_LENGTH,
        rfc.LOCAL_PART_MAX_LENGTH,
    )
    assert admission.DOMAIN_MAX_LENGTH == rfc.DOMAIN_MAX_LENGTH
    assert set(admission.SPECIAL_USE_DOMAIN_NAMES) == set(SPECIAL_USE_DOMAIN_NAMES)

    def validator_takes(address: str) -> bool:
        try:
            validate_email(address, check_deliverability=False)
        except EmailNotValidError:
            return False
        return True

    corpus = address_corpus()
    plain = [address for address in corpus if plain_email(address)]
    assert [a for a in plain if not validator_takes(a)] == []
    assert len(plain) > 100  # the corpus exercises the fast path, not only the fallback
    assert not plain_email("a@b.test") and not plain_email("a@ab--cd.com")


def test_a_time_no_helpdesk_could_mean_is_taken_as_when_it_is_processed(client, runtime):
    """A sender's clock in year 1 or 9999 pinned the problem's first and last seen (and its
    trends, and the "recent" order) for good; a ticket tagged in 2001 or an hour from now
    (a clock a little ahead) keeps its time."""
    from datetime import UTC, datetime, timedelta

    from tests.support import by_key, post_signed

    soon = (datetime.now(UTC) + timedelta(hours=1)).isoformat(timespec="seconds")
    for n, when in enumerate(["0001-01-01T00:00:00Z", "9999-12-31T23:59:59Z"]):
        body = generic_delivery(f"T{n}", f"p{n}@acme.com", ["pain-clock"], occurred_at=when)
        assert post_signed(client, "generic", body).status_code == 202
    clock = by_key(client, runtime)["clock"]
    today = datetime.now(UTC).date().isoformat()
    assert clock["first_seen"][:10] == clock["last_seen"][:10] == today, clock
    assert clock["trend_7d"] == 2
    for n, when in enumerate(["2001-02-03T04:05:06Z", soon]):
        body = generic_delivery(f"K{n}", f"k{n}@acme.com", ["pain-kept"], occurred_at=when)
        assert post_signed(client, "generic", body).status_code == 202
    kept = by_key(client, runtime)["kept"]
    assert (kept["first_seen"][:19], kept["last_seen"][:19]) == ("2001-02-03T04:05:06", soon[:19])


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_what_processing_admits_is_bounded_whether_or_not_it_had_to_be(settings):
    """An event within every bound is admitted as it came; one value out of bounds, and the
    event admitted holds that value bounded and the rest as they came."""

    def admitted(**changes):  # type: ignore[no-untyped-def]
        document = generic_delivery("T-1", "sam@acme.com", ["pain-login"])
        for field, value in changes.items():
            part, _, key = field.partition("__")
            document[part] = {**document[part], key: value} if key else value
        body = json.dumps(document).encode()
        headers = sign(body, settings.sources["generic"].secret)
        (event,) = read_events(settings, "generic", "generic", headers, body)
        return event

    usual = admitted(customer__company="Acme", customer__mrr="1250.50")
    assert (usual.customer.email, usual.company.name) == ("sam@acme.com", "Acme")
    assert usual.company.mrr == Decimal("1250.50")
    assert admitted(customer__company="Acme", customer__mrr=100).company.mrr == 100
    fraction = admitted(customer__company="Acme", customer__mrr="1250.125")
    assert fraction.company.mrr.as_tuple() == Decimal("1250.12").as_tuple()  # to the cent
    shouting = admitted(customer__email="Sam@ACME.com", customer__name="Sam")
    assert (shouting.customer.email, shouting.customer.name) == ("sam@acme.com", "Sam")
    long = admitted(ticket__subject="S" * 1500, agent={"email": "no address", "name": "Ana"})
    assert (len(long.subject), long.ticket_id, long.tags) == (1000, "T-1", ("pain-login",))
    assert (long.agent.email, long.agent.name) == (None, "Ana")
    assert admitted(agent={"email": "no address", "name": " "}).agent is None
