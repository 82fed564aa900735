"""Write-back: one internal (agent-only) note on a helpdesk ticket, e.g. when its fix ships.

Each helpdesk has a client in `integrations/<kind>/writeback.py` built on `HttpNoteClient`
below (its adapter's `writeback`); `registry.make_client` picks it. A client
posts one note per call and retries nothing that might have created it: the caller retries
`WritebackTransient` errors, honouring `retry_after`, and records `WritebackPermanent` ones
with their `reason`. The
extra requests a client may make are the ones its helpdesk documents: Intercom's `GET /me`
(once per process and token), Help Scout's token endpoint and its lookup of a merged
conversation, and, for a merged conversation, the same note posted on the surviving one.

Every exchange has an overall deadline, the client's `timeout` (integrations/http_exchange.py).
Only a failure to connect (`connection_failed`) proves the note was not created. A timeout
(`timeout`) or a connection closed before the answer (`connection_lost`) after the request
went out does not: the error is then `ambiguous`, and the caller records the note as failed
instead of posting it again. A 408 (`request_timeout`) says the helpdesk did not process the
request: transient, safe to resend.

What each status means comes from the helpdesk's own docs: every client module holds a
`STATUSES` table quoting them (`STATUS_DOCS` names the page); a status its table does not
list falls back to `GENERIC_STATUSES`, then to "5xx transient, anything else refused".
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from types import TracebackType
from typing import TYPE_CHECKING, Any, ClassVar, Protocol
from urllib.parse import quote, urljoin, urlsplit

from integrations import http_exchange
from integrations.outbound_errors import OutboundError, OutboundTransient

if TYPE_CHECKING:  # imported where used: start-up need not load it
    import requests

USER_AGENT = "voice-router"
MAX_SAID_CHARS = 300
MAX_MERGE_HOPS = 3  # a merged ticket merged again, and again: followed this many times at most


@dataclass(frozen=True)
class Status:
    """What one HTTP status from a helpdesk means for a note: worth another try later
    (`transient`) or refused for good, with the `reason` recorded and what the docs say."""

    transient: bool
    reason: str
    doc: str = ""


def transient(reason: str, doc: str = "") -> Status:
    return Status(True, reason, doc)


def permanent(reason: str, doc: str = "") -> Status:
    return Status(False, reason, doc)


# For statuses a helpdesk's own table does not list (HTTP's meanings, RFC 9110 / RFC 6585).
GENERIC_STATUSES: Mapping[int, Status] = {
    400: permanent("bad_request"),
    401: permanent("unauthorized"),
    403: permanent("forbidden"),
    404: permanent("not_found"),
    408: transient("request_timeout"),  # the server did not process it: safe to resend
    410: permanent("not_found"),
    413: permanent("too_large"),
    422: permanent("invalid"),
    425: transient("too_early"),
    429: transient("rate_limited"),
}


class WritebackError(OutboundError):
    """A note could not be posted."""

    reason = "writeback_error"


class WritebackTransient(WritebackError, OutboundTransient):
    """429, 5xx, 408/409, a timeout or a failed or lost connection: worth another try later
    (unless `ambiguous`: the note may have been created)."""

    reason = "unavailable"


class WritebackPermanent(WritebackError):
    """The helpdesk refused the note (400/401/403/404/422 ...) or it can never be sent as is."""

    reason = "rejected"


@dataclass(frozen=True)
class NoteResult:
    """The note's id, if the helpdesk said it. `ticket_id` and `ticket_url` are set only when
    the note went to another ticket than the one asked for: the ticket it had been merged
    into, where the customer's conversation lives now."""

    note_id: str | None
    ticket_id: str | None = None
    ticket_url: str | None = None


@dataclass(frozen=True)
class Exchange:
    """One request a client sends (`path` under `api_base`) and the answer the helpdesk
    documents for it."""

    method: str
    path: str
    status: int = 200
    answer: Any = None  # the JSON body; None for an empty one
    headers: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class NoteExample:
    """One note as the helpdesk's docs show it: the requests `post_internal_note(ticket_id,
    ...)` sends, in order (the note last), and the note id read from the answers. Every
    client module has one; the contract test replays it on a loopback server."""

    ticket_id: str
    exchanges: tuple[Exchange, ...]
    note_id: str | None


class WritebackClient(Protocol):
    def post_internal_note(self, ticket_id: str, text: str) -> NoteResult: ...

    def literal(self, text: str) -> str: ...

    def close(self) -> None: ...


class WritebackClientClass(Protocol):
    """A helpdesk's `writeback.Client` class as the registry builds it (an `HttpNoteClient`
    subclass that adds its token to the base's constructor)."""

    @property
    def kind(self) -> str: ...

    @property
    def app_credentials(self) -> bool:
        """Also takes `app_id`/`app_secret` keywords (Help Scout)."""

    @property
    def statuses(self) -> Mapping[int, Status]: ...

    def __call__(self, api_base: str, api_token: str, timeout: float = ...) -> WritebackClient: ...


def plain_note(text: str) -> str:
    """The text with line breaks normalised to `\\n`, for APIs that take plain text."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


def html_note(text: str) -> str:
    """The text as HTML: every character shown literally, each line break a `<br>`."""
    return "<br>".join(html.escape(line) for line in plain_note(text).split("\n"))


# CommonMark lets every ASCII punctuation character be escaped with a backslash, and then
# shows it as itself (https://spec.commonmark.org/0.31.2/#backslash-escapes).
MARKDOWN_PUNCTUATION = frozenset("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~")


def markdown_literal(text: str) -> str:
    """One line of text as Markdown that shows it as is: every ASCII punctuation character
    backslash-escaped, so no link, image, emphasis or HTML can form from it (a bare URL or
    e-mail address is cut up by the escapes too, where a renderer would link it)."""
    return "".join("\\" + c if c in MARKDOWN_PUNCTUATION else c for c in text)


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

    Subclasses set `kind` (and `default_api_base` where the helpdesk has one host) and
    `STATUSES` from their docs, add their auth to `self.session`, and may override
    `error_text` (what the helpdesk said, from its JSON error body) and `retry_after` (for a
    rate-limit header other than Retry-After). Close a client when done; `with` does it.
    """

    kind: ClassVar[str] = "helpdesk"
    default_api_base: ClassVar[str] = ""
    app_credentials: ClassVar[bool] = False  # takes `app_id`/`app_secret` instead of a token
    statuses: ClassVar[Mapping[int, Status]] = {}

    def __init__(self, api_base: str, timeout: float = 10.0) -> None:
        base = (api_base or self.default_api_base).strip().rstrip("/")
        if not base.startswith(("https://", "http://")):
            raise ValueError(f"{self.kind}: api_base must be an http(s) URL, got {api_base!r}")
        self.api_base = base
        self.timeout = timeout
        self.session = http_exchange.session(USER_AGENT)

    def close(self) -> None:
        self.session.close()

    def __enter__(self) -> HttpNoteClient:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()

    def request(self, method: str, path: str, json: Any = None) -> requests.Response:
        """Send one request; a 2xx answer is returned, anything else raised as WritebackError."""
        return self.checked(self.send(method, path, json))

    def send(
        self,
        method: str,
        path: str,
        json: Any = None,
        headers: Mapping[str, str] | None = None,
    ) -> requests.Response:
        """Send one request and return whatever the helpdesk answered, within `timeout`
        seconds all told (a helpdesk that trickles its answer is cut off at it); only a
        failure to get an answer (timeout, connection) is raised.

        Redirects are not followed: re-sending a POST elsewhere (or as a GET) is never right
        for a note without knowing why, so a 3xx is the caller's to read (a merged ticket)
        and is otherwise reported with its Location.
        """
        try:
            return http_exchange.exchange(
                self.session,
                method,
                self.api_base + path,
                self.timeout,
                json=json,
                headers=dict(headers) if headers else None,
            )
        except http_exchange.Failed as failed:
            raise http_exchange.error_for(
                failed,
                f"{self.kind} at {self.api_base}",
                self.timeout,
                transient=WritebackTransient,
                permanent=WritebackPermanent,
                writes=method.upper() not in ("GET", "HEAD"),  # a look-up creates nothing
            ) from failed

    def checked(self, response: requests.Response) -> requests.Response:
        if not 200 <= response.status_code < 300:
            raise self.error_for(response)
        return response

    def status(self, code: int) -> Status | None:
        """What `code` means here: this helpdesk's table, then HTTP's; None for a 3xx or a
        status nobody describes (a 5xx is then transient, anything else refused)."""
        return self.statuses.get(code) or GENERIC_STATUSES.get(code)

    def error_for(self, response: requests.Response) -> WritebackError:
        code = response.status_code
        message = f"{self.kind} answered {code}: {self.said(response)}"
        meaning = self.status(code)
        if 300 <= code < 400:
            message += f" (-> {response.headers.get('Location', 'no Location')})"
            meaning = meaning or permanent("redirected")
        if meaning is None:
            meaning = transient("unavailable") if code >= 500 else permanent("rejected")
        if meaning.transient:
            return WritebackTransient(
                message,
                reason=meaning.reason,
                status=code,
                retry_after=self.retry_after(response),
            )
        return WritebackPermanent(message, reason=meaning.reason, status=code)

    def moved_to(self, response: requests.Response, pattern: re.Pattern[str]) -> str | None:
        """The ticket id a redirect points at: its Location, on this client's own host and
        under its `api_base`, must match `pattern` (whose first group is the id)."""
        location = response.headers.get("Location", "").strip()
        if not location:
            return None
        target = urlsplit(urljoin(response.url or self.api_base + "/", location))
        base = urlsplit(self.api_base)
        if (target.scheme, target.netloc) != (base.scheme, base.netloc) or target.query:
            return None
        if not target.path.startswith(base.path + "/"):
            return None
        found = pattern.fullmatch(target.path[len(base.path) :])
        return found.group(1) if found else None

    def said(self, response: requests.Response) -> str:
        """What the helpdesk said: its error message if it sent a known shape, else the body."""
        data = json_body(response)
        text = self.error_text(data) if data is not None else None
        if not text:
            text = response.text or response.reason or "(empty response)"
        return squeeze(text)

    def error_text(self, data: Any) -> str | None:
        return None

    def literal(self, text: str) -> str:
        """Someone else's words (one line) as this helpdesk's note shows them as is, for the
        note's text: unchanged where the note is plain text or the client escapes the whole
        note (HTML); a Markdown helpdesk escapes them (Front)."""
        return text

    def retry_after(self, response: requests.Response) -> float | None:
        return parse_retry_after(response.headers.get("Retry-After"))
