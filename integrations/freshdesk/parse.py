"""Freshdesk automation bodies -> PainPointEvents: voice-router's recommended template or
Zulip's, both under a `freshdesk_webhook` envelope, every value rendered by Freshdesk (so
read leniently: an unrendered `{{placeholder}}` or a blank is absent)."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from integrations.events import Company, PainPointEvent, PayloadError, Person
from integrations.payload import (
    clean,
    lenient_ident,
    lenient_text,
    lenient_utc,
    load_object,
    message_text,
    unrendered,
)

ENVELOPE = "freshdesk_webhook"

log = logging.getLogger(__name__)


def parse(headers: Mapping[str, str], body: bytes) -> list[PainPointEvent]:
    fields = envelope(load_object(body))
    ticket_id = lenient_ident(fields.get("ticket_id"))
    if ticket_id is None:
        raise PayloadError("freshdesk_webhook has no ticket_id")
    email = lenient_text(fields.get("requester_email"))
    if email is None:
        log.info("freshdesk.parse.no_requester_email", extra={"ticket_id": ticket_id})
        return []
    tags, complete = _tags(fields.get("ticket_tags"))
    company = lenient_text(fields.get("company_name"))
    agent = Person(
        email=lenient_text(fields.get("agent_email")), name=lenient_text(fields.get("agent_name"))
    )
    return [
        PainPointEvent(
            ticket_id=ticket_id,
            customer=Person(email=email, name=lenient_text(fields.get("requester_name"))),
            occurred_at=lenient_utc(fields.get("ticket_updated_at")) or datetime.now(UTC),
            tags=tags,
            tags_complete=complete,
            ticket_url=lenient_text(fields.get("ticket_url")),
            subject=lenient_text(fields.get("ticket_subject")),
            first_message=message_text(fields.get("ticket_description"), markup=True),
            company=Company(name=company) if company else None,
            agent=agent if agent != Person() else None,
        )
    ]


def envelope(data: dict[str, Any]) -> dict[str, Any]:
    fields = data.get(ENVELOPE)
    if not isinstance(fields, dict):
        raise PayloadError(f"body has no {ENVELOPE} object")
    return fields


def _tags(value: object) -> tuple[tuple[str, ...], bool]:
    """`{{ticket.tags}}` renders comma-separated; complete only when the field is there."""
    if value is None or unrendered(value):
        return (), False
    if isinstance(value, str):
        value = value.split(",")
    if isinstance(value, list) and all(isinstance(tag, str) for tag in value):
        return tuple(tag for tag in map(clean, value) if tag), True
    raise PayloadError("ticket_tags is neither a string nor a list of strings")
