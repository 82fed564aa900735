"""Named errors at the core's boundary; the web layer maps them to HTTP in one handler."""

from __future__ import annotations


class VoiceRouterError(Exception):
    status = 500
    code = "internal_error"

    def __init__(self, message: str = "") -> None:
        super().__init__(message or self.code)
        self.message = message or self.code


class BadRequest(VoiceRouterError):
    status = 400
    code = "bad_request"


class Unauthorized(VoiceRouterError):
    status = 401
    code = "unauthorized"


class Forbidden(VoiceRouterError):
    status = 403
    code = "forbidden"


class NotFound(VoiceRouterError):
    status = 404
    code = "not_found"


class Conflict(VoiceRouterError):
    status = 409
    code = "conflict"


class PayloadTooLarge(VoiceRouterError):
    status = 413
    code = "payload_too_large"


class ServiceUnavailable(VoiceRouterError):
    status = 503
    code = "service_unavailable"


class DatabaseNotReady(Exception):
    """The database cannot be used as it is; one line for the operator, naming the setting.
    Here, not in platform/schema.py: the CLI catches it on every command, `--help` included,
    which must not import SQLAlchemy to do so."""
