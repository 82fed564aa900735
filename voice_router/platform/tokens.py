"""API tokens: shown once, stored as a SHA-256 hash, ranked agent < pm < admin; listed
without their values, revoked at once for the API and the UI."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from voice_router.models import MAX_ID, ApiToken, UiSession
from voice_router.platform.clock import utcnow
from voice_router.platform.db import read_first, session_scope

ROLES = ("agent", "pm", "admin")
TOKEN_PREFIX = "vr_"


@dataclass(frozen=True)
class Caller:
    name: str
    role: str

    def may(self, role: str) -> bool:
        return ROLES.index(self.role) >= ROLES.index(role)


@dataclass(frozen=True)
class TokenInfo:
    """What `token list` shows: never the token or its hash."""

    id: int
    name: str
    role: str
    created_at: datetime
    revoked_at: datetime | None


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _info(row: ApiToken) -> TokenInfo:
    return TokenInfo(row.id or 0, row.name, row.role, row.created_at, row.revoked_at)


def create_token(engine: Engine, role: str, name: str) -> str:
    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with session_scope(engine) as session:
        session.add(ApiToken(name=name, role=role, token_hash=_hash(token)))
    return token


def _known_and_not_revoked(token: str) -> tuple[sa.ColumnElement[bool], ...]:
    return col(ApiToken.token_hash) == _hash(token), col(ApiToken.revoked_at).is_(None)


def active_token(session: Session, token: str) -> ApiToken | None:
    """The row of a token that is known and not revoked."""
    return session.exec(select(ApiToken).where(*_known_and_not_revoked(token))).first()


def authenticate(engine: Engine, token: str) -> Caller | None:
    """Who a token is, for each API request: one read of two columns outside a transaction
    (`read_first`), not a session loading an `ApiToken`."""
    found = read_first(
        engine,
        sa.select(col(ApiToken.name), col(ApiToken.role)).where(*_known_and_not_revoked(token)),
    )
    return Caller(*found) if found else None


def list_tokens(engine: Engine) -> list[TokenInfo]:
    with Session(engine) as session:
        return [_info(row) for row in session.exec(select(ApiToken).order_by(col(ApiToken.id)))]


def revoke_token(engine: Engine, token_id: int) -> tuple[TokenInfo, bool] | None:
    """Revoke one token: the API refuses it and its UI sessions end, both at once. Returns
    the token and whether this call revoked it (False: it already was); None if unknown."""
    with session_scope(engine) as session:
        row = session.get(ApiToken, token_id) if 0 < token_id <= MAX_ID else None
        if row is None:
            return None
        revoked_now = row.revoked_at is None
        if revoked_now:
            row.revoked_at = utcnow()
            session.add(row)
            session.execute(
                sa.update(UiSession)
                .where(col(UiSession.token_id) == token_id, col(UiSession.ended_at).is_(None))
                .values(ended_at=row.revoked_at)
            )
        return _info(row), revoked_now
