"""Who is signed in to the UI, and what they may do.

The session cookie holds a random session id, never the token; the session itself lives in
the database (voice_router.platform.ui_sessions), so signing out, an expired session or a revoked
token ends it at once, wherever the cookie has been copied to.
"""

from __future__ import annotations

from typing import cast

from flask import g, redirect, request, session, url_for
from werkzeug.wrappers import Response

from voice_router.platform import ui_sessions
from voice_router.platform.tokens import Caller
from voice_router.web.context import runtime

SESSION_KEY = "ui_session"


def _session_id() -> str | None:
    value = session.get(SESSION_KEY)
    return value if isinstance(value, str) else None


def sign_in(token: str) -> Caller | None:
    started = ui_sessions.start(runtime().engine, token)
    if started is None:
        return None
    previous = _session_id()
    if previous is not None:  # signing in again, maybe as someone else: one session per cookie
        ui_sessions.end(runtime().engine, previous)
    session_id, caller = started
    session.clear()  # a fresh session: nothing from before sign-in carries over
    session[SESSION_KEY] = session_id
    session.permanent = True
    g.ui_caller = caller
    return caller


def sign_out() -> None:
    session_id = _session_id()
    if session_id is not None:
        ui_sessions.end(runtime().engine, session_id)
    session.clear()
    g.ui_caller = None


def caller_name() -> str:
    """Who is signed in, as notes and audit rows name them ("?" when nobody is)."""
    caller = current_caller()
    return caller.name if caller else "?"


def current_caller() -> Caller | None:
    if "ui_caller" in g:
        return cast("Caller | None", g.ui_caller)
    found = None
    session_id = _session_id()
    if session_id is not None:
        found = ui_sessions.caller(runtime().engine, session_id)
        if found is None:
            session.clear()  # the session ended, expired or lost its token
    g.ui_caller = found
    return found


def safe_next(target: str | None) -> str | None:
    """Only a path on this site (no scheme, no host, no `//` or `/\\` tricks)."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return None
    if any(ch in target for ch in "\r\n\t\\"):
        return None
    return target


def signed_in() -> Caller | Response:
    """The UI's way to tell who is calling (auth.require_role): signed out, off to the
    sign-in page (and back afterwards)."""
    caller = current_caller()
    if caller is None:
        back = request.full_path.rstrip("?") if request.method == "GET" else None
        return redirect(url_for("ui.login", next=back), code=303)
    return caller
