"""The Flask app: auth, the request log, fault injection, Jira-shaped errors."""

from __future__ import annotations

import contextlib
import hmac
import json
import socket
import threading
from collections.abc import Callable, Iterable, Iterator
from typing import Any, cast

from flask import Flask, Response, current_app, g, request
from werkzeug.exceptions import HTTPException

from . import routes_issues, routes_meta, routes_search, routes_workflow
from .context import EXTENSION
from .errors import DEFAULT_MESSAGES, UNAUTHENTICATED, JiraError, error_body
from .state import Account, SandboxState
from .traffic import DROPPED, Call

ANONYMOUS_PATHS = ("/serverInfo",)  # Jira answers serverInfo without credentials
DROP_FLAG = "jira_sandbox.drop"


def create_app(state: SandboxState | None = None, *, base_path: str = "") -> Flask:
    """A Jira Cloud emulator app; `base_path` emulates a context path like /ex/jira/<cloudId>."""
    app = Flask(__name__, static_folder=None)
    app.extensions[EXTENSION] = state if state is not None else SandboxState()
    app.config["SANDBOX_BASE_PATH"] = base_path.rstrip("/")
    app.json.sort_keys = False  # type: ignore[attr-defined]  # a DefaultJSONProvider
    for module in (routes_meta, routes_issues, routes_workflow, routes_search):
        prefix = f"{app.config['SANDBOX_BASE_PATH']}{module.bp.url_prefix}"
        app.register_blueprint(module.bp, url_prefix=prefix)
    app.before_request(_before)
    app.after_request(_after)
    app.register_error_handler(JiraError, _jira_error)
    app.register_error_handler(HTTPException, _http_error)
    app.wsgi_app = _DropMiddleware(app.wsgi_app)  # type: ignore[method-assign]  # Flask's way
    return app


def _state() -> SandboxState:
    from flask import current_app

    return cast(SandboxState, current_app.extensions[EXTENSION])


def error_response(
    status: int, body: Any = None, headers: dict[str, str] | None = None
) -> Response:
    if body is None:
        body = error_body([DEFAULT_MESSAGES.get(status, "Error")])
    text = body if isinstance(body, str | bytes) else json.dumps(body)
    response = Response(text, status=status, content_type="application/json;charset=UTF-8")
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def _same(given: str | None, expected: str | None) -> bool:
    return expected is not None and hmac.compare_digest((given or "").encode(), expected.encode())


def authenticate(state: SandboxState) -> Account | None:
    """The account the request's credentials belong to.

    Cloud: HTTP Basic with the account's e-mail and API token (a Bearer token is an OAuth
    2.0 access token there, which the sandbox does not issue). Data Center: a personal access
    token as `Authorization: Bearer <token>`, or Basic with the e-mail or user name and the
    same secret as password.
    """
    auth = request.authorization
    if auth is None:
        return None
    for account in state.accounts:
        if account.api_token is None:
            continue
        if auth.type == "basic":
            names = [account.email]
            if state.deployment == "datacenter":
                names.append(account.email.split("@")[0])
            if any(_same(auth.username, n) for n in names) and _same(
                auth.password, account.api_token
            ):
                return account
        elif (
            auth.type == "bearer"
            and state.deployment == "datacenter"
            and _same(auth.token, account.api_token)
        ):
            return account
    return None


def _before() -> Response | None:
    state = _state()
    g.actor = authenticate(state)
    anonymous = request.authorization is None and request.path.endswith(ANONYMOUS_PATHS)
    if not anonymous and g.actor is None:
        return error_response(401, error_body([UNAUTHENTICATED]))
    traffic = state.traffic
    method, path = request.method, request.path
    if delay := traffic.take("delay", method, path):
        traffic.wake.wait(delay.seconds)
    if fault := traffic.take("fail", method, path):
        headers = {}
        if fault.retry_after is not None:
            headers["Retry-After"] = str(fault.retry_after)
        if fault.status == 429:
            headers["RateLimit-Reason"] = "jira-burst-based"
        return error_response(fault.status, fault.body, headers)
    if drop := traffic.take("drop", method, path):
        g.drop_mode = drop.mode
        g.trickle_seconds = drop.seconds
    return None


def _trickled(response: Response, seconds: float, wake: threading.Event) -> Response:
    """The same answer, its body sent a byte at a time over `seconds` (each byte well within
    any per-read timeout): a slow proxy in front of a Jira that has done the work."""
    body = response.get_data()
    pause = seconds / max(1, len(body))

    def trickle() -> Iterator[bytes]:
        for index in range(len(body)):
            if index:
                wake.wait(pause)
            yield body[index : index + 1]

    slow = Response(trickle(), status=response.status_code, headers=response.headers)
    slow.headers["Content-Length"] = str(len(body))
    return slow


def _after(response: Response) -> Response:
    mode = g.pop("drop_mode", None)
    if mode is not None and response.status_code < 400:
        if mode == "trickle":
            response = _trickled(response, g.pop("trickle_seconds"), _state().traffic.wake)
        elif mode == "drop" and "werkzeug.socket" in request.environ:
            request.environ[DROP_FLAG] = True
        else:
            response = error_response(503)
    status = DROPPED if request.environ.get(DROP_FLAG) else response.status_code
    query = request.query_string.decode("latin-1")
    call = Call(
        request.method,
        request.path,
        query,
        status,
        request.get_data(cache=True),
        request.content_type or "",
        current_app.config["SANDBOX_BASE_PATH"],
        _state().deployment,
    )
    _state().traffic.record(call)
    return response


def _jira_error(exc: JiraError) -> Response:
    return error_response(exc.status, exc.body())


def _http_error(exc: HTTPException) -> Response:
    status = exc.code or 500
    message = "null for uri: " + request.url if status == 404 else (exc.description or "")
    return error_response(status, error_body([message]))


class _DropMiddleware:
    """After the app has done its work, cut the TCP connection instead of answering."""

    def __init__(self, wsgi: Callable[..., Iterable[bytes]]) -> None:
        self.wsgi = wsgi

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        result = self.wsgi(environ, start_response)
        if not environ.get(DROP_FLAG):
            return result
        if hasattr(result, "close"):
            result.close()
        with contextlib.suppress(OSError):  # the client may already be gone
            environ["werkzeug.socket"].shutdown(socket.SHUT_RDWR)
        return []
