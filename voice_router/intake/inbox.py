"""Receiving a webhook delivery: verify the raw bytes, store them, say what happened.

Pure of Flask: the web view hands over the source name, headers and body and turns the
returned Receipt (or a raised IntakeError) into an HTTP answer.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from integrations import registry
from integrations.events import Handshake, PayloadError
from voice_router.intake import store as intake_store
from voice_router.intake.admission import check_events
from voice_router.intake.statements import TABLE
from voice_router.platform.clock import utcnow
from voice_router.platform.errors import NotFound, Unauthorized
from voice_router.platform.settings import Settings

log = logging.getLogger(__name__)

KEY_CHARS = 255  # Delivery.delivery_key
_SECRET_HEADER_WORDS = ("signature", "authorization", "cookie", "token", "secret")


@dataclass(frozen=True)
class Receipt:
    delivery_id: int | None  # None: spooled, not in the table yet
    status: str  # "pending" (to process) or "invalid" (kept for inspection)
    duplicate: bool
    error: str | None = None
    handshake: Handshake | None = None
    spooled: bool = False  # SQLite's write lock was held too long: in the spool (spool.py)


def stored_headers(headers: Mapping[str, str]) -> str:
    """The headers worth keeping for processing and inspection, never a credential."""
    kept = {}
    for key, value in headers.items():
        name = _kept_header_name(key)
        if name is not None:
            kept[name] = value
    return json.dumps(kept, sort_keys=True)


@lru_cache(maxsize=512)
def _kept_header_name(key: str) -> str | None:
    """The lower-cased name of a header to keep, None for a credential (decided once per
    name: every delivery of a provider carries the same few)."""
    name = key.lower()
    return None if any(word in name for word in _SECRET_HEADER_WORDS) else name


def delivery_key(given: str) -> str:
    """The provider's delivery id as stored: as given when the column can hold it, else its
    SHA-256 (never cut: two long ids sharing a prefix are two deliveries). The id itself
    stays readable in the stored body or headers."""
    if len(given) <= KEY_CHARS and given.isprintable():
        return given
    return "sha256:" + hashlib.sha256(given.encode("utf-8", "surrogatepass")).hexdigest()


def source_kind_and_secret(settings: Settings, source_name: str) -> tuple[str, str]:
    """The adapter kind and secret for a webhook URL segment; `jira` is Jira's own webhook."""
    if source_name == "jira" and settings.jira.webhook_secret:
        return "jira", settings.jira.webhook_secret
    source = settings.sources.get(source_name)
    if source is None:
        raise NotFound(f"no source named {source_name!r}")
    return source.kind, source.secret


def receive(
    engine: Engine,
    settings: Settings,
    source_name: str,
    headers: Mapping[str, str],
    body: bytes,
    url_secret: str | None = None,
) -> Receipt:
    """`url_secret`: the `secret` query parameter of Jira's webhook URL (Data Center
    webhooks that sign nothing); ignored for every other source."""
    kind, secret = source_kind_and_secret(settings, source_name)
    adapter = registry.adapter(kind)
    try:
        if kind == "jira":
            adapter.verify(headers, body, secret, url_secret=url_secret)  # type: ignore[call-arg]  # Jira's verify takes it
        else:
            adapter.verify(headers, body, secret)
    except Exception as exc:  # whatever made verification fail, the sender is not proven
        raise Unauthorized(str(exc) or "signature does not match") from exc
    handshake_fn = getattr(adapter, "handshake", None)
    handshake = handshake_fn(headers, body) if handshake_fn else None
    error: str | None = None
    try:
        if kind == "jira":
            adapter.parse(headers, body)
        else:
            check_events(settings, source_name, kind, headers, body)
    except PayloadError as exc:
        error = str(exc) or "not this provider's payload"
    except Exception as exc:  # an adapter bug must not lose the delivery or answer 500
        log.exception("intake.parse_crashed", extra={"source": source_name})
        error = f"adapter error: {type(exc).__name__}"
    key = delivery_key(adapter.delivery_id(headers, body))
    status = "invalid" if error else "pending"
    now = utcnow()
    row = {
        "source": source_name,
        "kind": kind,
        "delivery_key": key,
        "headers": stored_headers(headers),
        "body": body,
        "status": status,
        "last_error": error,
        "attempts": 0,
        "received_at": now,
        "next_attempt_at": now,
    }
    try:
        new_id = intake_store.store(engine, row)
    except intake_store.Spooled:
        return Receipt(None, status, False, error, handshake, spooled=True)
    if new_id is not None:
        return Receipt(new_id, status, False, error, handshake)
    with engine.connect() as connection:
        stored = connection.execute(
            sa.select(TABLE.c.id, TABLE.c.status, TABLE.c.last_error).where(
                TABLE.c.source == source_name, TABLE.c.delivery_key == key
            )
        ).one()
    return Receipt(stored.id, stored.status, True, stored.last_error, handshake)
