"""The generic delivery body -> PainPointEvents. The shape is fixed by DESIGN.md:

    {"id", "ticket": {"id", "url", "subject"}, "customer": {"email", "name", "company", "mrr"},
     "agent": {"email", "name"}, "tags": [...], "removed_tags": [...], "occurred_at"}

plus two optional fields: `tags_complete` (true: `tags` is the ticket's whole tag set) and
`customer.id` (the sender's own id for the person). Unknown fields are ignored.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from integrations.events import Company, PainPointEvent, PayloadError, Person
from integrations.payload import (
    as_list,
    clean,
    epoch,
    identifier,
    load_object,
    money,
    obj,
    optional_obj,
    text,
)
from integrations.signing import header

TIMESTAMP_HEADER = "X-Voice-Router-Timestamp"

log = logging.getLogger(__name__)

_UNIX_SECONDS = re.compile(r"[0-9]{1,11}(\.[0-9]+)?")


def people(headers: Mapping[str, str], body: bytes) -> list[Person]:
    """The customer, also of a delivery `parse` yields nothing for (no tags)."""
    return [_customer(load_object(body))]


def _customer(document: dict[str, Any]) -> Person:
    customer = obj(document.get("customer"), "customer")
    return Person(
        email=text(customer.get("email"), "customer.email"),
        name=text(customer.get("name"), "customer.name"),
        external_id=identifier(customer.get("id"), "customer.id"),
    )


def parse(headers: Mapping[str, str], body: bytes) -> list[PainPointEvent]:
    """The `X-Voice-Router-Timestamp` value is the fallback for `occurred_at`."""
    sent_at = header(headers, TIMESTAMP_HEADER)
    document = load_object(body)
    delivery = identifier(document.get("id"), "id")
    if delivery is None:
        raise PayloadError("id is required")
    ticket = obj(document.get("ticket"), "ticket")
    ticket_id = identifier(ticket.get("id"), "ticket.id")
    if ticket_id is None:
        raise PayloadError("ticket.id is required")
    customer = _customer(document)
    if not (customer.email or customer.external_id):
        raise PayloadError("customer.email (or customer.id) is required")
    tags = _tags(document.get("tags"), "tags")
    removed = _tags(document.get("removed_tags"), "removed_tags")
    complete = document.get("tags_complete", False)
    if not isinstance(complete, bool):
        raise PayloadError("tags_complete is not true or false")
    occurred_at = _occurred_at(document.get("occurred_at"), sent_at)
    if not (tags or removed or complete):
        log.info("generic.delivery.ignored", extra={"delivery_id": delivery})
        return []
    return [
        PainPointEvent(
            ticket_id=ticket_id,
            customer=customer,
            occurred_at=occurred_at,
            tags=tags,
            removed_tags=removed,
            tags_complete=complete,
            ticket_url=_url(ticket.get("url"), "ticket.url"),
            subject=text(ticket.get("subject"), "ticket.subject"),
            company=_company(obj(document.get("customer"), "customer")),
            agent=_agent(optional_obj(document.get("agent"), "agent")),
        )
    ]


def _tags(value: object, where: str) -> tuple[str, ...]:
    if value is None:
        return ()
    names = []
    for index, tag in enumerate(as_list(value, where)):
        # A string is the usual tag: cleaned as `text` would, its place named only for an error.
        name = clean(tag) if isinstance(tag, str) else text(tag, f"{where}[{index}]")
        if name:
            names.append(name)
    return tuple(names)


def _url(value: object, where: str) -> str | None:
    url = text(value, where)
    if url is not None and not url.lower().startswith(("https://", "http://")):
        raise PayloadError(f"{where} is not an http(s) URL")
    return url


def _company(customer: dict[str, object]) -> Company | None:
    name = text(customer.get("company"), "customer.company")
    mrr = money(customer.get("mrr"), "customer.mrr")
    if name is None and mrr is None:
        return None
    return Company(name=name, mrr=mrr)


def _agent(agent: dict[str, object] | None) -> Person | None:
    if agent is None:
        return None
    person = Person(
        email=text(agent.get("email"), "agent.email"),
        name=text(agent.get("name"), "agent.name"),
    )
    return person if person.email or person.name else None


def _occurred_at(value: object, sent_at: str | None) -> datetime:
    """ISO-8601 with an offset (or Z), or Unix seconds; absent: when the delivery was sent."""
    if value is None:
        if sent_at is None or not _UNIX_SECONDS.fullmatch(sent_at):
            raise PayloadError("occurred_at is missing and there is no timestamp header")
        return epoch(float(sent_at), "X-Voice-Router-Timestamp")
    if isinstance(value, str) and _UNIX_SECONDS.fullmatch(value.strip()):
        return epoch(float(value), "occurred_at")
    if not isinstance(value, str):
        return epoch(value, "occurred_at")
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError as error:
        raise PayloadError("occurred_at is not ISO-8601 or Unix seconds") from error
    if moment.tzinfo is None:
        raise PayloadError("occurred_at has no UTC offset (add Z or +hh:mm)")
    try:
        return moment.astimezone(UTC)
    except OverflowError as error:
        raise PayloadError("occurred_at is out of range") from error
