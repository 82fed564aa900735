"""Help Scout write-back: a note thread on a conversation, through Mailbox API 2.0.

    POST {api_base}/v2/conversations/{conversation_id}/notes
    Authorization: Bearer <access token>
    Content-Type: application/json
    {"text": "<the note as HTML>"}
    -> 201 Created, the new thread's id in the `Resource-ID` header

A note thread is only ever shown to Help Scout users, never sent to the customer. Thread
bodies are HTML in Help Scout, so the text is HTML-escaped and line breaks become `<br>`.
The note is written by the user who owns the token (no `user` field is sent); no `status`
is sent, so Help Scout applies its default to the conversation.

Credentials: the app id and secret of an OAuth2 app (client credentials: the client fetches
and renews its own tokens, integrations/helpscout/oauth.py; after a 401 it fetches a fresh
token and sends the request once more), or a static access token (`api_token`), which
stops working when it expires.

A merged conversation is no longer reachable by its old id: the note answers 404, and
`GET /v2/conversations/{old id}` answers 301 with the surviving conversation in `Location`.
So after a 404 the client looks the conversation up, follows that 301 (on the same host, at
most MAX_MERGE_HOPS times), reads the surviving conversation (for its web URL) and posts
the note there. A 404 on the lookup too means the conversation was deleted.

Sources:
* https://developer.helpscout.com/mailbox-api/endpoints/conversations/threads/note/
* https://developer.helpscout.com/mailbox-api/endpoints/conversations/update/ and
  .../conversations/delete ("Moved or merged conversations": the old id answers 404, Get
  Conversation answers 301 with a Location header; call it to find the new location)
* https://developer.helpscout.com/mailbox-api/overview/authentication/ (Bearer token)
* https://developer.helpscout.com/mailbox-api/overview/errors/ (`message`, `_embedded.errors`)
* STATUS_DOCS (the meaning of each status code, table below)
* https://developer.helpscout.com/mailbox-api/overview/rate-limiting/ (429; the wait in
  `X-RateLimit-Retry-After`, header name taken from a summary of that page; a standard
  Retry-After is read too)
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from integrations.writeback import (
    MAX_MERGE_HOPS,
    Exchange,
    HttpNoteClient,
    NoteExample,
    NoteResult,
    WritebackPermanent,
    html_note,
    json_body,
    parse_retry_after,
    permanent,
    ticket_segment,
    transient,
)

from .oauth import TokenSource, token_source
from .parse import WEB_URL

if TYPE_CHECKING:  # imported where used: start-up need not load it
    import requests

CONVERSATION_ID = re.compile(r"[0-9]+")
CONVERSATION_PATH = re.compile(r"/v2/conversations/([0-9]{1,20})/?")

STATUS_DOCS = "https://developer.helpscout.com/mailbox-api/overview/status_codes/"
# What Help Scout's status codes page says each one means, and what that means for a note.
STATUSES = {
    400: permanent(
        "bad_request",
        "Bad Request: Client error - the request doesn't meet all requirements, see error messages",
    ),
    401: permanent(
        "unauthorized", "Not Authorized: OAuth2 token is either not provided or not valid"
    ),
    403: permanent(
        "forbidden",
        "Access denied: Your OAuth2 token is valid, but you are denied access - the "
        "response should contain details",
    ),
    404: permanent(
        "not_found", "Not Found: Resource was not found - it doesn't exist or it was deleted"
    ),
    409: permanent(
        "conflict",
        "Conflict: Resource cannot be created because conflicting entity already exists",
    ),
    412: permanent(
        "precondition_failed",
        "Precondition failed: The request was well formed and valid, but some other "
        "conditions were not met.",
    ),
    413: permanent(
        "too_large",
        "Payload Too Large: The payload of the request is larger than limit for the endpoint",
    ),
    415: permanent(
        "unsupported_media_type",
        "Unsupported Media Type: The API is unable to work with the provided payload",
    ),
    423: permanent("locked", "Locked: Resource cannot be modified because of reached limit"),
    429: transient("rate_limited", "Too Many Requests (rate-limiting page: wait and retry)"),
    500: transient("unavailable", "server error: worth another try later"),
    503: transient("unavailable", "service unavailable: worth another try later"),
}


EXAMPLE = NoteExample(
    "1001",
    (Exchange("POST", "/v2/conversations/1001/notes", 201, headers={"Resource-ID": "2279051"}),),
    note_id="2279051",
)


class Client(HttpNoteClient):
    kind = "helpscout"
    app_credentials = True
    default_api_base = "https://api.helpscout.net"
    statuses = STATUSES

    def __init__(
        self,
        api_base: str,
        api_token: str = "",
        timeout: float = 10.0,
        *,
        app_id: str = "",
        app_secret: str = "",
    ) -> None:
        super().__init__(api_base, timeout)
        self.tokens: TokenSource | None = None
        if app_id.strip() and app_secret.strip():
            self.tokens = token_source(self.api_base, app_id.strip(), app_secret.strip(), timeout)
        else:
            self.session.headers["Authorization"] = f"Bearer {api_token.strip()}"

    def send(
        self, method: str, path: str, json: Any = None, headers: Any = None
    ) -> requests.Response:
        """With app credentials: the current token, and after a 401 a fresh one, once."""
        if self.tokens is None:
            return super().send(method, path, json, headers)
        token = self.tokens.token()
        response = super().send(method, path, json, {"Authorization": f"Bearer {token}"})
        if response.status_code != 401:
            return response
        response.close()
        self.tokens.expire(token)
        fresh = self.tokens.token()
        return super().send(method, path, json, {"Authorization": f"Bearer {fresh}"})

    def post_internal_note(self, ticket_id: str, text: str) -> NoteResult:
        conversation = ticket_segment(self.kind, ticket_id, CONVERSATION_ID)
        body = {"text": html_note(text)}
        response = self.send("POST", f"/v2/conversations/{conversation}/notes", json=body)
        moved: tuple[str, str] | None = None
        if response.status_code == 404:
            moved = self.surviving_conversation(conversation)
            if moved is not None:
                response.close()
                path = f"/v2/conversations/{moved[0]}/notes"
                response = self.send("POST", path, json=body)
        self.checked(response)
        note = response.headers.get("Resource-ID") or None
        return NoteResult(note, *moved) if moved else NoteResult(note)

    def surviving_conversation(self, conversation: str) -> tuple[str, str] | None:
        """(id, web URL) of the conversation `conversation` was merged into, or None when it
        was not merged (the 404 stands)."""
        current, seen = conversation, {conversation}
        while True:
            response = self.send("GET", f"/v2/conversations/{current}")
            if response.status_code == 301:
                following = self.moved_to(response, CONVERSATION_PATH)
                if following is None or following in seen or len(seen) > MAX_MERGE_HOPS:
                    raise WritebackPermanent(
                        f"helpscout: conversation {conversation} was merged, and voice-router "
                        f"does not follow it to {response.headers.get('Location', 'nowhere')}",
                        reason="merged",
                        status=301,
                    )
                seen.add(following)
                current = following
                continue
            if response.status_code == 404:
                return None
            data = json_body(self.checked(response))
            if current == conversation:
                return None  # still there, not merged: the note's 404 was about something else
            number = data.get("number") if isinstance(data, dict) else None
            shown = str(number) if isinstance(number, int | str) and str(number).isdigit() else ""
            return current, WEB_URL + current + (f"/{shown}" if shown else "")

    def error_text(self, data: Any) -> str | None:
        """`{"message", "_embedded": {"errors": [{"path", "message"}]}}`, or an OAuth error."""
        if not isinstance(data, dict):
            return None
        details = []
        embedded = data.get("_embedded")
        errors = embedded.get("errors") if isinstance(embedded, dict) else None
        for error in errors if isinstance(errors, list) else []:
            if isinstance(error, dict) and error.get("message"):
                path = error.get("path")
                details.append(f"{path}: {error['message']}" if path else str(error["message"]))
        head = data.get("message") or data.get("error_description") or data.get("error")
        parts = [str(head)] if head else []
        return ": ".join([*parts, "; ".join(details)] if details else parts) or None

    def retry_after(self, response: requests.Response) -> float | None:
        header = response.headers.get("X-RateLimit-Retry-After")
        return parse_retry_after(header) if header else super().retry_after(response)
