"""Intercom write-back: an admin note on a conversation, through the REST API.

    GET  {api_base}/me                                  (once per client: the token's admin)
    POST {api_base}/conversations/{conversation_id}/reply
    Authorization: Bearer <api_token>
    Intercom-Version: 2.14
    Accept: application/json
    Content-Type: application/json
    {"message_type": "note", "type": "admin", "admin_id": "<id from /me>", "body": "<html>"}
    -> 200, the conversation; the new note is its last `note` conversation part

A reply with `message_type` `note` is visible to teammates only. Note bodies accept HTML,
so the text is HTML-escaped and line breaks become `<br>`. Intercom requires an author
(`admin_id`): the admin the access token belongs to, looked up once with `GET /me` and
cached for the client's lifetime.

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
"""

from __future__ import annotations

import re
import threading
import time
from typing import Any

import requests

from integrations.writeback import (
    HttpNoteClient,
    NoteResult,
    WritebackPermanent,
    html_note,
    json_body,
    ticket_segment,
)

API_VERSION = "2.14"
CONVERSATION_ID = re.compile(r"[0-9]+")


class Client(HttpNoteClient):
    kind = "intercom"
    default_api_base = "https://api.intercom.io"

    def __init__(
        self, api_base: str, api_token: str, timeout: float = 10.0, api_version: str = API_VERSION
    ) -> None:
        super().__init__(api_base, timeout)
        self.session.headers.update(
            {
                "Authorization": f"Bearer {api_token.strip()}",
                "Intercom-Version": api_version,
                "Accept": "application/json",
            }
        )
        self._admin_id: str | None = None
        self._admin_lock = threading.Lock()

    def admin_id(self) -> str:
        """The id of the admin who owns the token; asked once, then remembered."""
        with self._admin_lock:
            if self._admin_id is None:
                data = json_body(self.request("GET", "/me"))
                admin = data.get("id") if isinstance(data, dict) else None
                if admin is None or isinstance(admin, bool) or str(admin).strip() == "":
                    raise WritebackPermanent(
                        "intercom answered GET /me without an admin id", reason="no_admin"
                    )
                self._admin_id = str(admin)
            return self._admin_id

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
