"""Receiving a webhook delivery: verify the raw bytes, store them, say what happened.

Pure of Flask: the web view hands over the source name, headers and body and turns the
returned Receipt (or a raised IntakeError) into an HTTP answer.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine

from integrations import registry
from integrations.events import Handshake, PayloadError
from voice_router.clock import utcnow
from voice_router.db import retry_on_disconnect
from voice_router.errors import NotFound, Unauthorized
from voice_router.models import Delivery
from voice_router.settings import Settings

log = logging.getLogger(__name__)

_SECRET_HEADER_WORDS = ("signature", "authorization", "cookie", "token", "secret")


@dataclass(frozen=True)
class Receipt:
    delivery_id: int
    status: str  # "pending" (to process) or "invalid" (kept for inspection)
    duplicate: bool
    error: str | None = None
    handshake: Handshake | None = None


def stored_headers(headers: Mapping[str, str]) -> str:
    """The headers worth keeping for processing and inspection, never a credential."""
    kept = {
        key.lower(): value
        for key, value in headers.items()
        if not any(word in key.lower() for word in _SECRET_HEADER_WORDS)
    }
    return json.dumps(kept, sort_keys=True)


_TABLE = Delivery.__table__  # type: ignore[attr-defined]


@lru_cache(maxsize=2)
def _insert_statement(dialect_name: str) -> sa.Insert:
    """Built once: INSERT … ON CONFLICT DO NOTHING RETURNING id, values bound per call."""
    dialect = postgresql if dialect_name == "postgresql" else sqlite
    return dialect.insert(_TABLE).on_conflict_do_nothing().returning(_TABLE.c.id)


def source_kind_and_secret(settings: Settings, source_name: str) -> tuple[str, str]:
    """The adapter kind and secret for a webhook URL segment; `jira` is Jira's own webhook."""
    if source_name == "jira" and settings.jira.webhook_secret:
        return "jira", settings.jira.webhook_secret
    source = settings.sources.get(source_name)
    if source is None:
        raise NotFound(f"no source named {source_name!r}")
    return source.kind, source.secret


def receive(
    engine: Engine, settings: Settings, source_name: str, headers: Mapping[str, str], body: bytes
) -> Receipt:
    kind, secret = source_kind_and_secret(settings, source_name)
    adapter = registry.adapter(kind)
    try:
        adapter.verify(headers, body, secret)
    except Exception as exc:  # whatever made verification fail, the sender is not proven
        raise Unauthorized(str(exc) or "signature does not match") from exc
    handshake_fn = getattr(adapter, "handshake", None)
    handshake = handshake_fn(headers, body) if handshake_fn else None
    error: str | None = None
    try:
        adapter.parse(headers, body)
    except PayloadError as exc:
        error = str(exc) or "not this provider's payload"
    except Exception as exc:  # an adapter bug must not lose the delivery or answer 500
        log.exception("intake.parse_crashed", extra={"source": source_name})
        error = f"adapter error: {type(exc).__name__}"
    key = adapter.delivery_id(headers, body)[:255]
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

    def store() -> Receipt:
        # One autocommitted statement (no BEGIN/COMMIT round trips): the hot path every
        # delivery takes. The insert is atomic on its own; the select only runs on a retry.
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            new_id = connection.execute(_insert_statement(engine.dialect.name), row).scalar()
            if new_id is not None:
                return Receipt(new_id, status, False, error, handshake)
            stored = connection.execute(
                sa.select(_TABLE.c.id, _TABLE.c.status, _TABLE.c.last_error).where(
                    _TABLE.c.source == source_name, _TABLE.c.delivery_key == key
                )
            ).one()
        return Receipt(stored.id, stored.status, True, stored.last_error, handshake)

    return retry_on_disconnect(store)
