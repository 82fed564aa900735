"""Zendesk: trigger webhooks with voice-router's template, and event-subscribed webhooks.

Both kinds are signed alike: base64 HMAC-SHA256 of the `X-Zendesk-Webhook-Signature-Timestamp`
value followed by the raw body, with the webhook's signing secret; the timestamp (ISO-8601
UTC) must be within 5 minutes. Set-up: docs/helpdesks/zendesk.md.

Recommended: a trigger ("Notify by > Active webhook") whose JSON body is this template.
`{{ticket.tags}}` renders the whole current tag set, space-separated (Zendesk tags hold no
spaces), so the events carry `tags_complete=True`::

    {"ticket": {"id": "{{ticket.id}}", "url": "{{ticket.url}}", "title": "{{ticket.title}}",
                "tags": "{{ticket.tags}}",
                "updated_at": "{{ticket.updated_at_with_timestamp}}",
                "requester": {"email": "{{ticket.requester.email}}",
                              "name": "{{ticket.requester.name}}",
                              "id": "{{ticket.requester.id}}"},
                "organization": {"name": "{{ticket.organization.name}}"},
                "assignee": {"email": "{{ticket.assignee.email}}",
                             "name": "{{ticket.assignee.name}}"}}}

Also read:

* Zulip's documented trigger template (flat `ticket_id`, `ticket_title`, `tags`, `link`,
  `requester_full_name`, ...). It has no requester e-mail, so it yields no events unless the
  admin added a `requester_email` key.
* Event-subscribed webhooks (`type: zen:event-type:ticket.*`). `ticket.tags_changed` gives
  deltas (`event.tags_added` / `event.tags_removed`); other ticket events give the full set
  in `detail.tags`. Their `detail` names the requester only by `requester_id`, and an event
  without a requester e-mail is acknowledged and yields no events: voice-router identifies
  customers by e-mail and never calls Zendesk while parsing. Use the trigger template.
  `ticket.soft_deleted` / `ticket.permanently_deleted` need no requester: a deleted ticket
  is read as one with no tags any more.

`parse` reads the body alone: the core keeps no signature headers for processing. A template
delivery without a readable ISO-8601 update time is therefore dated when it is parsed.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime

from integrations.adapter import Helpdesk
from integrations.events import SignatureError
from integrations.payload import delivery_object, given_id, lenient_utc
from integrations.signing import (
    body_fingerprint,
    header,
    hmac_base64,
    require_equal,
    require_fresh,
)

from .parse import EVENT_TYPE_PREFIX, parse, people
from .writeback import Client

KIND = "zendesk"
SIGNATURE_HEADER = "X-Zendesk-Webhook-Signature"
TIMESTAMP_HEADER = "X-Zendesk-Webhook-Signature-Timestamp"
INVOCATION_HEADER = "X-Zendesk-Webhook-Invocation-Id"


def verify(
    headers: Mapping[str, str], body: bytes, secret: str, now: datetime | None = None
) -> None:
    stamp = header(headers, TIMESTAMP_HEADER)
    if stamp is None:
        raise SignatureError(f"missing {TIMESTAMP_HEADER} header")
    require_equal(
        hmac_base64("sha256", secret, stamp.encode() + body), header(headers, SIGNATURE_HEADER)
    )
    sent_at = lenient_utc(stamp)
    if sent_at is None:
        raise SignatureError(f"{TIMESTAMP_HEADER} is not an ISO-8601 time")
    require_fresh(sent_at, now)


def sign(body: bytes, secret: str, now: datetime | None = None) -> dict[str, str]:
    moment = now or datetime.now(UTC)
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC)
    stamp = moment.strftime("%Y-%m-%dT%H:%M:%SZ")
    return {
        TIMESTAMP_HEADER: stamp,
        SIGNATURE_HEADER: hmac_base64("sha256", secret, stamp.encode() + body),
    }


def delivery_id(headers: Mapping[str, str], body: bytes) -> str:
    """The event's `id`, else the invocation id Zendesk keeps across retries, else the bytes."""
    data = delivery_object(body)
    event_type, event_id = data.get("type"), given_id(data.get("id"))
    if isinstance(event_type, str) and event_type.startswith(EVENT_TYPE_PREFIX) and event_id:
        return event_id
    invocation = (header(headers, INVOCATION_HEADER) or "").strip()
    return invocation or body_fingerprint(body)


ADAPTER = Helpdesk(
    kind=KIND,
    title="Zendesk",
    verify=verify,
    sign=sign,
    delivery_id=delivery_id,
    parse=parse,
    writeback=Client,
    people=people,
)
