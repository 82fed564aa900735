"""Who may call a view: one guard for the API and the UI, each with its own way of telling
who is calling. The API reads a bearer token (401 without a valid one); the UI reads its
session cookie (signed out: off to the sign-in page). Below the role: 403 for both."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, cast

from flask import g, request
from werkzeug.wrappers import Response

from voice_router.platform.errors import Forbidden, Unauthorized
from voice_router.platform.tokens import Caller, authenticate
from voice_router.web.context import runtime

# Who is calling, or the answer to give instead of running the view (the sign-in redirect).
Identify = Callable[[], Caller | Response]


def bearer_caller() -> Caller:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("send Authorization: Bearer <token>")
    found = authenticate(runtime().engine, token.strip())
    if found is None:
        raise Unauthorized("unknown or revoked token")
    return found


def require_role(
    role: str, identify: Identify = bearer_caller
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(view)
        def guarded(*args: Any, **kwargs: Any) -> Any:
            found = identify()
            if not isinstance(found, Caller):
                return found
            if not found.may(role):
                raise Forbidden(
                    f"{found.name} has the {found.role} role; this needs the {role} role."
                )
            g.caller = found
            return view(*args, **kwargs)

        return guarded

    return decorate


def caller() -> Caller:
    return cast(Caller, g.caller)
