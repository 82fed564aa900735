"""Front write-back: a comment on a conversation, through the Core API.

    POST {api_base}/conversations/{conversation_id}/comments
    Authorization: Bearer <api_token>
    Content-Type: application/json
    {"body": "<the note>"}
    -> 201 Created, the comment: {"id": "com_...", ...}

Comments are Front's internal discussion between teammates: they are never sent to the
customer. No `author_id` is sent, so Front posts the comment as the bot teammate of the API
token (or OAuth client). The body is Markdown; voice-router's plain text is sent unchanged
(line breaks kept), since plain text is valid Markdown, and what customers wrote in it (their
name, subject, account) comes through `literal`, every punctuation character escaped, so it
shows as written and never becomes a link, an image or formatting. Conversation ids look like
`cnv_5001`, the form the Front adapter records.

`api_token` is an API token (Settings > Developers > API tokens) with the `comments:write`
scope, or an OAuth access token. `api_base` defaults to `https://api2.frontapp.com`.

A merged conversation answers `301`, redirecting to the conversation it was merged into.
The client reads the surviving conversation's id from `Location` (same host only), posts
the same comment there (a POST, never turned into a GET), at most MAX_MERGE_HOPS times, and
reports the surviving conversation in its result.

Sources:
* https://dev.frontapp.com/reference/add-comment (`POST /conversations/{id}/comments`,
  scope `comments:write`; "301: If the conversation has been merged, the response
  redirects you to the merged conversation." in Front's OpenAPI description,
  tests/fixtures/specs/front-core-api.extract.json)
* https://dev.frontapp.com/changelog/core-api-support-api-owned-comments (`author_id`
  optional: the comment is posted by a bot teammate for the token)
* https://dev.frontapp.com/docs/authentication (`Authorization: Bearer <token>`)
* https://dev.frontapp.com/reference/response-body-structure (errors:
  `{"_error": {"status", "title", "message", "details"}}`)
* https://dev.frontapp.com/docs/rate-limiting (429 when over the company's limit)
* STATUS_DOCS (the table below)
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
    json_body,
    markdown_literal,
    permanent,
    plain_note,
    ticket_segment,
    transient,
)

from .parse import APP_URL

if TYPE_CHECKING:  # imported where used: start-up need not load it
    import requests

CONVERSATION_ID = re.compile(r"cnv_[0-9A-Za-z]+")
MERGED_INTO = re.compile(r"/conversations/(cnv_[0-9A-Za-z]{1,64})(?:/comments)?/?")

STATUS_DOCS = "https://dev.frontapp.com/reference/add-comment"
# Add comment documents 201 and 301 (Front's OpenAPI description); Front's other answers
# carry its `_error` body (https://dev.frontapp.com/reference/response-body-structure) and
# mean what HTTP says they mean. 301 is followed by post_internal_note; it reaches this
# table only when it cannot be (another host, a loop, too many hops).
STATUSES = {
    301: permanent(
        "merged",
        "If the conversation has been merged, the response redirects you to the merged "
        "conversation.",
    ),
    400: permanent("bad_request", "the body did not satisfy the endpoint's requirements"),
    401: permanent("unauthorized", "the API token is missing, invalid or revoked"),
    403: permanent("forbidden", "the token lacks the comments:write scope or inbox access"),
    404: permanent("not_found", "no such conversation"),
    409: permanent("conflict", "the request clashes with the conversation's state"),
    422: permanent("invalid", "the request was well formed but cannot be processed"),
    429: transient(
        "rate_limited",
        "over the company's rate limit: wait Retry-After seconds "
        "(https://dev.frontapp.com/docs/rate-limiting)",
    ),
    500: transient("unavailable", "server error: worth another try later"),
    503: transient("unavailable", "service unavailable: worth another try later"),
}


EXAMPLE = NoteExample(
    "cnv_5001",
    (Exchange("POST", "/conversations/cnv_5001/comments", 201, answer={"id": "com_1a2b3c"}),),
    note_id="com_1a2b3c",
)


class Client(HttpNoteClient):
    kind = "front"
    default_api_base = "https://api2.frontapp.com"
    statuses = STATUSES

    def __init__(self, api_base: str, api_token: str, timeout: float = 10.0) -> None:
        super().__init__(api_base, timeout)
        self.session.headers["Authorization"] = f"Bearer {api_token.strip()}"

    def post_internal_note(self, ticket_id: str, text: str) -> NoteResult:
        asked = conversation = ticket_segment(self.kind, ticket_id, CONVERSATION_ID)
        body = {"body": plain_note(text)}
        seen = {conversation}
        while True:
            response = self.send("POST", f"/conversations/{conversation}/comments", json=body)
            if response.status_code != 301 or len(seen) > MAX_MERGE_HOPS:
                break
            survivor = self.moved_to(response, MERGED_INTO)
            if survivor is None or survivor in seen:
                break
            response.close()
            seen.add(survivor)
            conversation = survivor
        comment = _comment_id(self.checked(response))
        if conversation == asked:
            return NoteResult(comment)
        return NoteResult(comment, conversation, APP_URL.format(id=conversation))

    def literal(self, text: str) -> str:
        return markdown_literal(text)

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
