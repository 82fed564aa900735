"""Help Scout bodies -> PainPointEvents: the conversation itself, legacy or V2 ("Mailbox API
2.0") shape, its event named only by the `X-HelpScout-Event` header."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from integrations.events import PainPointEvent, PayloadError, Person
from integrations.payload import lenient_ident, lenient_text, lenient_utc, load_object, message_text
from integrations.signing import header

EVENT_HEADER = "X-HelpScout-Event"
WEB_URL = "https://secure.helpscout.net/conversation/"

CONVERSATION_EVENTS = frozenset(
    {
        "convo.agent.reply.created",
        "convo.assigned",
        "convo.created",
        "convo.custom-fields",
        "convo.customer.reply.created",
        "convo.moved",
        "convo.note.created",
        "convo.status",
        "convo.tags",
    }
)
# Known, acknowledged, and of no use to us: the body is not a conversation we can read.
IGNORED_EVENTS = frozenset(
    {
        "helpscout.test",
        "convo.merged",
        "customer.created",
        "customer.updated",
        "customer.deleted",
        "satisfaction.ratings",
        "beacon.chat.created",
        "beacon.chat.customer.replied",
        "tag.created",
        "tag.updated",
        "tag.deleted",
    }
)
# The conversation is gone: its body is only `{"id": <conversation id>}` (Help Scout's webhook
# documentation), so it is read as "no tags any more" for that conversation.
DELETED_EVENT = "convo.deleted"
# Most specific first: when the conversation last changed.
MODIFIED_KEYS = ("userUpdatedAt", "userModifiedAt", "modifiedAt", "updatedAt", "createdAt")

log = logging.getLogger(__name__)


def parse(headers: Mapping[str, str], body: bytes) -> list[PainPointEvent]:
    event = (header(headers, EVENT_HEADER) or "").strip()
    if not event:
        raise PayloadError(f"missing {EVENT_HEADER} header")
    if event in IGNORED_EVENTS:
        log.info("helpscout.parse.ignored", extra={"helpscout_event": event})
        return []
    if event == DELETED_EVENT:
        return [_deleted(load_object(body))]
    if event not in CONVERSATION_EVENTS:
        log.warning("helpscout.parse.unknown_event", extra={"helpscout_event": event})
        return []
    return _conversation_events(load_object(body))


def people(headers: Mapping[str, str], body: bytes) -> list[Person]:
    """The conversation's customer, also one `parse` yields nothing for (no address)."""
    if (header(headers, EVENT_HEADER) or "").strip() not in CONVERSATION_EVENTS:
        return []
    convo = load_object(body)
    customer = _person(convo.get("primaryCustomer")) or _person(convo.get("customer"))
    return [customer] if customer is not None else []


def _conversation_events(convo: dict[str, Any]) -> list[PainPointEvent]:
    ticket_id = lenient_ident(convo.get("id"))
    if ticket_id is None:
        raise PayloadError("conversation has no id")
    occurred_at = _modified_at(convo)
    customer = _person(convo.get("primaryCustomer")) or _person(convo.get("customer"))
    if customer is None or customer.email is None:
        log.info("helpscout.parse.no_customer_email", extra={"ticket_id": ticket_id})
        return []
    tags, complete = _tags(convo.get("tags"))
    number = lenient_ident(convo.get("number"))
    return [
        PainPointEvent(
            ticket_id=ticket_id,
            customer=customer,
            occurred_at=occurred_at,
            tags=tags,
            tags_complete=complete,
            ticket_url=WEB_URL + ticket_id + (f"/{number}" if number else ""),
            subject=lenient_text(convo.get("subject")),
            agent=_person(convo.get("assignee")) or _person(convo.get("owner")),
            first_message=_first_message(convo.get("threads")),
        )
    ]


def _deleted(body: dict[str, Any]) -> PainPointEvent:
    """A deleted conversation no longer reports anything: every pain tag it had is removed.
    The body names no customer and no time; it is dated when read (a conversation restored
    later is tagged again by its next delivery, which is newer)."""
    ticket_id = lenient_ident(body.get("id"))
    if ticket_id is None:
        raise PayloadError("deleted conversation has no id")
    return PainPointEvent(
        ticket_id=ticket_id, customer=Person(), occurred_at=datetime.now(UTC), tags_complete=True
    )


def _first_message(threads: object) -> str | None:
    """The earliest customer thread's text (Help Scout lists threads newest first)."""
    if not isinstance(threads, list):
        return None
    said = [t for t in threads if isinstance(t, dict) and _by_customer(t) and t.get("body")]
    earliest = min(said, key=lambda t: str(t.get("createdAt") or ""), default=None)
    return message_text(earliest.get("body"), markup=True) if earliest else None


def _by_customer(thread: dict[str, Any]) -> bool:
    author = thread.get("createdBy")
    return thread.get("type") == "customer" or (
        isinstance(author, dict) and author.get("type") == "customer"
    )


def _modified_at(convo: dict[str, Any]) -> datetime:
    for key in MODIFIED_KEYS:
        value = convo.get(key)
        if value is None:
            continue
        moment = lenient_utc(value)
        if moment is None:
            raise PayloadError(f"conversation {key} is not an ISO-8601 time")
        return moment
    raise PayloadError("conversation has no modified or created time")


def _tags(value: object) -> tuple[tuple[str, ...], bool]:
    """The conversation's tags; complete only when the body carries the field at all."""
    if value is None:
        return (), False
    if not isinstance(value, list):
        raise PayloadError("conversation tags is not a list")
    tags = []
    for item in value:
        tag = (
            lenient_text(item.get("tag") or item.get("name"))
            if isinstance(item, dict)
            else lenient_text(item)
        )
        if tag is None:
            raise PayloadError("conversation tag is neither a string nor a tag object")
        tags.append(tag)
    return tuple(tags), True


def _person(value: object) -> Person | None:
    if not isinstance(value, dict):
        return None
    first = lenient_text(value.get("first")) or lenient_text(value.get("firstName"))
    last = lenient_text(value.get("last")) or lenient_text(value.get("lastName"))
    name = " ".join(part for part in (first, last) if part) or lenient_text(value.get("name"))
    person = Person(
        email=lenient_text(value.get("email")),
        name=name,
        external_id=lenient_ident(value.get("id")),
    )
    return person if person != Person() else None
