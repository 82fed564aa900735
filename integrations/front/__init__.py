"""Front webhooks: rule webhooks ("send to webhook" rule action) and application webhooks.

The two are told apart by `X-Front-Request-Timestamp`, which only application webhooks send:

* rule webhook: `X-Front-Signature` = base64 HMAC-SHA1 of the raw body (company API secret);
* application webhook: `X-Front-Signature` = base64 HMAC-SHA256 of `<timestamp ms>:<raw body>`
  (the app's signing key), with the timestamp inside the 5-minute window.

Saving an application webhook makes Front send a `sync` request carrying `X-Front-Challenge`;
`handshake` echoes the challenge so Front accepts the URL.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime

from integrations.adapter import Helpdesk
from integrations.events import Handshake, SignatureError
from integrations.payload import delivery_object, given_id
from integrations.signing import (
    body_fingerprint,
    header,
    hmac_base64,
    require_equal,
    require_fresh,
)

from .parse import parse, people
from .writeback import Client

KIND = "front"
SIGNATURE_HEADER = "X-Front-Signature"
TIMESTAMP_HEADER = "X-Front-Request-Timestamp"
CHALLENGE_HEADER = "X-Front-Challenge"
_MILLISECONDS = re.compile(r"[0-9]{1,13}")


def _application_signature(timestamp: str, body: bytes, secret: str) -> str:
    return hmac_base64("sha256", secret, timestamp.encode() + b":" + body)


def _sent_at(timestamp: str) -> datetime:
    if not _MILLISECONDS.fullmatch(timestamp):
        raise SignatureError(f"{TIMESTAMP_HEADER} is not a millisecond timestamp")
    return datetime.fromtimestamp(int(timestamp) / 1000, UTC)


def verify(
    headers: Mapping[str, str], body: bytes, secret: str, now: datetime | None = None
) -> None:
    if not secret:
        raise SignatureError("no secret is configured for this source")
    signature = header(headers, SIGNATURE_HEADER)
    timestamp = header(headers, TIMESTAMP_HEADER)
    if timestamp is None:
        require_equal(hmac_base64("sha1", secret, body), signature)
        return
    sent_at = _sent_at(timestamp)
    require_equal(_application_signature(timestamp, body, secret), signature)
    require_fresh(sent_at, now)


def sign(body: bytes, secret: str, now: datetime | None = None) -> dict[str, str]:
    """Headers of a rule webhook delivery."""
    return {SIGNATURE_HEADER: hmac_base64("sha1", secret, body)}


def sign_application(body: bytes, secret: str, now: datetime | None = None) -> dict[str, str]:
    """Headers of an application webhook delivery sent at `now`."""
    timestamp = str(int((now or datetime.now(UTC)).timestamp() * 1000))
    return {
        TIMESTAMP_HEADER: timestamp,
        SIGNATURE_HEADER: _application_signature(timestamp, body, secret),
    }


def handshake(headers: Mapping[str, str], body: bytes) -> Handshake | None:
    challenge = header(headers, CHALLENGE_HEADER)
    if challenge is None:
        return None
    return Handshake(status=200, body=challenge, content_type="text/plain")


def delivery_id(headers: Mapping[str, str], body: bytes) -> str:
    """The event id (`evt_...`); application webhooks wrap the event in `payload`."""
    document = delivery_object(body)
    payload = document.get("payload")
    event = payload if isinstance(payload, dict) else document
    return given_id(event.get("id")) or body_fingerprint(body)


ADAPTER = Helpdesk(
    kind=KIND,
    title="Front",
    verify=verify,
    sign=sign,
    delivery_id=delivery_id,
    parse=parse,
    writeback=Client,
    handshake=handshake,
    people=people,
)
