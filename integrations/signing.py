"""Primitives every adapter's `verify` and `sign` share: HMACs, constant-time checks, the
replay window and case-insensitive header lookup."""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta

from integrations.events import SignatureError, StaleDeliveryError

REPLAY_WINDOW = timedelta(minutes=5)


def header(headers: Mapping[str, str], name: str) -> str | None:
    """Look a header up regardless of case (Flask's headers are; test dicts are not)."""
    value = headers.get(name)
    if value is not None:
        return value
    lowered = name.lower()
    for key, val in headers.items():
        if key.lower() == lowered:
            return val
    return None


def hmac_base64(algorithm: str, secret: str, message: bytes) -> str:
    digest = hmac.new(secret.encode(), message, getattr(hashlib, algorithm)).digest()
    return base64.b64encode(digest).decode("ascii")


def hmac_hex(algorithm: str, secret: str, message: bytes) -> str:
    return hmac.new(secret.encode(), message, getattr(hashlib, algorithm)).hexdigest()


def require_equal(expected: str, given: str | None) -> None:
    """Raise SignatureError unless `given` equals `expected`, in constant time."""
    if given is None or not hmac.compare_digest(expected.encode(), given.strip().encode()):
        raise SignatureError("signature does not match")


def require_fresh(sent_at: datetime, now: datetime | None = None) -> None:
    now = now or datetime.now(UTC)
    if abs(now - sent_at) > REPLAY_WINDOW:
        raise StaleDeliveryError("delivery timestamp is outside the 5-minute window")


def body_fingerprint(body: bytes) -> str:
    """Delivery id for providers whose deliveries carry none: identical bytes, one delivery."""
    return "sha256:" + hashlib.sha256(body).hexdigest()
