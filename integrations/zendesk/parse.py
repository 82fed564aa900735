"""Zendesk bodies -> PainPointEvents: readers for the three body shapes (event
subscriptions, voice-router's trigger template, Zulip's), each turning one body into one
PainPointEvent.

Template bodies are rendered by Zendesk from placeholders, so every value arrives as a
string, an unknown placeholder may arrive verbatim (`{{...}}`), and missing data arrives
as an empty string: all of those read as "absent".
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from integrations.events import Company, PainPointEvent, PayloadError, Person
from integrations.payload import (
    clean,
    lenient_ident,
    lenient_obj,
    lenient_text,
    lenient_utc,
    load_object,
    message_text,
    unrendered,
)

EVENT_TYPE_PREFIX = "zen:event-type:"
TAG_DELTA_EVENT = "ticket.tags_changed"
# Ticket events acknowledged with nothing to record. A merge's documented payload names no
# target ticket (tests/fixtures/zendesk/README.md), so the merged-away ticket is left as it is.
IGNORED_TICKET_EVENTS = frozenset({"ticket.merged", "ticket.marked_as_spam"})
# The ticket went to the trash or was deleted for good: read as "no tags any more". The
# event's `detail` names the requester only by id, so the event names nobody.
DELETED_EVENTS = frozenset({"ticket.soft_deleted", "ticket.permanently_deleted"})

log = logging.getLogger(__name__)


def parse(headers: Mapping[str, str], body: bytes) -> list[PainPointEvent]:
    data = load_object(body)
    if _event_name(data) in DELETED_EVENTS:
        return [_deleted(data)]
    event = read(data)
    if event is None:
        log.info("zendesk.parse.ignored", extra={"zendesk_event": data.get("type")})
        return []
    if event.customer.email is None:
        log.info("zendesk.parse.no_requester_email", extra={"ticket_id": event.ticket_id})
        return []
    return [event]


def people(headers: Mapping[str, str], body: bytes) -> list[Person]:
    """The requester, also where `parse` yields nothing for them: an event webhook names
    them by `requester_id` alone."""
    event = read(load_object(body))
    return [event.customer] if event is not None else []


def read(data: dict[str, Any]) -> PainPointEvent | None:
    """The body's event (customer e-mail possibly absent), or None for an ignored event."""
    name = _event_name(data)
    if name is not None:
        return _from_event(name, data)
    ticket = data.get("ticket")
    if isinstance(ticket, dict):
        return _from_voice_router_template(ticket)
    if "ticket_id" in data:
        return _from_zulip_template(data)
    raise PayloadError("neither a Zendesk event nor a known trigger template")


def _event_name(data: dict[str, Any]) -> str | None:
    event_type = data.get("type")
    if isinstance(event_type, str) and event_type.startswith(EVENT_TYPE_PREFIX):
        return event_type.removeprefix(EVENT_TYPE_PREFIX)
    return None


def _deleted(data: dict[str, Any]) -> PainPointEvent:
    """A deleted ticket reports nothing any more: every pain tag it had is removed, as of
    the event's time (a ticket restored later counts again with its next tagged delivery)."""
    _, ticket_id, occurred_at = _ticket_event(data)
    return PainPointEvent(
        ticket_id=ticket_id, customer=Person(), occurred_at=occurred_at, tags_complete=True
    )


def _ticket_event(data: dict[str, Any]) -> tuple[dict[str, Any], str, datetime]:
    """A ticket event's `detail`, ticket id and time, each required."""
    detail = data.get("detail")
    if not isinstance(detail, dict):
        raise PayloadError("ticket event has no detail object")
    ticket_id = lenient_ident(detail.get("id")) or _subject_ticket_id(data.get("subject"))
    if ticket_id is None:
        raise PayloadError("ticket event names no ticket")
    occurred_at = lenient_utc(data.get("time")) or lenient_utc(detail.get("updated_at"))
    if occurred_at is None:
        raise PayloadError("ticket event has no time")
    return detail, ticket_id, occurred_at


def _from_event(name: str, data: dict[str, Any]) -> PainPointEvent | None:
    if not name.startswith("ticket.") or name in IGNORED_TICKET_EVENTS:
        return None
    detail, ticket_id, occurred_at = _ticket_event(data)
    removed: tuple[str, ...] = ()
    if name == TAG_DELTA_EVENT:
        change = data.get("event")
        if not isinstance(change, dict):
            raise PayloadError("tags_changed event has no event object")
        tags, complete = _tags(change.get("tags_added"))[0], False
        removed = _tags(change.get("tags_removed"))[0]
    else:
        tags, complete = _tags(detail.get("tags"))
    requester = lenient_obj(detail.get("requester"))
    customer = Person(
        email=lenient_text(requester.get("email")) or lenient_text(detail.get("requester_email")),
        name=lenient_text(requester.get("name")),
        external_id=lenient_ident(detail.get("requester_id")),
    )
    return PainPointEvent(
        ticket_id=ticket_id,
        customer=customer,
        occurred_at=occurred_at,
        tags=tags,
        removed_tags=removed,
        tags_complete=complete,
        subject=lenient_text(detail.get("subject")),
        first_message=message_text(detail.get("description")),
    )


def _from_voice_router_template(ticket: dict[str, Any]) -> PainPointEvent:
    requester = lenient_obj(ticket.get("requester"))
    assignee = lenient_obj(ticket.get("assignee"))
    organization = lenient_text(lenient_obj(ticket.get("organization")).get("name"))
    tags, complete = _tags(ticket.get("tags"))
    return PainPointEvent(
        ticket_id=_ticket_id(ticket.get("id")),
        customer=Person(
            email=lenient_text(requester.get("email")),
            name=lenient_text(requester.get("name")),
            external_id=lenient_ident(requester.get("id")),
        ),
        occurred_at=_when(ticket.get("updated_at")),
        tags=tags,
        tags_complete=complete,
        ticket_url=_agent_url(ticket.get("url")),
        subject=lenient_text(ticket.get("title")),
        first_message=message_text(ticket.get("description")),
        company=Company(name=organization) if organization else None,
        agent=_person(assignee.get("email"), assignee.get("name")),
    )


def _from_zulip_template(data: dict[str, Any]) -> PainPointEvent:
    tags, complete = _tags(data.get("tags"))
    return PainPointEvent(
        ticket_id=_ticket_id(data.get("ticket_id")),
        customer=_person(data.get("requester_email"), data.get("requester_full_name")) or Person(),
        occurred_at=_when(data.get("updated_at")),
        tags=tags,
        tags_complete=complete,
        ticket_url=_agent_url(data.get("link")) or _agent_url(data.get("ticket_url")),
        subject=lenient_text(data.get("ticket_title")),
        first_message=message_text(data.get("ticket_description")),
        agent=_person(data.get("assignee_email"), data.get("assignee_full_name")),
    )


def _tags(value: object) -> tuple[tuple[str, ...], bool]:
    """Tags from `{{ticket.tags}}` (space-separated) or a JSON list; complete when present."""
    if value is None or unrendered(value):
        return (), False
    if isinstance(value, str):
        return tuple(tag for tag in map(clean, value.split()) if tag), True
    if isinstance(value, list) and all(isinstance(tag, str) for tag in value):
        return tuple(tag for tag in map(clean, value) if tag), True
    raise PayloadError("tags are neither a string nor a list of strings")


def _ticket_id(value: object) -> str:
    ticket_id = lenient_ident(value)
    if ticket_id is None:
        raise PayloadError("trigger body has no ticket id")
    return ticket_id


def _when(value: object) -> datetime:
    """The rendered update time; a template without a readable one is dated when parsed."""
    return lenient_utc(value) or datetime.now(UTC)


def _subject_ticket_id(value: object) -> str | None:
    subject = lenient_text(value)
    if subject and subject.startswith("zen:ticket:"):
        return lenient_text(subject.removeprefix("zen:ticket:"))
    return None


def _agent_url(value: object) -> str | None:
    """`{{ticket.url}}` renders without a scheme (`acme.zendesk.com/agent/tickets/7`)."""
    url = lenient_text(value)
    if url is None or "://" in url:
        return url
    return "https://" + url.lstrip("/")


def _person(email: object, name: object) -> Person | None:
    person = Person(email=lenient_text(email), name=lenient_text(name))
    return person if person != Person() else None
