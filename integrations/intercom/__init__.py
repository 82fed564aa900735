"""Intercom webhooks: a Developer Hub app's topic subscriptions.

Every delivery is a `notification_event` envelope; `X-Hub-Signature` is `sha1=` + the hex
HMAC-SHA1 of the raw body keyed with the app's client secret. Nothing is timestamped, so the
notification id (`notif_...`) is what identifies a delivery across Intercom's retries.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from integrations.adapter import Helpdesk
from integrations.events import SignatureError
from integrations.payload import delivery_object, given_id
from integrations.signing import body_fingerprint, header, hmac_hex, require_equal

from .parse import parse, people
from .writeback import Client

KIND = "intercom"
SIGNATURE_HEADER = "X-Hub-Signature"


def _signature(body: bytes, secret: str) -> str:
    return "sha1=" + hmac_hex("sha1", secret, body)


def verify(
    headers: Mapping[str, str], body: bytes, secret: str, now: datetime | None = None
) -> None:
    if not secret:
        raise SignatureError("no secret is configured for this source")
    require_equal(_signature(body, secret), header(headers, SIGNATURE_HEADER))


def sign(body: bytes, secret: str, now: datetime | None = None) -> dict[str, str]:
    return {SIGNATURE_HEADER: _signature(body, secret)}


def delivery_id(headers: Mapping[str, str], body: bytes) -> str:
    return given_id(delivery_object(body).get("id")) or body_fingerprint(body)


ADAPTER = Helpdesk(
    kind=KIND,
    title="Intercom",
    verify=verify,
    sign=sign,
    delivery_id=delivery_id,
    parse=parse,
    writeback=Client,
    people=people,
)
