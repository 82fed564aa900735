"""Freshdesk: an automation rule's "Trigger webhook" action with a custom JSON body.

Freshdesk signs nothing. The action sends HTTP Basic credentials instead: any user name,
and the source's `secret` as the password. Set-up: docs/helpdesks/freshdesk.md.

Recommended body ("Advanced" content, JSON). `{{ticket.tags}}` renders the whole current
tag set, comma-separated (Freshdesk tags may hold spaces), so the events carry
`tags_complete=True`::

    {"freshdesk_webhook": {
        "triggered_event": "{{triggered_event}}",
        "ticket_id": "{{ticket.id}}",
        "ticket_url": "{{ticket.url}}",
        "ticket_subject": "{{ticket.subject}}",
        "ticket_tags": "{{ticket.tags}}",
        "ticket_updated_at": "{{ticket.updated_at}}",
        "requester_email": "{{ticket.requester.email}}",
        "requester_name": "{{ticket.requester.name}}",
        "company_name": "{{ticket.company.name}}",
        "agent_email": "{{ticket.agent.email}}",
        "agent_name": "{{ticket.agent.name}}"}}

Zulip's documented template (the same envelope without tags, company, agent or time) is
read too; its events carry no tags and `tags_complete=False`, so they change nothing.

Deliveries carry no id and often no time: the delivery id is the ticket id plus a digest
of the bytes, and a delivery without a readable ISO-8601 `ticket_updated_at` is dated when
it is parsed.
"""

from __future__ import annotations

import base64
import logging
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from integrations.events import Company, PainPointEvent, PayloadError, Person, SignatureError
from integrations.payload import lenient_ident as _ident
from integrations.payload import lenient_text as _text
from integrations.payload import lenient_utc as _utc
from integrations.payload import load_object as _load_object
from integrations.payload import unrendered as _unrendered
from integrations.signing import body_fingerprint, header, require_equal

KIND = "freshdesk"
AUTH_HEADER = "Authorization"
USER_NAME = "voice-router"
ENVELOPE = "freshdesk_webhook"

log = logging.getLogger(__name__)


def verify(
    headers: Mapping[str, str], body: bytes, secret: str, now: datetime | None = None
) -> None:
    """The Basic-auth password must equal `secret`; the body is not signed at all."""
    require_equal(secret, _basic_password(header(headers, AUTH_HEADER)))


def sign(body: bytes, secret: str, now: datetime | None = None) -> dict[str, str]:
    credentials = base64.b64encode(f"{USER_NAME}:{secret}".encode()).decode("ascii")
    return {AUTH_HEADER: f"Basic {credentials}"}


def delivery_id(headers: Mapping[str, str], body: bytes) -> str:
    try:
        ticket_id = _ident(_fields(_load_object(body)).get("ticket_id"))
    except PayloadError:
        ticket_id = None
    fingerprint = body_fingerprint(body)
    return f"{ticket_id}:{fingerprint}" if ticket_id else fingerprint


def parse(headers: Mapping[str, str], body: bytes) -> list[PainPointEvent]:
    fields = _fields(_load_object(body))
    ticket_id = _ident(fields.get("ticket_id"))
    if ticket_id is None:
        raise PayloadError("freshdesk_webhook has no ticket_id")
    email = _text(fields.get("requester_email"))
    if email is None:
        log.info("freshdesk.parse.no_requester_email", extra={"ticket_id": ticket_id})
        return []
    tags, complete = _tags(fields.get("ticket_tags"))
    company = _text(fields.get("company_name"))
    agent = Person(email=_text(fields.get("agent_email")), name=_text(fields.get("agent_name")))
    return [
        PainPointEvent(
            ticket_id=ticket_id,
            customer=Person(email=email, name=_text(fields.get("requester_name"))),
            occurred_at=_utc(fields.get("ticket_updated_at")) or datetime.now(UTC),
            tags=tags,
            tags_complete=complete,
            ticket_url=_text(fields.get("ticket_url")),
            subject=_text(fields.get("ticket_subject")),
            company=Company(name=company) if company else None,
            agent=agent if agent != Person() else None,
        )
    ]


def _basic_password(value: str | None) -> str:
    scheme, _, encoded = (value or "").strip().partition(" ")
    if scheme.lower() != "basic" or not encoded.strip():
        raise SignatureError("no HTTP Basic credentials")
    try:
        credentials = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except ValueError:
        raise SignatureError("HTTP Basic credentials are not base64 UTF-8") from None
    _user, colon, password = credentials.partition(":")
    if not colon:
        raise SignatureError("HTTP Basic credentials have no password")
    return password


def _fields(data: dict[str, Any]) -> dict[str, Any]:
    fields = data.get(ENVELOPE)
    if not isinstance(fields, dict):
        raise PayloadError(f"body has no {ENVELOPE} object")
    return fields


def _tags(value: object) -> tuple[tuple[str, ...], bool]:
    """`{{ticket.tags}}` renders comma-separated; complete only when the field is there."""
    if value is None or _unrendered(value):
        return (), False
    if isinstance(value, str):
        value = value.split(",")
    if isinstance(value, list) and all(isinstance(tag, str) for tag in value):
        return tuple(tag.strip() for tag in value if tag.strip()), True
    raise PayloadError("ticket_tags is neither a string nor a list of strings")
