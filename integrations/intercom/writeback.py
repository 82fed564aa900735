"""Intercom write-back: an admin note on a conversation, through the REST API.

    GET  {api_base}/me                       (once per process and token: the token's admin)
    POST {api_base}/conversations/{conversation_id}/reply
    Authorization: Bearer <api_token>
    Intercom-Version: 2.14
    Accept: application/json
    Content-Type: application/json
    {"message_type": "note", "type": "admin", "admin_id": "<id from /me>", "body": "<html>"}
    -> 200, the conversation; the new note is its last `note` conversation part

A reply with `message_type` `note` is visible to teammates only. Note bodies accept HTML,
so the text is HTML-escaped and line breaks become `<br>`. Intercom requires an author
(`admin_id`): the admin the access token belongs to, looked up with `GET /me` once per
process and token (every client of a source shares it; a failed lookup is not remembered).

Intercom does not redirect a merged conversation: the surviving one is a new reply target
only if the agent starts from it, so the note goes to the conversation reported.

`Intercom-Version` pins the API version instead of relying on the app's default; 2.14 is
the version the current API reference documents, and the reply and `/me` shapes used here
are the same in 2.11.

Sources:
* https://developers.intercom.com/docs/references/2.17/rest-api/api.intercom.io/conversations/replyconversation
  (reply as an admin, or with a note for admins)
* https://developers.intercom.com/docs/references/1.2/rest-api/conversations/replying-to-a-conversation/
  (curl example of a note: `admin_id`, HTML body, Bearer and Accept headers)
* https://developers.intercom.com/docs/references/2.14/rest-api/api.intercom.io/admins/identifyadmin
  (`GET /me`, the currently authorised admin, `id` a string)
* https://developers.intercom.com/intercom-api-reference/reference/ (documents version 2.14)
* https://developers.intercom.com/docs/references/rest-api/errors/error-objects/ (`errors`)
* https://developers.intercom.com/docs/references/rest-api/errors/rate-limiting.md
  (429 with `X-RateLimit-Reset`, a UNIX timestamp)
* STATUS_DOCS (the table below)
* the request body and `/me` are checked against Intercom's OpenAPI description (2.14):
  tests/fixtures/specs/intercom-api-2.14.extract.json
"""

from __future__ import annotations

import hashlib
import re
import threading
import time
from typing import TYPE_CHECKING, Any

from integrations.writeback import (
    Exchange,
    HttpNoteClient,
    NoteExample,
    NoteResult,
    WritebackPermanent,
    html_note,
    json_body,
    permanent,
    ticket_segment,
    transient,
)

if TYPE_CHECKING:  # imported where used: start-up need not load it
    import requests

API_VERSION = "2.14"
CONVERSATION_ID = re.compile(r"[0-9]+")

STATUS_DOCS = "https://developers.intercom.com/docs/references/rest-api/errors/http-responses"
# Intercom's "HTTP responses" page; "4xx and 5xx responses may be returned for any request".
STATUSES = {
    400: permanent("bad_request", "Bad Request -- General client error, possibly malformed data."),
    401: permanent(
        "unauthorized", "Unauthorized -- The API Key was not authorised (or no API Key was found)."
    ),
    403: permanent("forbidden", "Forbidden -- The request is not allowed."),
    404: permanent("not_found", "Not Found -- The resource was not found."),
    405: permanent(
        "method_not_allowed", "Method Not Allowed -- The action is not allowed for this admin."
    ),
    406: permanent(
        "not_acceptable", "Not Acceptable -- The resource cannot return the client's content type."
    ),
    408: transient(
        "request_timeout",
        "Request Timeout -- The server would not wait any longer for the client.",
    ),
    409: permanent(
        "conflict",
        "Conflict - Multiple existing users match this email address - must be more specific "
        "using user_id",
    ),
    422: permanent("invalid", "Unprocessable Entity -- The data was well-formed but invalid."),
    429: transient(
        "rate_limited", "Too Many Requests -- The client has reached or exceeded a rate limit"
    ),
    500: transient("unavailable", "Internal Server Error: worth another try later"),
    502: transient("unavailable", "Bad Gateway: worth another try later"),
    503: transient("unavailable", "Service Unavailable: worth another try later"),
    504: transient("unavailable", "Gateway Timeout: worth another try later"),
}

_admins: dict[tuple[str, str], str] = {}  # (api_base, token digest) -> admin id
_admins_lock = threading.Lock()


def forget_admins() -> None:
    """Drop every remembered admin id (tests; a token that moved to another admin)."""
    with _admins_lock:
        _admins.clear()


EXAMPLE = NoteExample(
    "3001",
    (
        Exchange("GET", "/me", answer={"type": "admin", "id": "991", "name": "Carol Diaz"}),
        Exchange(
            "POST",
            "/conversations/3001/reply",
            answer={
                "type": "conversation",
                "id": "3001",
                "conversation_parts": {
                    "type": "conversation_part.list",
                    "conversation_parts": [
                        {"type": "conversation_part", "id": "5550001", "part_type": "note"}
                    ],
                },
            },
        ),
    ),
    note_id="5550001",
)


class Client(HttpNoteClient):
    kind = "intercom"
    default_api_base = "https://api.intercom.io"
    statuses = STATUSES

    def __init__(
        self, api_base: str, api_token: str, timeout: float = 10.0, api_version: str = API_VERSION
    ) -> None:
        super().__init__(api_base, timeout)
        token = api_token.strip()
        self.session.headers.update(
            {
                "Authorization": f"Bearer {token}",
                "Intercom-Version": api_version,
                "Accept": "application/json",
            }
        )
        self._admin_key = (self.api_base, hashlib.sha256(token.encode()).hexdigest())

    def admin_id(self) -> str:
        """The id of the admin who owns the token: asked once per process and token."""
        with _admins_lock:
            known = _admins.get(self._admin_key)
            if known is None:
                data = json_body(self.request("GET", "/me"))
                admin = data.get("id") if isinstance(data, dict) else None
                if admin is None or isinstance(admin, bool) or str(admin).strip() == "":
                    raise WritebackPermanent(
                        "intercom answered GET /me without an admin id", reason="no_admin"
                    )
                known = _admins[self._admin_key] = str(admin)
            return known

    def post_internal_note(self, ticket_id: str, text: str) -> NoteResult:
        conversation = ticket_segment(self.kind, ticket_id, CONVERSATION_ID)
        body = {
            "message_type": "note",
            "type": "admin",
            "admin_id": self.admin_id(),
            "body": html_note(text),
        }
        response = self.request("POST", f"/conversations/{conversation}/reply", json=body)
        return NoteResult(_note_part_id(response))

    def error_text(self, data: Any) -> str | None:
        """`{"type": "error.list", "errors": [{"code", "message"}]}`."""
        errors = data.get("errors") if isinstance(data, dict) else None
        said = []
        for error in errors if isinstance(errors, list) else []:
            if isinstance(error, dict):
                parts = [str(error[k]) for k in ("code", "message") if error.get(k)]
                if parts:
                    said.append(": ".join(parts))
        return "; ".join(said) or None

    def retry_after(self, response: requests.Response) -> float | None:
        waited = super().retry_after(response)
        if waited is not None:
            return waited
        try:
            reset = float(response.headers.get("X-RateLimit-Reset", ""))
        except ValueError:
            return None
        return max(0.0, reset - time.time())


def _note_part_id(response: requests.Response) -> str | None:
    data = json_body(response)
    listing = data.get("conversation_parts") if isinstance(data, dict) else None
    parts = listing.get("conversation_parts") if isinstance(listing, dict) else None
    notes = [
        part
        for part in (parts if isinstance(parts, list) else [])
        if isinstance(part, dict) and part.get("part_type") == "note" and part.get("id")
    ]
    return str(notes[-1]["id"]) if notes else None
