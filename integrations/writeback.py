"""Write-back: one internal (agent-only) note on a helpdesk ticket, e.g. when its fix ships.

Each helpdesk has a client in `integrations/<kind>/writeback.py` built on `HttpNoteClient`
below; `make_client` picks it by source kind. A client sends exactly one request per note
(Intercom adds one `GET /me` per client, cached) and never retries: the caller retries
`WritebackTransient` errors, honouring `retry_after`, and records `WritebackPermanent` ones
with their `reason`. A timeout after the request went out does not prove the note was not
created, so a retry after `reason == "timeout"` can, rarely, leave the note twice.
"""

from __future__ import annotations

import html
import importlib
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, ClassVar, Protocol
from urllib.parse import quote

import requests

from integrations.outbound_errors import OutboundError, OutboundTransient

WRITEBACK_KINDS = ("helpscout", "zendesk", "intercom", "freshdesk", "front")
USER_AGENT = "voice-router"
MAX_SAID_CHARS = 300

# Statuses worth another try later; every other 4xx means the request itself is refused.
TRANSIENT_REASONS = {408: "timeout", 409: "conflict", 425: "too_early", 429: "rate_limited"}
PERMANENT_REASONS = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    410: "not_found",
    413: "too_large",
    422: "invalid",
}


class WritebackError(OutboundError):
    """A note could not be posted."""

    reason = "writeback_error"


class WritebackTransient(WritebackError, OutboundTransient):
    """429, 5xx, 408/409, a timeout or a failed connection: worth another try later."""

    reason = "unavailable"


class WritebackPermanent(WritebackError):
    """The helpdesk refused the note (400/401/403/404/422 ...) or it can never be sent as is."""

    reason = "rejected"


@dataclass(frozen=True)
class NoteResult:
    note_id: str | None


class WritebackClient(Protocol):
    def post_internal_note(self, ticket_id: str, text: str) -> NoteResult: ...


def make_client(kind: str, api_base: str, api_token: str, timeout: float = 10.0) -> WritebackClient:
    """The write-back client for a source; `api_base` may be empty where the kind has a default.

    Raises ValueError for a kind without write-back (`generic`) or a missing token or base URL.
    """
    if kind not in WRITEBACK_KINDS:
        raise ValueError(f"no write-back client for kind {kind!r}")
    if not api_token.strip():
        raise ValueError(f"{kind}: api_token is empty, so write-back is off for this source")
    module = importlib.import_module(f"integrations.{kind}.writeback")
    client: WritebackClient = module.Client(api_base, api_token, timeout=timeout)
    return client


def plain_note(text: str) -> str:
    """The text with line breaks normalised to `\\n`, for APIs that take plain text."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


def html_note(text: str) -> str:
    """The text as HTML: every character shown literally, each line break a `<br>`."""
    return "<br>".join(html.escape(line) for line in plain_note(text).split("\n"))


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds from a Retry-After value (delay seconds or an HTTP date); None if unreadable."""
    if value is None or not value.strip():
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def ticket_segment(kind: str, ticket_id: str, pattern: re.Pattern[str] | None = None) -> str:
    """The ticket id as one URL path segment; an id that cannot be one is refused, unsent."""
    value = ticket_id.strip() if isinstance(ticket_id, str) else ""
    valid = bool(value) and value not in (".", "..") and value.isprintable() and " " not in value
    if not valid or (pattern is not None and not pattern.fullmatch(value)):
        raise WritebackPermanent(
            f"{kind}: {ticket_id!r} is not a ticket id", reason="bad_ticket_id"
        )
    return quote(value, safe="")


def json_body(response: requests.Response) -> Any:
    """The response's JSON, or None when the body is empty or not JSON."""
    try:
        return response.json()
    except ValueError:
        return None


def squeeze(text: str, limit: int = MAX_SAID_CHARS) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


class HttpNoteClient:
    """One `requests.Session` per client, a timeout on every call, errors mapped by status.

    Subclasses set `kind` (and `default_api_base` where the helpdesk has one host), add their
    auth to `self.session`, and may override `error_text` (what the helpdesk said, from its
    JSON error body) and `retry_after` (for a rate-limit header other than Retry-After).
    """

    kind: ClassVar[str] = "helpdesk"
    default_api_base: ClassVar[str] = ""

    def __init__(self, api_base: str, timeout: float = 10.0) -> None:
        base = (api_base or self.default_api_base).strip().rstrip("/")
        if not base.startswith(("https://", "http://")):
            raise ValueError(f"{self.kind}: api_base must be an http(s) URL, got {api_base!r}")
        self.api_base = base
        self.timeout = timeout
        self.session = requests.Session()
        self.session.headers["User-Agent"] = USER_AGENT

    def close(self) -> None:
        self.session.close()

    def request(self, method: str, path: str, json: Any = None) -> requests.Response:
        """Send one request; a 2xx answer is returned, anything else raised as WritebackError.

        Redirects are not followed: re-sending a POST elsewhere (or as a GET) is never right
        for a note, so a 3xx is reported with its Location instead.
        """
        try:
            response = self.session.request(
                method,
                self.api_base + path,
                json=json,
                timeout=self.timeout,
                allow_redirects=False,
            )
        except requests.Timeout as exc:
            raise WritebackTransient(
                f"{self.kind} did not answer within {self.timeout:g} s", reason="timeout"
            ) from exc
        except (requests.ConnectionError, requests.exceptions.ChunkedEncodingError) as exc:
            raise WritebackTransient(
                f"could not reach {self.kind} at {self.api_base} ({exc.__class__.__name__})",
                reason="connection_failed",
            ) from exc
        except requests.RequestException as exc:
            raise WritebackPermanent(
                f"could not send the request to {self.kind} ({exc.__class__.__name__})",
                reason="bad_request",
            ) from exc
        if not 200 <= response.status_code < 300:
            raise self.error_for(response)
        return response

    def error_for(self, response: requests.Response) -> WritebackError:
        status = response.status_code
        message = f"{self.kind} answered {status}: {self.said(response)}"
        if status in TRANSIENT_REASONS or status >= 500:
            return WritebackTransient(
                message,
                reason=TRANSIENT_REASONS.get(status, "unavailable"),
                status=status,
                retry_after=self.retry_after(response),
            )
        if 300 <= status < 400:
            where = response.headers.get("Location", "no Location")
            return WritebackPermanent(f"{message} (-> {where})", reason="redirected", status=status)
        return WritebackPermanent(
            message, reason=PERMANENT_REASONS.get(status, "rejected"), status=status
        )

    def said(self, response: requests.Response) -> str:
        """What the helpdesk said: its error message if it sent a known shape, else the body."""
        data = json_body(response)
        text = self.error_text(data) if data is not None else None
        if not text:
            text = response.text or response.reason or "(empty response)"
        return squeeze(text)

    def error_text(self, data: Any) -> str | None:
        return None

    def retry_after(self, response: requests.Response) -> float | None:
        return parse_retry_after(response.headers.get("Retry-After"))
