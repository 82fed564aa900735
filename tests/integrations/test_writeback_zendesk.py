"""integrations/zendesk/writeback.py against a real HTTP server on loopback: one ticket update
per call, `PUT /api/v2/tickets/{id}.json` with a private plain-text comment, API-token (Basic)
or OAuth (Bearer) auth, the comment id from the audit, and every failure mapped."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest
from pytest_httpserver import HTTPServer

from integrations.registry import make_client
from integrations.writeback import NoteResult, WritebackTransient
from integrations.zendesk.writeback import STATUS_DOCS, STATUSES, Client
from tests.integrations import helpdesks

API_TOKEN = "bob@support.example/token:6wiIBWbGkBMo1mRDMuVwkw1EPsNkeUj95PIz2akv"
BASIC = "Basic " + base64.b64encode(
    b"bob@support.example/token:6wiIBWbGkBMo1mRDMuVwkw1EPsNkeUj95PIz2akv"
).decode("ascii")
OAUTH_TOKEN = "zd-oauth-3f0a9b"
TICKET = "/api/v2/tickets/2001.json"
UPDATED = {
    "ticket": {"id": 2001, "status": "open"},
    "audit": {
        "id": 7001,
        "ticket_id": 2001,
        "events": [
            {"id": 9001, "type": "Change", "field_name": "status", "value": "open"},
            {"id": 9002, "type": "Comment", "public": False, "body": "..."},
        ],
    },
}


def private(body: str) -> dict:
    return {"ticket": {"comment": {"body": body, "public": False}}}


client = helpdesks.client_fixture("zendesk", API_TOKEN, Client)


def test_adds_one_private_comment_with_api_token_auth_and_returns_its_id(
    client: Client, httpserver: HTTPServer
) -> None:
    httpserver.expect_ordered_request(
        TICKET,
        method="PUT",
        headers={"Authorization": BASIC, "Content-Type": "application/json"},
        json=private("The SSO login loop is fixed.\nTell Dev Patel."),
    ).respond_with_json(UPDATED)

    result = client.post_internal_note("2001", "The SSO login loop is fixed.\r\nTell Dev Patel.")

    assert result == NoteResult(note_id="9002")
    request = helpdesks.only_request(httpserver)
    assert request.headers["Authorization"] == BASIC


def test_a_token_without_the_api_token_form_is_sent_as_an_oauth_bearer_token(
    httpserver: HTTPServer,
) -> None:
    client = make_client("zendesk", httpserver.url_for("/"), OAUTH_TOKEN, timeout=5)
    httpserver.expect_oneshot_request(
        TICKET,
        method="PUT",
        headers={"Authorization": f"Bearer {OAUTH_TOKEN}", "Content-Type": "application/json"},
        json=private("shipped"),
    ).respond_with_json(UPDATED)

    assert client.post_internal_note("2001", "shipped") == NoteResult(note_id="9002")
    httpserver.check_assertions()
    assert httpserver.log[0][0].headers["Authorization"] == f"Bearer {OAUTH_TOKEN}"


def test_hostile_text_is_sent_as_plain_text_not_html(
    client: Client, httpserver: HTTPServer
) -> None:
    hostile = 'Dev <script>alert("x")</script> & Co\nhttps://globex.example/?a=1&b=2'
    httpserver.expect_oneshot_request(
        TICKET, method="PUT", json=private(hostile)
    ).respond_with_json(UPDATED)

    client.post_internal_note("2001", hostile)

    httpserver.check_assertions()
    comment = httpserver.log[0][0].get_json()["ticket"]["comment"]
    assert comment == {"body": hostile, "public": False}
    assert "html_body" not in comment


def test_an_update_answer_without_a_comment_event_gives_no_note_id(
    client: Client, httpserver: HTTPServer
) -> None:
    httpserver.expect_oneshot_request(TICKET, method="PUT").respond_with_json({"ticket": {}})

    assert client.post_internal_note("2001", "shipped") == NoteResult(note_id=None)


@pytest.mark.parametrize(
    ("status", "body", "reason", "said"),
    [
        (
            400,
            {"error": "InvalidValue", "description": "Comment body is malformed"},
            "bad_request",
            "InvalidValue; Comment body is malformed",
        ),
        (401, {"error": "Couldn't authenticate you"}, "unauthorized", "Couldn't authenticate you"),
        (
            403,
            {"error": {"title": "Forbidden", "message": "You do not have access to this page"}},
            "forbidden",
            "Forbidden; You do not have access to this page",
        ),
        (
            404,
            {"error": "RecordNotFound", "description": "Not found"},
            "not_found",
            "RecordNotFound; Not found",
        ),
        (
            422,
            {
                "error": "RecordInvalid",
                "description": "Record validation errors",
                "details": {
                    "status": [
                        {
                            "description": "Status: closed prevents ticket update",
                            "error": "InvalidValue",
                        }
                    ]
                },
            },
            "invalid",
            "Record validation errors; status: Status: closed prevents ticket update",
        ),
    ],
)
def test_refusals_are_permanent_and_say_what_zendesk_said(
    client: Client, httpserver: HTTPServer, status: int, body: dict, reason: str, said: str
) -> None:
    httpserver.expect_oneshot_request(TICKET, method="PUT").respond_with_json(body, status=status)

    helpdesks.assert_said_permanently(
        helpdesks.refusal(client, "2001"),
        "zendesk",
        status,
        reason,
        said,
        "6wiIBWbGkBMo1mRDMuVwkw1EPsNkeUj95PIz2akv",
    )
    httpserver.check_assertions()


def test_rate_limiting_is_transient_with_retry_after_seconds(
    client: Client, httpserver: HTTPServer
) -> None:
    httpserver.expect_oneshot_request(TICKET, method="PUT").respond_with_data(
        "Number of allowed API requests per minute exceeded",
        status=429,
        headers={"Retry-After": "93"},
    )

    helpdesks.assert_rate_limited(
        client, "2001", 93.0, "Number of allowed API requests per minute exceeded"
    )


def test_a_retry_after_date_becomes_the_seconds_until_then(
    client: Client, httpserver: HTTPServer
) -> None:
    later = format_datetime(datetime.now(UTC) + timedelta(seconds=60), usegmt=True)
    httpserver.expect_oneshot_request(TICKET, method="PUT").respond_with_data(
        "slow down", status=429, headers={"Retry-After": later}
    )

    error = helpdesks.refusal(client, "2001", WritebackTransient)
    assert error.retry_after is not None and 55 <= error.retry_after <= 60


def test_a_concurrent_update_conflict_is_transient(client: Client, httpserver: HTTPServer) -> None:
    httpserver.expect_oneshot_request(TICKET, method="PUT").respond_with_json(
        {"error": "Conflict", "description": "The ticket was updated by someone else"}, status=409
    )

    error = helpdesks.refusal(client, "2001", WritebackTransient)
    assert (error.reason, error.retry_after) == ("conflict", None)


@pytest.mark.parametrize("ticket_id", ["", "..", "2001.json", "2001/comments", "#2001"])
def test_an_id_that_is_not_a_ticket_number_is_refused_unsent(
    client: Client, httpserver: HTTPServer, ticket_id: str
) -> None:
    helpdesks.assert_refused_unsent(client, httpserver, ticket_id)


def test_every_request_asks_for_json(client: Client, httpserver: HTTPServer) -> None:
    """Zendesk: "You must set an Accept: application/json header on all requests"."""
    httpserver.expect_oneshot_request(
        TICKET, method="PUT", headers={"Accept": "application/json"}
    ).respond_with_json(UPDATED)

    client.post_internal_note("2001", "shipped")

    httpserver.check_assertions()
    assert httpserver.log[0][0].headers["Accept"] == "application/json"


def test_the_status_table_cites_zendesks_requests_page() -> None:
    assert STATUS_DOCS == "https://developer.zendesk.com/api-reference/introduction/requests/"
    assert {400, 401, 403, 404, 409, 422, 429, 500, 503} <= set(STATUSES)
    assert all(rule.doc for rule in STATUSES.values())


# The private comment as documented at
# https://developer.zendesk.com/api-reference/ticketing/tickets/ticket_comments/ ("Creating
# ticket comments": through Update Ticket, `comment` with `body` and `public`) and
# https://developer.zendesk.com/api-reference/introduction/requests/ (headers).
DOCUMENTED = {
    "method": "PUT",
    "path": "/api/v2/tickets/{ticket_id}.json",
    "headers": {"Accept": "application/json", "Content-Type": "application/json"},
    "fields": {"ticket.comment.body": str, "ticket.comment.public": bool},
}


def test_the_note_request_is_the_documented_private_comment(
    client: Client, httpserver: HTTPServer
) -> None:
    httpserver.expect_oneshot_request(TICKET, method="PUT").respond_with_json(UPDATED)

    client.post_internal_note("2001", "shipped")

    ((request, _),) = httpserver.log
    assert request.method == DOCUMENTED["method"]
    assert request.path == DOCUMENTED["path"].format(ticket_id="2001")
    for name, value in DOCUMENTED["headers"].items():
        assert request.headers[name] == value
    sent = request.get_json()
    assert list(sent) == ["ticket"] and list(sent["ticket"]) == ["comment"]
    comment = sent["ticket"]["comment"]
    assert set(comment) == {path.rsplit(".", 1)[1] for path in DOCUMENTED["fields"]}
    for path, kind in DOCUMENTED["fields"].items():
        assert isinstance(comment[path.rsplit(".", 1)[1]], kind)
    assert comment["public"] is False


def test_make_client_needs_the_account_url() -> None:
    with pytest.raises(ValueError, match="api_base"):
        make_client("zendesk", "", API_TOKEN)
