"""Intercom `notification_event` bodies -> PainPointEvents.

Two conversation shapes arrive, depending on the app's API version setting: the API 1.x
shape (`user` with `companies`, `assignee`, `conversation_message`, `tags_added`) and the
2.x shape (`source.author`, `contacts`, `title`, `admin_assignee_id`). Both are read.
"""

from __future__ import annotations

import html
import logging
import re
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from integrations.events import Company, PainPointEvent, PayloadError, Person
from integrations.payload import (
    as_list,
    epoch,
    identifier,
    load_object,
    message_text,
    money,
    obj,
    optional_obj,
    text,
)

log = logging.getLogger(__name__)

TAG_ADDED_TOPIC = "conversation_part.tag.created"
IGNORED_TOPICS = frozenset({"ping"})
CUSTOMER_TYPES = frozenset({"user", "lead", "contact"})
CONVERSATION_URL = "https://app.intercom.com/a/apps/{app_id}/inbox/inbox/conversation/{id}"
_HTML_TAG = re.compile(r"<[^>]*>")

TagReader = Callable[[dict[str, Any]], tuple[tuple[str, ...], bool]]


def parse(headers: Mapping[str, str], body: bytes) -> list[PainPointEvent]:
    envelope = load_object(body)
    if envelope.get("type") != "notification_event":
        raise PayloadError("not an Intercom notification_event")
    topic = envelope.get("topic")
    if not isinstance(topic, str) or not topic:
        raise PayloadError("notification has no topic")
    if topic in IGNORED_TOPICS:
        log.info("intercom.topic.ignored", extra={"topic": topic})
        return []
    item = obj(obj(envelope.get("data"), "data").get("item"), "data.item")
    if item.get("type") != "conversation":
        log.info("intercom.item.ignored", extra={"topic": topic})
        return []
    read_tags = TAG_READERS.get(topic, _full_tag_set)
    event = _conversation_event(envelope, item, read_tags)
    if event is None:
        log.info("intercom.conversation.ignored", extra={"topic": topic})
        return []
    return [event]


def people(headers: Mapping[str, str], body: bytes) -> list[Person]:
    """The conversation's customer, also of one `parse` yields nothing for (no tags)."""
    envelope = load_object(body)
    data = optional_obj(envelope.get("data"), "data") or {}
    item = optional_obj(data.get("item"), "data.item") or {}
    if envelope.get("type") != "notification_event" or item.get("type") != "conversation":
        return []
    return [_customer(item)[0]]


def _conversation_event(
    envelope: dict[str, Any], item: dict[str, Any], read_tags: TagReader
) -> PainPointEvent | None:
    ticket_id = identifier(item.get("id"), "data.item.id")
    if ticket_id is None:
        raise PayloadError("conversation has no id")
    tags, complete = read_tags(item)
    customer, company = _customer(item)
    if not (tags or complete) or not (customer.email or customer.external_id):
        return None
    return PainPointEvent(
        ticket_id=ticket_id,
        customer=customer,
        occurred_at=_occurred_at(envelope, item),
        tags=tags,
        tags_complete=complete,
        ticket_url=_ticket_url(envelope, item, ticket_id),
        subject=_subject(item),
        company=company,
        agent=_agent(item),
        first_message=_first_message(item),
    )


def _first_message(item: dict[str, Any]) -> str | None:
    """The message that opened the conversation, when a customer wrote it (`source` in API
    2.x, `conversation_message` before)."""
    for name in ("source", "conversation_message"):
        message = item.get(name)
        if not isinstance(message, dict):
            continue
        author = message.get("author")
        kind = author.get("type") if isinstance(author, dict) else None
        if kind in ("user", "lead", "contact"):
            return message_text(message.get("body"), markup=True)
    return None


def _tag_names(value: object, where: str) -> tuple[str, ...]:
    """A `tag.list` object (or a bare list) of tag objects -> their names."""
    tags = value.get("tags") if isinstance(value, dict) else value
    names = []
    for index, tag in enumerate(as_list(tags, where)):
        name = tag if isinstance(tag, str) else obj(tag, f"{where}[{index}]").get("name")
        name = text(name, f"{where}[{index}].name")
        if name is None:
            raise PayloadError(f"{where}[{index}] has no name")
        names.append(name)
    return tuple(names)


def _full_tag_set(item: dict[str, Any]) -> tuple[tuple[str, ...], bool]:
    if item.get("tags") is None:
        return (), False
    return _tag_names(item["tags"], "data.item.tags"), True


def _added_tags(item: dict[str, Any]) -> tuple[tuple[str, ...], bool]:
    if item.get("tags_added") is None:
        return _full_tag_set(item)
    return _tag_names(item["tags_added"], "data.item.tags_added"), False


TAG_READERS: dict[str, TagReader] = {TAG_ADDED_TOPIC: _added_tags}


def _person(value: dict[str, Any], where: str) -> Person:
    return Person(
        email=text(value.get("email"), f"{where}.email"),
        name=text(value.get("name"), f"{where}.name"),
        external_id=identifier(value.get("id"), f"{where}.id"),
    )


def _customer(item: dict[str, Any]) -> tuple[Person, Company | None]:
    """The requester: the 1.x `user`, else the 2.x source author (when not an admin), else
    the first of the 2.x `contacts` (which carry ids only)."""
    user = optional_obj(item.get("user"), "data.item.user")
    if user is not None:
        return _person(user, "data.item.user"), _company(user, "data.item.user")
    source = optional_obj(item.get("source"), "data.item.source")
    author = optional_obj(source.get("author"), "data.item.source.author") if source else None
    author_type = text(author.get("type"), "data.item.source.author.type") if author else None
    if author is not None and author_type in CUSTOMER_TYPES:
        return _person(author, "data.item.source.author"), None
    contacts = item.get("contacts")
    if isinstance(contacts, dict):
        contacts = contacts.get("contacts")
    if contacts is not None:
        first = as_list(contacts, "data.item.contacts")[:1]
        if first:
            return _person(obj(first[0], "data.item.contacts[0]"), "data.item.contacts[0]"), None
    return Person(), None


def _company(user: dict[str, Any], where: str) -> Company | None:
    companies = user.get("companies")
    if isinstance(companies, dict):
        companies = companies.get("companies")
    if companies is None:
        return None
    first = as_list(companies, f"{where}.companies")[:1]
    if not first:
        return None
    where = f"{where}.companies[0]"
    company = obj(first[0], where)
    plan = company.get("plan")
    if isinstance(plan, dict):
        plan = plan.get("name")
    return Company(
        name=text(company.get("name"), f"{where}.name"),
        mrr=money(company.get("monthly_spend"), f"{where}.monthly_spend"),
        plan=text(plan, f"{where}.plan"),
        external_id=identifier(company.get("id"), f"{where}.id"),
    )


def _agent(item: dict[str, Any]) -> Person | None:
    """The assigned admin (1.x), else the admin who wrote the latest part (e.g. the tagger)."""
    assignee = optional_obj(item.get("assignee"), "data.item.assignee")
    if assignee is not None and assignee.get("type") == "admin":
        agent = _person(assignee, "data.item.assignee")
        if agent.email or agent.name:
            return agent
    parts = item.get("conversation_parts")
    if isinstance(parts, dict):
        parts = parts.get("conversation_parts")
    if parts is None:
        return None
    for index, part in reversed(list(enumerate(as_list(parts, "data.item.conversation_parts")))):
        where = f"data.item.conversation_parts[{index}]"
        author = optional_obj(obj(part, where).get("author"), f"{where}.author")
        if author is not None and author.get("type") == "admin":
            return _person(author, f"{where}.author")
    return None


def _subject(item: dict[str, Any]) -> str | None:
    source = optional_obj(item.get("source"), "data.item.source") or {}
    message = optional_obj(item.get("conversation_message"), "data.item.conversation_message")
    candidates = (
        (item.get("title"), "data.item.title"),
        (source.get("subject"), "data.item.source.subject"),
        ((message or {}).get("subject"), "data.item.conversation_message.subject"),
    )
    for value, where in candidates:
        subject = text(value, where)
        if subject:
            plain = html.unescape(_HTML_TAG.sub("", subject)).strip()
            if plain:
                return plain
    return None


def _ticket_url(envelope: dict[str, Any], item: dict[str, Any], ticket_id: str) -> str | None:
    app_id = identifier(envelope.get("app_id"), "app_id")
    if app_id:
        return CONVERSATION_URL.format(app_id=app_id, id=ticket_id)
    links = optional_obj(item.get("links"), "data.item.links") or {}
    return text(links.get("conversation_web"), "data.item.links.conversation_web")


def _occurred_at(envelope: dict[str, Any], item: dict[str, Any]) -> datetime:
    """When the notification was created, else when the conversation last changed."""
    for value, where in (
        (envelope.get("created_at"), "created_at"),
        (item.get("updated_at"), "data.item.updated_at"),
        (item.get("created_at"), "data.item.created_at"),
    ):
        if value is not None:
            return epoch(value, where)
    raise PayloadError("notification has no timestamp")
