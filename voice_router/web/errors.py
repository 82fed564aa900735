"""One place where errors become HTTP answers: `{"error": code, "message": text}`.

`describe` turns an exception into (status, code, message) and `error_headers` adds what a
status needs; the Flask app's handlers and the webhook layer in front of it (webhooks.py)
both answer through them. Below the machine paths (`JSON_PATHS`) errors are always JSON;
everywhere else is the UI, whose errors are HTML pages when the app registers a `page`
renderer — also for a URL that matched no route, such as an id out of range — unless the
client asks for JSON rather than HTML.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import sqlalchemy as sa
from flask import Flask, Response, jsonify, request
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from voice_router.platform.errors import Unauthorized, VoiceRouterError

log = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = "30"  # a 503: the database or Jira could not take it now
JSON_PATHS = ("/api/", "/webhooks/", "/apidoc/", "/openapi.json", "/healthz", "/readyz", "/metrics")

PageRenderer = Callable[[int, str, str], Response]  # (status, code, message) -> page


def describe(exc: BaseException, max_body_bytes: int | None) -> tuple[int, str, str]:
    """(status, code, message) for an exception raised while answering a request; anything
    unexpected is logged with its traceback and answered as a 500."""
    if isinstance(exc, RequestEntityTooLarge):
        return 413, "payload_too_large", f"the body is over {max_body_bytes} bytes"
    if isinstance(exc, VoiceRouterError):
        return exc.status, exc.code, exc.message
    if isinstance(exc, sa.exc.TimeoutError):  # every pooled connection busy for pool_timeout
        log.warning("db.pool_exhausted")
        return 503, "service_unavailable", "the database is busy; try again later"
    if isinstance(exc, sa.exc.DBAPIError) and _contended(exc):
        log.warning("db.contended", extra={"error": type(exc.orig).__name__})
        return 503, "service_unavailable", "the change met another one; try again"
    if isinstance(exc, HTTPException):  # e.g. 405, or a sender that hung up mid-body
        code = (exc.name or "error").lower().replace(" ", "_")
        return exc.code or 500, code, exc.description or code
    log.exception("http.unhandled_error")
    return 500, "internal_error", "something went wrong on our side"


def _contended(exc: sa.exc.DBAPIError) -> bool:
    """A deadlock or serialization failure on PostgreSQL, or SQLite's write lock held past
    its busy timeout: nothing is wrong with the request, and the same one may succeed now."""
    if getattr(exc.orig, "sqlstate", None) in ("40P01", "40001"):
        return True
    return "database is locked" in str(exc.orig)


def intake_outcome(exc: BaseException) -> str:
    """The `voice_router_deliveries` outcome of a webhook whose reading or verification
    raised."""
    if isinstance(exc, RequestEntityTooLarge):
        return "too_large"
    if isinstance(exc, Unauthorized):
        return "bad_signature"
    return "error"


def error_headers(status: int) -> list[tuple[str, str]]:
    if status == 401:
        return [("WWW-Authenticate", "Bearer")]
    if status == 503:
        return [("Retry-After", RETRY_AFTER_SECONDS)]
    return []


def error_response(status: int, code: str, message: str) -> Response:
    response = jsonify({"error": code, "message": message})
    response.status_code = status
    response.headers.extend(error_headers(status))
    return response


def wants_json() -> bool:
    """The machine paths always; elsewhere a client that prefers JSON to HTML."""
    if request.path.startswith(JSON_PATHS):
        return True
    accept = request.accept_mimetypes
    return accept.quality("application/json") > accept.quality("text/html")


def allow_header(exc: BaseException) -> list[tuple[str, str]]:
    """A 405 names the methods the path takes (werkzeug puts them on the exception)."""
    if isinstance(exc, HTTPException):
        return [(k, v) for k, v in exc.get_headers() if k == "Allow"]
    return []


def register(app: Flask, page: PageRenderer | None = None) -> None:
    def answer(exc: Exception) -> Response:
        status, code, message = describe(exc, app.config.get("MAX_CONTENT_LENGTH"))
        if page is None or wants_json():
            response = error_response(status, code, message)
        else:
            response = page(status, code, message)
            response.headers.extend(error_headers(status))
        response.headers.extend(allow_header(exc))
        return response

    for kind in (VoiceRouterError, RequestEntityTooLarge, HTTPException, Exception):
        app.register_error_handler(kind, answer)
