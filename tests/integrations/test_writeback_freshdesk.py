"""integrations/freshdesk/writeback.py against a real HTTP server on loopback: one private note
per call, `POST /api/v2/tickets/{id}/notes` with Basic auth (API key, password `X`) and an HTML
body, the note id from the answer, and every failure mapped."""

from __future__ import annotations

import base64

import pytest
from pytest_httpserver import HTTPServer

from integrations.freshdesk.writeback import STATUS_DOCS, STATUSES, Client
from integrations.registry import make_client
from integrations.writeback import NoteResult
from tests.integrations import helpdesks

API_KEY = "sFv3xQ9LkTn2Wd7YpR4b"
BASIC = "Basic " + base64.b64encode(b"sFv3xQ9LkTn2Wd7YpR4b:X").decode("ascii")
SENT_HEADERS = {"Authorization": BASIC, "Content-Type": "application/json"}
NOTES = "/api/v2/tickets/4001/notes"


def created(note_id: int = 43001) -> dict:
    return {"id": note_id, "ticket_id": 4001, "private": True, "body": "...", "incoming": False}


client = helpdesks.client_fixture("freshdesk", API_KEY, Client)


def test_posts_one_private_html_note_and_returns_its_id(
    client: Client, httpserver: HTTPServer
) -> None:
    httpserver.expect_ordered_request(
        NOTES,
        method="POST",
        headers=SENT_HEADERS,
        json={"body": "The SSO login loop is fixed.<br>Tell Li Wei.", "private": True},
    ).respond_with_json(created(), status=201)

    result = client.post_internal_note("4001", "The SSO login loop is fixed.\nTell Li Wei.")

    assert result == NoteResult(note_id="43001")
    request = helpdesks.only_request(httpserver)
    assert request.headers["Authorization"] == BASIC


def test_hostile_text_arrives_html_escaped_with_line_breaks(
    client: Client, httpserver: HTTPServer
) -> None:
    httpserver.expect_oneshot_request(
        NOTES,
        method="POST",
        json={
            "body": "Li &lt;img src=x onerror=alert(1)&gt; &amp; Olga<br><br>"
            "https://initech.example/?a=1&amp;b=2",
            "private": True,
        },
    ).respond_with_json(created(), status=201)

    client.post_internal_note(
        "4001", "Li <img src=x onerror=alert(1)> & Olga\r\n\nhttps://initech.example/?a=1&b=2"
    )

    httpserver.check_assertions()
    assert "<img" not in httpserver.log[0][0].get_json()["body"]


@pytest.mark.parametrize(
    ("status", "body", "reason", "said"),
    [
        (
            400,
            {
                "description": "Validation failed",
                "errors": [
                    {"field": "body", "message": "It should not be blank", "code": "missing_field"}
                ],
            },
            "bad_request",
            "Validation failed; body: It should not be blank (missing_field)",
        ),
        (
            401,
            {"code": "invalid_credentials", "message": "You have to be logged in to perform this"},
            "unauthorized",
            "You have to be logged in to perform this",
        ),
        (
            403,
            {"code": "access_denied", "message": "You are not authorized to perform this action."},
            "forbidden",
            "You are not authorized",
        ),
        (404, {}, "not_found", "NOT FOUND"),  # no body: the HTTP reason phrase is reported
        (
            422,
            {"description": "Unprocessable", "errors": [{"message": "Ticket is closed"}]},
            "invalid",
            "Unprocessable; Ticket is closed",
        ),
    ],
)
def test_refusals_are_permanent_and_say_what_freshdesk_said(
    client: Client, httpserver: HTTPServer, status: int, body: dict, reason: str, said: str
) -> None:
    if body:
        httpserver.expect_oneshot_request(NOTES, method="POST").respond_with_json(
            body, status=status
        )
    else:
        httpserver.expect_oneshot_request(NOTES, method="POST").respond_with_data("", status=status)

    helpdesks.assert_said_permanently(
        helpdesks.refusal(client, "4001"), "freshdesk", status, reason, said, API_KEY
    )
    httpserver.check_assertions()


def test_rate_limiting_is_transient_with_retry_after(
    client: Client, httpserver: HTTPServer
) -> None:
    httpserver.expect_oneshot_request(NOTES, method="POST").respond_with_json(
        {"code": "rate_limit_exceeded", "message": "You have exceeded the limit"},
        status=429,
        headers={"Retry-After": "45"},
    )

    helpdesks.assert_rate_limited(client, "4001", 45.0, "You have exceeded the limit")


@pytest.mark.parametrize("ticket_id", ["", "4001/reply", "../4001", "T-4001"])
def test_an_id_that_is_not_a_ticket_number_is_refused_unsent(
    client: Client, httpserver: HTTPServer, ticket_id: str
) -> None:
    helpdesks.assert_refused_unsent(client, httpserver, ticket_id)


def test_make_client_needs_the_account_url() -> None:
    with pytest.raises(ValueError, match="api_base"):
        make_client("freshdesk", "", API_KEY)


def test_the_status_table_quotes_freshdesks_status_codes_article() -> None:
    assert STATUS_DOCS.startswith("https://support.freshdesk.com/support/solutions/articles/225440")
    assert STATUSES[409].doc.startswith("Inconsistent/Conflicting State")
    assert not STATUSES[409].transient
    assert all(rule.doc for rule in STATUSES.values())


# Create a Note as documented at https://developers.freshdesk.com/api/#add_note_to_a_ticket,
# authenticated as https://developers.freshdesk.com/api/#authentication says.
DOCUMENTED = {
    "method": "POST",
    "path": "/api/v2/tickets/{id}/notes",
    "headers": {"Authorization": BASIC, "Content-Type": "application/json"},
    "required fields": {"body": str},
    "optional fields": {
        "private": bool,
        "incoming": bool,
        "notify_emails": list,
        "user_id": int,
        "attachments": list,
    },
}


def test_the_note_request_is_the_documented_add_note(
    client: Client, httpserver: HTTPServer
) -> None:
    httpserver.expect_oneshot_request(NOTES, method="POST").respond_with_json(created(), 201)

    client.post_internal_note("4001", "shipped")

    ((request, _),) = httpserver.log
    assert request.method == DOCUMENTED["method"]
    assert request.path == DOCUMENTED["path"].format(id="4001")
    for name, value in DOCUMENTED["headers"].items():
        assert request.headers[name] == value
    sent = request.get_json()
    helpdesks.assert_documented_fields(sent, DOCUMENTED)
    assert sent["private"] is True and "notify_emails" not in sent
