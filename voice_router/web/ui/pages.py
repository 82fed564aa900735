"""The UI blueprint itself: session cookie flags, CSRF, security headers, HTML error pages
and the template filters that make customer text safe to show."""

from __future__ import annotations

import functools
import logging
import secrets
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, Response, g, make_response, render_template, request
from flask.blueprints import BlueprintSetupState
from flask.typing import ResponseReturnValue
from flask_wtf.csrf import CSRFError, CSRFProtect
from werkzeug.http import HTTP_STATUS_CODES

from voice_router.platform import ui_sessions
from voice_router.platform.clock import iso
from voice_router.web.context import runtime
from voice_router.web.ui.access import current_caller
from voice_router.web.ui.answers import messages
from voice_router.web.ui.wording import plural

log = logging.getLogger(__name__)

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
SESSION_LIFETIME = ui_sessions.LIFETIME  # the cookie lasts as long as the server's session

bp = Blueprint("ui", __name__, template_folder=str(TEMPLATES))
csrf = CSRFProtect()

# Nothing on these pages needs a script: forbid every script, and anything from elsewhere.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)


@functools.cache
def _process_key() -> str:
    log.warning(
        "ui.secret_key.generated",
        extra={"hint": "set secret_key (VOICE_ROUTER_SECRET_KEY) when several processes serve"},
    )
    return secrets.token_hex(32)


def secret_key(configured: str) -> str:
    """The key that signs UI session cookies and CSRF tokens: the `secret_key` setting, else
    one random key for this process (sessions then do not survive a restart, and several
    processes behind one address must share a configured key)."""
    return configured.strip() or _process_key()


@bp.record_once
def configure_app(state: BlueprintSetupState) -> None:
    app = state.app
    base_url = app.extensions["voice_router"].settings.base_url
    app.config.update(
        SESSION_COOKIE_NAME="voice_router_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=base_url.lower().startswith("https://"),
        PERMANENT_SESSION_LIFETIME=SESSION_LIFETIME,
        # A form stays usable as long as the session that issued it.
        WTF_CSRF_TIME_LIMIT=int(SESSION_LIFETIME.total_seconds()),
    )


@bp.after_request
def security_headers(response: Response) -> Response:
    response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("Cache-Control", "no-store")
    return response


TITLES = {
    400: "That did not work",
    403: "Not allowed",
    404: "Page not found",
    405: "Not something this page does",
    413: "Too much at once",
    500: "Something went wrong",
    503: "Busy right now",
}
# What a person can do about it, where the API's message is for programs.
ADVICE = {
    404: "There is nothing at {path}: the link may be mistyped or out of date, or what it "
    "pointed to was merged away or erased.",
    405: "{path} does not take that kind of request. Use the buttons and links on the pages.",
    500: "Something went wrong on our side and it has been logged. Try again in a moment; if "
    "it keeps happening, tell whoever runs voice-router.",
    503: "voice-router cannot answer right now. Wait a minute and try again.",
}


def _signed_in() -> Any:
    """Who is signed in, for the error page's header; nobody when that cannot be known
    without the database the error may be about."""
    if "ui_caller" in g:
        return g.ui_caller
    try:
        return current_caller()
    except Exception:  # a failing database: the page still answers, without a name
        log.warning("ui.error_page.caller_unknown", exc_info=True)
        return None


def sentence(text: str) -> str:
    text = text.strip()
    if not text:
        return text
    text = text[0].upper() + text[1:]
    return text if text.endswith((".", "!", "?")) else text + "."


def error_page(status: int, title: str, message: str) -> Response:
    caller = None if status == 503 else _signed_in()  # 503: the database may be the trouble
    page = render_template(
        "ui/error.html", caller=caller, status=status, title=title, message=message
    )
    # Also for URLs that matched no UI route, where the blueprint's after_request does not run.
    return security_headers(make_response(page, status))


def page_for_error(status: int, code: str, message: str) -> Response:
    """Every error under the UI's paths, as an HTML page (registered by `create_app` with
    voice_router.web.errors, which decides status and message for the API too)."""
    title = TITLES.get(status) or HTTP_STATUS_CODES.get(status, code)
    advice = ADVICE.get(status)
    text = advice.format(path=request.path) if advice else sentence(message)
    return error_page(status, title, text)


@bp.errorhandler(CSRFError)
def _csrf_failed(exc: CSRFError) -> ResponseReturnValue:
    log.info("ui.csrf_rejected", extra={"reason": exc.description})
    return error_page(
        400,
        "This form could not be accepted",
        "It has expired or did not come from this site. Go back, reload the page and try again.",
    )


@bp.app_template_filter("http_url")
def http_url(url: Any) -> str | None:
    """The URL when it is an absolute http(s) address, else None: customer-supplied links
    (`javascript:`, `data:`, relative paths) are shown as text, never as links."""
    if not isinstance(url, str) or not url.strip():
        return None
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return None
    if parts.scheme.lower() in ("http", "https") and parts.netloc:
        return url.strip()
    return None


@bp.app_template_filter("moment")
def moment(value: Any) -> str:
    """An ISO timestamp (as the core serialises it) for people: `2026-11-20 10:00 UTC`."""
    if value is None:
        return "—"
    text = value if isinstance(value, str) else iso(value) or ""
    return text.replace("T", " ")[:16] + " UTC" if len(text) >= 16 else text


bp.add_app_template_global(messages, "messages")
bp.add_app_template_filter(plural, "plural")


@bp.app_context_processor
def _currency() -> dict[str, str]:
    return {"currency": runtime().settings.currency}


@bp.app_template_filter("money")
def money(value: Any) -> str:
    if value is None:
        return "—"
    return f"{float(value):,.0f}"


@bp.app_template_filter("signed")
def signed(value: Any) -> str:
    return f"{int(value):+d}" if value else "0"
