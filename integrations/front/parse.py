"""Front Event bodies -> PainPointEvents.

A rule webhook's body is the Event itself; an application webhook wraps it as
`{"type", "authorization": {"id"}, "payload": <Event>}`, and its set-up validation is
`{"type": "sync", "authorization": {...}}` with nothing in it for us.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from integrations.events import PainPointEvent, PayloadError, Person
from integrations.payload import (
    as_list,
    epoch,
    identifier,
    load_object,
    obj,
    optional_obj,
    text,
)

log = logging.getLogger(__name__)

APP_URL = "https://app.frontapp.com/open/{id}"

TagChange = tuple[tuple[str, ...], tuple[str, ...], bool]


def parse(headers: Mapping[str, str], body: bytes) -> list[PainPointEvent]:
    document = load_object(body)
    if "authorization" in document:
        if document.get("type") == "sync":
            log.info("front.sync.ignored")
            return []
        document = obj(document.get("payload"), "payload")
    event_type = text(document.get("type"), "type")
    if event_type is None:
        raise PayloadError("not a Front event: no type")
    conversation = optional_obj(document.get("conversation"), "conversation")
    if conversation is None:
        log.info("front.event.ignored", extra={"event_type": event_type})
        return []
    read_tags = TAG_READERS.get(event_type, _full_tag_set)
    event = _conversation_event(document, conversation, read_tags)
    if event is None:
        log.info("front.conversation.ignored", extra={"event_type": event_type})
        return []
    return [event]


def people(headers: Mapping[str, str], body: bytes) -> list[Person]:
    """The conversation's recipient, also of one `parse` yields nothing for (no tags)."""
    document = load_object(body)
    if "authorization" in document:
        document = optional_obj(document.get("payload"), "payload") or {}
    conversation = optional_obj(document.get("conversation"), "conversation")
    return [_customer(document, conversation)] if conversation is not None else []


def _conversation_event(
    event: dict[str, Any],
    conversation: dict[str, Any],
    read_tags: Callable[[dict[str, Any], dict[str, Any]], TagChange],
) -> PainPointEvent | None:
    ticket_id = identifier(conversation.get("id"), "conversation.id")
    if ticket_id is None:
        raise PayloadError("conversation has no id")
    tags, removed, complete = read_tags(event, conversation)
    customer = _customer(event, conversation)
    if not (tags or removed or complete) or not (customer.email or customer.external_id):
        return None
    return PainPointEvent(
        ticket_id=ticket_id,
        customer=customer,
        occurred_at=_occurred_at(event, conversation),
        tags=tags,
        removed_tags=removed,
        tags_complete=complete,
        ticket_url=APP_URL.format(id=ticket_id),
        subject=text(conversation.get("subject"), "conversation.subject"),
        agent=_agent(event, conversation),
    )


def _target_tag(event: dict[str, Any]) -> str:
    target = obj(event.get("target"), "target")
    name = text(obj(target.get("data"), "target.data").get("name"), "target.data.name")
    if name is None:
        raise PayloadError("tag event has no tag name in target.data")
    return name


def _tagged(event: dict[str, Any], conversation: dict[str, Any]) -> TagChange:
    return (_target_tag(event),), (), False


def _untagged(event: dict[str, Any], conversation: dict[str, Any]) -> TagChange:
    return (), (_target_tag(event),), False


def _full_tag_set(event: dict[str, Any], conversation: dict[str, Any]) -> TagChange:
    """Other events carry the conversation as it is now, tags and all."""
    if conversation.get("tags") is None:
        return (), (), False
    names = []
    for index, tag in enumerate(as_list(conversation["tags"], "conversation.tags")):
        where = f"conversation.tags[{index}]"
        name = text(obj(tag, where).get("name"), f"{where}.name")
        if name is None:
            raise PayloadError(f"{where} has no name")
        names.append(name)
    return tuple(names), (), True


TAG_READERS: dict[str, Callable[[dict[str, Any], dict[str, Any]], TagChange]] = {
    "tag": _tagged,
    "untag": _untagged,
}


def _customer(event: dict[str, Any], conversation: dict[str, Any]) -> Person:
    """The conversation's recipient: its handle (an e-mail for e-mail channels), its
    contact id (from the contact link) and a name from wherever the payload gives one."""
    recipient = optional_obj(conversation.get("recipient"), "conversation.recipient")
    if recipient is None:
        return Person()
    handle = text(recipient.get("handle"), "conversation.recipient.handle")
    return Person(
        email=handle if handle and "@" in handle else None,
        name=text(recipient.get("name"), "conversation.recipient.name")
        or _recipient_name(conversation, handle)
        or _contact_source_name(event),
        external_id=_contact_id(recipient),
    )


def _contact_id(recipient: dict[str, Any]) -> str | None:
    links = optional_obj(recipient.get("_links"), "conversation.recipient._links") or {}
    related = optional_obj(links.get("related"), "conversation.recipient._links.related") or {}
    url = text(related.get("contact"), "conversation.recipient._links.related.contact")
    if url is None:
        return None
    return url.rstrip("/").rsplit("/", 1)[-1] or None


def _recipient_name(conversation: dict[str, Any], handle: str | None) -> str | None:
    """Message recipients sometimes carry the contact's display name."""
    message = optional_obj(conversation.get("last_message"), "conversation.last_message")
    if handle is None or message is None or message.get("recipients") is None:
        return None
    for index, entry in enumerate(as_list(message["recipients"], "last_message.recipients")):
        where = f"conversation.last_message.recipients[{index}]"
        entry = obj(entry, where)
        if text(entry.get("handle"), f"{where}.handle") == handle:
            return text(entry.get("name"), f"{where}.name")
    return None


def _source_of_type(event: dict[str, Any], source_type: str) -> dict[str, Any] | None:
    """The event's `source.data` when the source is a `source_type` (teammate, contact...)."""
    source = optional_obj(event.get("source"), "source")
    if source is None:
        return None
    meta = optional_obj(source.get("_meta"), "source._meta") or {}
    if meta.get("type") != source_type:
        return None
    return obj(source.get("data"), "source.data")


def _contact_source_name(event: dict[str, Any]) -> str | None:
    contact = _source_of_type(event, "contact")
    return text(contact.get("name"), "source.data.name") if contact else None


def _teammate(value: dict[str, Any], where: str) -> Person:
    first = text(value.get("first_name"), f"{where}.first_name")
    last = text(value.get("last_name"), f"{where}.last_name")
    name = " ".join(part for part in (first, last) if part) or text(
        value.get("username"), f"{where}.username"
    )
    return Person(
        email=text(value.get("email"), f"{where}.email"),
        name=name,
        external_id=identifier(value.get("id"), f"{where}.id"),
    )


def _agent(event: dict[str, Any], conversation: dict[str, Any]) -> Person | None:
    """The assignee, else the teammate whose action raised the event (e.g. who tagged)."""
    assignee = optional_obj(conversation.get("assignee"), "conversation.assignee")
    if assignee is not None:
        return _teammate(assignee, "conversation.assignee")
    teammate = _source_of_type(event, "teammate")
    return _teammate(teammate, "source.data") if teammate else None


def _occurred_at(event: dict[str, Any], conversation: dict[str, Any]) -> datetime:
    for value, where in (
        (event.get("emitted_at"), "emitted_at"),
        (conversation.get("created_at"), "conversation.created_at"),
    ):
        if value is not None:
            return epoch(value, where)
    raise PayloadError("event has no timestamp")
