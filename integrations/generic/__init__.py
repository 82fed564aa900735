"""The generic kind: any tool that can send a signed JSON POST can feed voice-router.

`X-Voice-Router-Timestamp` is the send time in Unix seconds; `X-Voice-Router-Signature` is
`sha256=` + the hex HMAC-SHA256 of `<timestamp>.<raw body>`, and the timestamp must be within
5 minutes. The body shape is documented (with a JSON Schema) in docs/helpdesks/generic.md.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime

from integrations.adapter import Helpdesk
from integrations.events import SignatureError
from integrations.payload import delivery_object, given_id
from integrations.signing import body_fingerprint, header, hmac_hex, require_equal, require_fresh

from .parse import TIMESTAMP_HEADER, parse, people
from .writeback import Client

KIND = "generic"
SIGNATURE_HEADER = "X-Voice-Router-Signature"
_SECONDS = re.compile(r"[0-9]{1,11}")


def _signature(timestamp: str, body: bytes, secret: str) -> str:
    return "sha256=" + hmac_hex("sha256", secret, timestamp.encode() + b"." + body)


def verify(
    headers: Mapping[str, str], body: bytes, secret: str, now: datetime | None = None
) -> None:
    if not secret:
        raise SignatureError("no secret is configured for this source")
    timestamp = header(headers, TIMESTAMP_HEADER)
    if timestamp is None or not _SECONDS.fullmatch(timestamp):
        raise SignatureError(f"{TIMESTAMP_HEADER} is missing or not Unix seconds")
    require_equal(_signature(timestamp, body, secret), header(headers, SIGNATURE_HEADER))
    require_fresh(datetime.fromtimestamp(int(timestamp), UTC), now)


def sign(body: bytes, secret: str, now: datetime | None = None) -> dict[str, str]:
    timestamp = str(int((now or datetime.now(UTC)).timestamp()))
    return {
        TIMESTAMP_HEADER: timestamp,
        SIGNATURE_HEADER: _signature(timestamp, body, secret),
    }


def delivery_id(headers: Mapping[str, str], body: bytes) -> str:
    """The sender's `id`; a sender that retries must resend the same id."""
    return given_id(delivery_object(body).get("id"), numbers=True) or body_fingerprint(body)


ADAPTER = Helpdesk(
    kind=KIND,
    title="generic",
    verify=verify,
    sign=sign,
    delivery_id=delivery_id,
    parse=parse,
    writeback=Client,
    people=people,
)
