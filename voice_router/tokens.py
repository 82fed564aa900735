"""API tokens: shown once, stored as a SHA-256 hash, ranked agent < pm < admin."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from voice_router.db import session_scope
from voice_router.models import ApiToken

ROLES = ("agent", "pm", "admin")
TOKEN_PREFIX = "vr_"


@dataclass(frozen=True)
class Caller:
    name: str
    role: str

    def may(self, role: str) -> bool:
        return ROLES.index(self.role) >= ROLES.index(role)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(engine: Engine, role: str, name: str) -> str:
    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with session_scope(engine) as session:
        session.add(ApiToken(name=name, role=role, token_hash=_hash(token)))
    return token


def active_token(session: Session, token: str) -> ApiToken | None:
    """The row of a token that is known and not revoked."""
    return session.exec(
        select(ApiToken).where(
            ApiToken.token_hash == _hash(token), col(ApiToken.revoked_at).is_(None)
        )
    ).first()


def authenticate(engine: Engine, token: str) -> Caller | None:
    with Session(engine) as session:
        row = active_token(session, token)
    return Caller(row.name, row.role) if row else None
