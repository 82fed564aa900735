"""Zendesk write-back: a private comment (internal note) added through a ticket update.

    PUT {api_base}/api/v2/tickets/{ticket_id}.json
    Accept: application/json
    Content-Type: application/json
    {"ticket": {"comment": {"body": "<the note, plain text>", "public": false}}}
    -> 200 {"ticket": {...}, "audit": {"events": [{"type": "Comment", "id": ...}, ...]}}

Comments are created only through the Tickets API; `"public": false` makes the comment an
internal note that end users never see. `comment.body` is plain text, so the text is sent
as is (Zendesk escapes it when it renders the note). The note id is the id of the
`Comment` event in the update's audit.

`api_base` is `https://<subdomain>.zendesk.com`. `api_token` takes one of two forms:

* `agent@example.com/token:<API token>`: HTTP Basic with user `agent@example.com/token`
  and the API token as password (Zendesk's API token authentication);
* anything else: an OAuth access token, sent as `Authorization: Bearer <api_token>`.

Zendesk has no merged-ticket redirect: a merged ticket is closed, and a private comment on
it is still accepted (or refused with 422 when the ticket can no longer be updated).

Sources:
* STATUS_DOCS ("You must set an Accept: application/json header on all requests", the
  status codes; the table below)
* https://developer.zendesk.com/rest_api/docs/support/ticket_comments/ ("Creating ticket
  comments": a `comment` object in a ticket update, `PUT /api/v2/tickets/{id}.json`;
  `public` false makes a private comment)
* https://support.zendesk.com/hc/en-us/articles/4408831452954 (Basic
  `{email_address}/token:{api_token}`, or `Authorization: Bearer <oauth_access_token>`)
* https://developer.zendesk.com/documentation/api-basics/best-practices/best-practices-for-avoiding-rate-limiting
  (429, the wait in the Retry-After header)
* Error bodies (`error`, `description`, `details`): the zendesk_api client's RecordInvalid
  handling; not shown on the pages above.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from integrations.writeback import (
    Exchange,
    HttpNoteClient,
    NoteExample,
    NoteResult,
    json_body,
    permanent,
    plain_note,
    ticket_segment,
    transient,
)

if TYPE_CHECKING:  # imported where used: start-up need not load it
    import requests

TICKET_ID = re.compile(r"[0-9]+")
API_TOKEN_FORM = re.compile(r"(?P<user>[^\s:]+/token):(?P<token>\S+)")

STATUS_DOCS = "https://developer.zendesk.com/api-reference/introduction/requests/"
# The status codes section of Zendesk's "Requests" page, for a ticket update.
STATUSES = {
    400: permanent("bad_request", "400 range: the request was not successful (bad request)"),
    401: permanent("unauthorized", "the credentials are missing or wrong"),
    403: permanent("forbidden", "the agent may not update this ticket"),
    404: permanent("not_found", "no such ticket (or deleted)"),
    409: transient(
        "conflict",
        "another update of the same ticket was being applied at the same time; retry later",
    ),
    422: permanent("invalid", "Unprocessable Entity: the update is refused (e.g. closed ticket)"),
    429: transient(
        "rate_limited",
        "Too Many Requests: wait for Retry-After seconds (https://developer.zendesk.com/"
        "documentation/api-basics/best-practices/best-practices-for-avoiding-rate-limiting)",
    ),
    500: transient("unavailable", "500 range: a problem at Zendesk; worth another try later"),
    503: transient("unavailable", "Service Unavailable: maintenance or overload; retry later"),
}


EXAMPLE = NoteExample(
    "2001",
    (
        Exchange(
            "PUT",
            "/api/v2/tickets/2001.json",
            answer={
                "ticket": {"id": 2001},
                "audit": {"id": 7001, "events": [{"id": 9002, "type": "Comment"}]},
            },
        ),
    ),
    note_id="9002",
)


class Client(HttpNoteClient):
    kind = "zendesk"
    statuses = STATUSES

    def __init__(self, api_base: str, api_token: str, timeout: float = 10.0) -> None:
        super().__init__(api_base, timeout)
        self.session.headers["Accept"] = "application/json"
        credential = api_token.strip()
        basic = API_TOKEN_FORM.fullmatch(credential)
        if basic:
            self.session.auth = (basic["user"], basic["token"])
        else:
            self.session.headers["Authorization"] = f"Bearer {credential}"

    def post_internal_note(self, ticket_id: str, text: str) -> NoteResult:
        ticket = ticket_segment(self.kind, ticket_id, TICKET_ID)
        body = {"ticket": {"comment": {"body": plain_note(text), "public": False}}}
        response = self.request("PUT", f"/api/v2/tickets/{ticket}.json", json=body)
        return NoteResult(_comment_id(response))

    def error_text(self, data: Any) -> str | None:
        """`{"error": code | {"title", "message"}, "description", "details": {field: [...]}}`."""
        if not isinstance(data, dict):
            return None
        error = data.get("error")
        if isinstance(error, dict):
            parts = [str(error[k]) for k in ("title", "message") if error.get(k)]
        else:
            parts = [str(p) for p in (error, data.get("description")) if p]
        details = data.get("details")
        for field, problems in details.items() if isinstance(details, dict) else ():
            for problem in problems if isinstance(problems, list) else [problems]:
                said = problem.get("description") if isinstance(problem, dict) else problem
                if said:
                    parts.append(f"{field}: {said}")
        return "; ".join(parts) or None


def _comment_id(response: requests.Response) -> str | None:
    data = json_body(response)
    audit = data.get("audit") if isinstance(data, dict) else None
    events = audit.get("events") if isinstance(audit, dict) else None
    for event in events if isinstance(events, list) else []:
        if isinstance(event, dict) and event.get("type") == "Comment" and event.get("id"):
            return str(event["id"])
    return None
