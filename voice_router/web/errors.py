"""One place where errors become HTTP answers: `{"error": code, "message": text}`."""

from __future__ import annotations

import logging

from flask import Flask, jsonify
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from voice_router.errors import VoiceRouterError

log = logging.getLogger(__name__)


def error_response(status: int, code: str, message: str):  # type: ignore[no-untyped-def]
    response = jsonify({"error": code, "message": message})
    response.status_code = status
    if status == 401:
        response.headers["WWW-Authenticate"] = "Bearer"
    return response


def register(app: Flask) -> None:
    @app.errorhandler(VoiceRouterError)
    def _ours(exc: VoiceRouterError):  # type: ignore[no-untyped-def]
        return error_response(exc.status, exc.code, exc.message)

    @app.errorhandler(RequestEntityTooLarge)
    def _too_large(exc: RequestEntityTooLarge):  # type: ignore[no-untyped-def]
        limit = app.config.get("MAX_CONTENT_LENGTH")
        return error_response(413, "payload_too_large", f"the body is over {limit} bytes")

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException):  # type: ignore[no-untyped-def]
        code = (exc.name or "error").lower().replace(" ", "_")
        return error_response(exc.code or 500, code, exc.description or code)

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):  # type: ignore[no-untyped-def]
        log.exception("http.unhandled_error")
        return error_response(500, "internal_error", "something went wrong on our side")
