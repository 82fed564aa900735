"""Bearer tokens on every /api/ route: 401 without a valid one, 403 below the role."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, cast

from flask import g, request

from voice_router.errors import Forbidden, Unauthorized
from voice_router.tokens import Caller, authenticate
from voice_router.web.context import runtime


def require_role(role: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(view)
        def guarded(*args: Any, **kwargs: Any) -> Any:
            scheme, _, token = request.headers.get("Authorization", "").partition(" ")
            if scheme.lower() != "bearer" or not token.strip():
                raise Unauthorized("send Authorization: Bearer <token>")
            caller = authenticate(runtime().engine, token.strip())
            if caller is None:
                raise Unauthorized("unknown or revoked token")
            if not caller.may(role):
                raise Forbidden(f"this needs the {role} role")
            g.caller = caller
            return view(*args, **kwargs)

        return guarded

    return decorate


def caller() -> Caller:
    return cast(Caller, g.caller)
