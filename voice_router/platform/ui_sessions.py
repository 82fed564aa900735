"""Signed-in UI sessions, kept on the server so that they can end.

Signing in with an API token starts a session: the browser's cookie holds a random session
id, the database only its SHA-256 (`UiSession.session_hash`). A session signs someone in
while its row exists, has not ended, is younger than `LIFETIME` and its token is not
revoked; signing out ends it at once, so a copied cookie stops working too.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import col

from voice_router.models import ApiToken, UiSession
from voice_router.platform.clock import utcnow
from voice_router.platform.db import read_first, session_scope
from voice_router.platform.tokens import Caller, active_token

LIFETIME = timedelta(hours=12)


def _hash(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


def start(engine: Engine, token: str) -> tuple[str, Caller] | None:
    """(session id for the cookie, who signed in), or None for an unknown or revoked token.
    Sessions that can no longer sign anyone in (older than LIFETIME) are cleared away."""
    now = utcnow()
    session_id = secrets.token_urlsafe(32)
    with session_scope(engine) as db:
        row = active_token(db, token)
        if row is None or row.id is None:
            return None
        db.execute(sa.delete(UiSession).where(col(UiSession.created_at) < now - LIFETIME))
        db.add(UiSession(session_hash=_hash(session_id), token_id=row.id, created_at=now))
        return session_id, Caller(row.name, row.role)


def caller(engine: Engine, session_id: str) -> Caller | None:
    """Who this session signs in, or None once it has ended, expired or lost its token. Read
    for every page outside a transaction (`read_first`), as the API reads a token."""
    found = read_first(
        engine,
        sa.select(col(ApiToken.name), col(ApiToken.role))
        .join(UiSession, col(UiSession.token_id) == ApiToken.id)
        .where(
            col(UiSession.session_hash) == _hash(session_id),
            col(UiSession.ended_at).is_(None),
            col(UiSession.created_at) > utcnow() - LIFETIME,
            col(ApiToken.revoked_at).is_(None),
        ),
    )
    return Caller(*found) if found else None


def end(engine: Engine, session_id: str) -> None:
    """Sign-out: the session stops working now, wherever its cookie is (ending it twice is
    harmless)."""
    with session_scope(engine) as db:
        db.execute(
            sa.update(UiSession)
            .where(
                col(UiSession.session_hash) == _hash(session_id), col(UiSession.ended_at).is_(None)
            )
            .values(ended_at=utcnow())
        )
