"""Who is signed in to the UI, and what they may do.

The session cookie holds the SHA-256 of the API token, never the token: each request looks
the hash up again, so revoking the token ends its UI sessions too.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import g, redirect, request, session, url_for
from sqlmodel import Session, col, select

from voice_router.errors import Forbidden
from voice_router.models import ApiToken
from voice_router.tokens import Caller, authenticate
from voice_router.web.context import runtime

SESSION_KEY = "token_sha256"


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()  # as voice_router.tokens stores it


def sign_in(token: str) -> Caller | None:
    caller = authenticate(runtime().engine, token)
    if caller is None:
        return None
    session.clear()  # a fresh session: nothing from before sign-in carries over
    session[SESSION_KEY] = _digest(token)
    session.permanent = True
    return caller


def sign_out() -> None:
    session.clear()


def current_caller() -> Caller | None:
    if "ui_caller" in g:
        return g.ui_caller
    found = None
    digest = session.get(SESSION_KEY)
    if isinstance(digest, str):
        with Session(runtime().engine) as db:
            row = db.exec(
                select(ApiToken).where(
                    ApiToken.token_hash == digest, col(ApiToken.revoked_at).is_(None)
                )
            ).first()
        if row is None:
            session.clear()
        else:
            found = Caller(row.name, row.role)
    g.ui_caller = found
    return found


def safe_next(target: str | None) -> str | None:
    """Only a path on this site (no scheme, no host, no `//` or `/\\` tricks)."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return None
    if any(ch in target for ch in "\r\n\t\\"):
        return None
    return target


def role_required(role: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Signed out: off to the sign-in page (and back afterwards). Below `role`: 403."""

    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(view)
        def guarded(*args: Any, **kwargs: Any) -> Any:
            caller = current_caller()
            if caller is None:
                back = request.full_path.rstrip("?") if request.method == "GET" else None
                return redirect(url_for("ui.login", next=back), code=303)
            if not caller.may(role):
                raise Forbidden(
                    f"You are signed in as {caller.name} ({caller.role}); "
                    f"this needs the {role} role."
                )
            return view(*args, **kwargs)

        return guarded

    return decorate
