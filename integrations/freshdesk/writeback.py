"""Freshdesk write-back: a private note on a ticket, through API v2.

    POST {api_base}/api/v2/tickets/{ticket_id}/notes
    Authorization: Basic base64(<api_key>:X)
    Content-Type: application/json
    {"body": "<the note as HTML>", "private": true}
    -> 201 Created, the note: {"id": ..., "body": ..., "private": true, ...}

`"private": true` keeps the note to agents; no `notify_emails` are sent, so nobody is
e-mailed. The note body is HTML, so the text is HTML-escaped and line breaks become
`<br>`. `api_base` is `https://<domain>.freshdesk.com`; `api_token` is an agent's API key
(Profile settings > View API key), sent as the Basic user name with the password `X`.

Sources:
* https://developers.freshdesk.com/api/#add_note_to_a_ticket (`body` HTML, `private`)
* https://developers.freshdesk.com/api/#authentication and
  https://support.freshdesk.com/en/support/solutions/articles/50000003346-api-key-based-authentication
  (API key as the Basic user name, `X` as password)
* STATUS_DOCS (400 validation, 401 authentication, 403 access denied, 404, 409, 429: the
  table below)
* Error bodies (`description` plus `errors: [{field, message, code}]`, or `{code, message}`):
  Freshdesk's API reference, section "Error"; not confirmed from the pages above.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from integrations.writeback import (
    Exchange,
    HttpNoteClient,
    NoteExample,
    NoteResult,
    html_note,
    json_body,
    permanent,
    ticket_segment,
    transient,
)

if TYPE_CHECKING:  # imported where used: start-up need not load it
    import requests

TICKET_ID = re.compile(r"[0-9]+")

STATUS_DOCS = (
    "https://support.freshdesk.com/support/solutions/articles/225440-status-codes-and-its-reasons"
)
# Freshdesk's "Status codes and its reasons" article, for adding a note.
STATUSES = {
    400: permanent(
        "bad_request",
        "Client or Validation Error: The request body/query string is not in the correct format.",
    ),
    401: permanent(
        "unauthorized",
        "Authentication Failure: Indicates that the Authorization header is either missing "
        "or incorrect.",
    ),
    403: permanent(
        "forbidden",
        "Access Denied: This indicates that the agent whose credentials were used in making "
        "this request was not authorized to perform this API call.",
    ),
    404: permanent("not_found", "Requested Resource not Found"),
    405: permanent("method_not_allowed", "Method not allowed"),
    406: permanent("not_acceptable", "Unsupported Accept Header"),
    409: permanent(
        "conflict",
        "Inconsistent/Conflicting State: the resource being created/updated is in an "
        "inconsistent or conflicting state",
    ),
    415: permanent("unsupported_media_type", "Unsupported Content-type"),
    429: transient("rate_limited", "Rate Limit Exceeded: wait for Retry-After seconds"),
    500: transient("unavailable", "Unexpected Server Error: worth another try later"),
}


EXAMPLE = NoteExample(
    "4001",
    (
        Exchange(
            "POST",
            "/api/v2/tickets/4001/notes",
            201,
            answer={"id": 43001, "ticket_id": 4001, "private": True, "body": "..."},
        ),
    ),
    note_id="43001",
)


class Client(HttpNoteClient):
    kind = "freshdesk"
    statuses = STATUSES

    def __init__(self, api_base: str, api_token: str, timeout: float = 10.0) -> None:
        super().__init__(api_base, timeout)
        self.session.auth = (api_token.strip(), "X")

    def post_internal_note(self, ticket_id: str, text: str) -> NoteResult:
        ticket = ticket_segment(self.kind, ticket_id, TICKET_ID)
        body = {"body": html_note(text), "private": True}
        response = self.request("POST", f"/api/v2/tickets/{ticket}/notes", json=body)
        return NoteResult(_note_id(response))

    def error_text(self, data: Any) -> str | None:
        if not isinstance(data, dict):
            return None
        parts = [str(data[k]) for k in ("description", "message") if data.get(k)]
        errors = data.get("errors")
        for error in errors if isinstance(errors, list) else []:
            if isinstance(error, dict) and error.get("message"):
                field = f"{error['field']}: " if error.get("field") else ""
                code = f" ({error['code']})" if error.get("code") else ""
                parts.append(f"{field}{error['message']}{code}")
        if not parts and data.get("code"):
            parts.append(str(data["code"]))
        return "; ".join(parts) or None


def _note_id(response: requests.Response) -> str | None:
    data = json_body(response)
    note = data.get("id") if isinstance(data, dict) else None
    return str(note) if note is not None and not isinstance(note, bool) else None
