"""Help Scout write-back: a note thread on a conversation, through Mailbox API 2.0.

    POST {api_base}/v2/conversations/{conversation_id}/notes
    Authorization: Bearer <api_token>          (an OAuth2 access token)
    Content-Type: application/json
    {"text": "<the note as HTML>"}
    -> 201 Created, the new thread's id in the `Resource-ID` header

A note thread is only ever shown to Help Scout users, never sent to the customer. Thread
bodies are HTML in Help Scout, so the text is HTML-escaped and line breaks become `<br>`.
The note is written by the user who owns the token (no `user` field is sent); no `status`
is sent, so Help Scout applies its default to the conversation.

Sources:
* https://developer.helpscout.com/mailbox-api/endpoints/conversations/threads/note/
* https://developer.helpscout.com/mailbox-api/overview/authentication/ (Bearer token)
* https://developer.helpscout.com/mailbox-api/overview/errors/ (`message`, `_embedded.errors`)
* https://developer.helpscout.com/mailbox-api/overview/rate-limiting/ (429; the wait in
  `X-RateLimit-Retry-After`, header name taken from a summary of that page; a standard
  Retry-After is read too)
"""

from __future__ import annotations

import re
from typing import Any

import requests

from integrations.writeback import (
    HttpNoteClient,
    NoteResult,
    html_note,
    parse_retry_after,
    ticket_segment,
)

CONVERSATION_ID = re.compile(r"[0-9]+")


class Client(HttpNoteClient):
    kind = "helpscout"
    default_api_base = "https://api.helpscout.net"

    def __init__(self, api_base: str, api_token: str, timeout: float = 10.0) -> None:
        super().__init__(api_base, timeout)
        self.session.headers["Authorization"] = f"Bearer {api_token.strip()}"

    def post_internal_note(self, ticket_id: str, text: str) -> NoteResult:
        conversation = ticket_segment(self.kind, ticket_id, CONVERSATION_ID)
        response = self.request(
            "POST", f"/v2/conversations/{conversation}/notes", json={"text": html_note(text)}
        )
        return NoteResult(response.headers.get("Resource-ID") or None)

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
