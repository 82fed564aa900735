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
from collections.abc import Mapping
from datetime import datetime

from integrations.adapter import Helpdesk
from integrations.events import SignatureError
from integrations.payload import delivery_object, lenient_ident
from integrations.signing import body_fingerprint, header, require_equal

from .parse import ENVELOPE, parse
from .writeback import Client

KIND = "freshdesk"
AUTH_HEADER = "Authorization"
USER_NAME = "voice-router"


def verify(
    headers: Mapping[str, str], body: bytes, secret: str, now: datetime | None = None
) -> None:
    """The Basic-auth password must equal `secret`; the body is not signed at all."""
    require_equal(secret, _basic_password(header(headers, AUTH_HEADER)))


def sign(body: bytes, secret: str, now: datetime | None = None) -> dict[str, str]:
    credentials = base64.b64encode(f"{USER_NAME}:{secret}".encode()).decode("ascii")
    return {AUTH_HEADER: f"Basic {credentials}"}


def delivery_id(headers: Mapping[str, str], body: bytes) -> str:
    fields = delivery_object(body).get(ENVELOPE)
    ticket_id = lenient_ident(fields.get("ticket_id")) if isinstance(fields, dict) else None
    fingerprint = body_fingerprint(body)
    return f"{ticket_id}:{fingerprint}" if ticket_id else fingerprint


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


ADAPTER = Helpdesk(
    kind=KIND,
    title="Freshdesk",
    verify=verify,
    sign=sign,
    delivery_id=delivery_id,
    parse=parse,
    writeback=Client,
    signs_body=False,
)
