"""Front write-back: a comment on a conversation, through the Core API.

    POST {api_base}/conversations/{conversation_id}/comments
    Authorization: Bearer <api_token>
    Content-Type: application/json
    {"body": "<the note>"}
    -> 201 Created, the comment: {"id": "com_...", ...}

Comments are Front's internal discussion between teammates: they are never sent to the
customer. No `author_id` is sent, so Front posts the comment as the bot teammate of the API
token (or OAuth client). The body is Markdown; voice-router's plain text is sent unchanged
(line breaks kept), since plain text is valid Markdown. Conversation ids look like
`cnv_5001`, the form the Front adapter records.

`api_token` is an API token (Settings > Developers > API tokens) with the `comments:write`
scope, or an OAuth access token. `api_base` defaults to `https://api2.frontapp.com`.

Sources:
* https://dev.frontapp.com/reference/add-comment (`POST /conversations/{id}/comments`,
  scope `comments:write`)
* https://dev.frontapp.com/changelog/core-api-support-api-owned-comments (`author_id`
  optional: the comment is posted by a bot teammate for the token)
* https://dev.frontapp.com/docs/authentication (`Authorization: Bearer <token>`)
* https://dev.frontapp.com/reference/response-body-structure (errors:
  `{"_error": {"status", "title", "message", "details"}}`)
* https://dev.frontapp.com/docs/rate-limiting (429 when over the company's limit)
"""

from __future__ import annotations

import re
from typing import Any

import requests

from integrations.writeback import (
    HttpNoteClient,
    NoteResult,
    json_body,
    plain_note,
    ticket_segment,
)

CONVERSATION_ID = re.compile(r"cnv_[0-9A-Za-z]+")


class Client(HttpNoteClient):
    kind = "front"
    default_api_base = "https://api2.frontapp.com"

    def __init__(self, api_base: str, api_token: str, timeout: float = 10.0) -> None:
        super().__init__(api_base, timeout)
        self.session.headers["Authorization"] = f"Bearer {api_token.strip()}"

    def post_internal_note(self, ticket_id: str, text: str) -> NoteResult:
        conversation = ticket_segment(self.kind, ticket_id, CONVERSATION_ID)
        response = self.request(
            "POST", f"/conversations/{conversation}/comments", json={"body": plain_note(text)}
        )
        return NoteResult(_comment_id(response))

    def error_text(self, data: Any) -> str | None:
        error = data.get("_error") if isinstance(data, dict) else None
        if not isinstance(error, dict):
            return None
        parts = [str(error[k]) for k in ("title", "message") if error.get(k)]
        details = error.get("details")
        if isinstance(details, list):
            parts.extend(str(d) for d in details if d)
        return "; ".join(parts) or None


def _comment_id(response: requests.Response) -> str | None:
    data = json_body(response)
    comment = data.get("id") if isinstance(data, dict) else None
    return str(comment) if isinstance(comment, str) and comment else None
