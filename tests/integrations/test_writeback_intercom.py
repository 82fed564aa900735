"""integrations/intercom/writeback.py against a real HTTP server on loopback: the token's admin
from `GET /me` (asked once per process and token), then one admin note per call through
`POST /conversations/{id}/reply` with an HTML body, and every failure mapped. Every request
every test sends is checked against Intercom's OpenAPI description (tests/helpdesk_openapi.py)."""

from __future__ import annotations

import time

import pytest
from pytest_httpserver import HTTPServer

from integrations.intercom.writeback import API_VERSION, STATUS_DOCS, STATUSES, Client
from integrations.registry import make_client
from integrations.writeback import NoteResult, WritebackTransient
from tests.helpdesk_openapi import description, requests_match_openapi
from tests.integrations import helpdesks

openapi_check = requests_match_openapi("intercom")

TOKEN = "dG9rOmludGVyY29tLXRlc3Q="
READ_HEADERS = {
    "Authorization": f"Bearer {TOKEN}",
    "Intercom-Version": API_VERSION,
    "Accept": "application/json",
}
SENT_HEADERS = {**READ_HEADERS, "Content-Type": "application/json"}
REPLY = "/conversations/3001/reply"
ME = {
    "type": "admin",
    "id": "991",
    "name": "Carol Diaz",
    "email": "carol@support.example",
    "app": {"type": "app", "id_code": "abc123"},
}


def conversation(*parts: dict) -> dict:
    return {
        "type": "conversation",
        "id": "3001",
        "conversation_parts": {
            "type": "conversation_part.list",
            "conversation_parts": list(parts),
            "total_count": len(parts),
        },
    }


def note(body: str) -> dict:
    return {"message_type": "note", "type": "admin", "admin_id": "991", "body": body}


client = helpdesks.client_fixture("intercom", TOKEN, Client)


def test_asks_me_once_then_posts_one_admin_note_per_call(
    client: Client, httpserver: HTTPServer
) -> None:
    httpserver.expect_ordered_request("/me", method="GET", headers=READ_HEADERS).respond_with_json(
        ME
    )
    httpserver.expect_ordered_request(
        REPLY,
        method="POST",
        headers=SENT_HEADERS,
        json=note("The SSO login loop is fixed.<br>Tell Maria Lopez."),
    ).respond_with_json(
        conversation(
            {"type": "conversation_part", "id": "5550000", "part_type": "comment"},
            {"type": "conversation_part", "id": "5550001", "part_type": "note"},
        )
    )
    httpserver.expect_ordered_request(
        "/conversations/3002/reply", method="POST", headers=SENT_HEADERS, json=note("second")
    ).respond_with_json(
        conversation({"type": "conversation_part", "id": "5550002", "part_type": "note"})
    )

    first = client.post_internal_note("3001", "The SSO login loop is fixed.\nTell Maria Lopez.")
    second = client.post_internal_note("3002", "second")

    assert (first, second) == (NoteResult("5550001"), NoteResult("5550002"))
    httpserver.check_assertions()
    assert [r.path for r, _ in httpserver.log] == ["/me", REPLY, "/conversations/3002/reply"]
    for request, _ in httpserver.log:
        assert request.headers["Authorization"] == f"Bearer {TOKEN}"
        assert request.headers["Intercom-Version"] == API_VERSION


def test_hostile_text_arrives_html_escaped_with_line_breaks(
    client: Client, httpserver: HTTPServer
) -> None:
    httpserver.expect_ordered_request("/me", method="GET").respond_with_json(ME)
    httpserver.expect_ordered_request(
        REPLY,
        method="POST",
        json=note(
            "Maria &lt;script&gt;alert(1)&lt;/script&gt; &amp; Co<br>"
            "https://acme.example/?a=1&amp;b=2"
        ),
    ).respond_with_json(conversation())

    result = client.post_internal_note(
        "3001", "Maria <script>alert(1)</script> & Co\r\nhttps://acme.example/?a=1&b=2"
    )

    assert result == NoteResult(note_id=None)
    httpserver.check_assertions()
    assert "<script>" not in httpserver.log[1][0].get_json()["body"]


@pytest.mark.parametrize(
    ("me", "status"),
    [
        ({"type": "error.list", "errors": [{"code": "unauthorized", "message": "x"}]}, 401),
        ({"type": "admin", "name": "No id"}, 200),
    ],
)
def test_without_an_admin_no_note_is_sent(
    client: Client, httpserver: HTTPServer, me: dict, status: int
) -> None:
    httpserver.expect_oneshot_request("/me", method="GET").respond_with_json(me, status=status)

    error = helpdesks.refusal(client, "3001")
    assert error.reason == ("unauthorized" if status == 401 else "no_admin")
    assert [r.path for r, _ in httpserver.log] == ["/me"]


def test_a_failed_admin_lookup_is_asked_again_next_time(
    client: Client, httpserver: HTTPServer
) -> None:
    httpserver.expect_ordered_request("/me", method="GET").respond_with_data("", status=503)
    httpserver.expect_ordered_request("/me", method="GET").respond_with_json(ME)
    httpserver.expect_ordered_request(REPLY, method="POST", json=note("x")).respond_with_json(
        conversation({"type": "conversation_part", "id": "8", "part_type": "note"})
    )

    with pytest.raises(WritebackTransient):
        client.post_internal_note("3001", "x")
    assert client.post_internal_note("3001", "x") == NoteResult("8")
    httpserver.check_assertions()


@pytest.mark.parametrize(
    ("status", "code", "message", "reason"),
    [
        (400, "parameter_invalid", "Body is required", "bad_request"),
        (401, "unauthorized", "Access Token Invalid", "unauthorized"),
        (403, "action_forbidden", "This admin does not have Inbox access", "forbidden"),
        (404, "conversation_not_found", "Resource Not Found", "not_found"),
        (422, "unprocessable_entity", "Conversation is closed", "invalid"),
    ],
)
def test_refusals_are_permanent_and_say_what_intercom_said(
    client: Client, httpserver: HTTPServer, status: int, code: str, message: str, reason: str
) -> None:
    httpserver.expect_ordered_request("/me", method="GET").respond_with_json(ME)
    httpserver.expect_ordered_request(REPLY, method="POST").respond_with_json(
        {"type": "error.list", "request_id": "r-1", "errors": [{"code": code, "message": message}]},
        status=status,
    )

    helpdesks.assert_said_permanently(
        helpdesks.refusal(client, "3001"), "intercom", status, reason, f"{code}: {message}", TOKEN
    )
    httpserver.check_assertions()


def test_rate_limiting_is_transient_with_retry_after(
    client: Client, httpserver: HTTPServer
) -> None:
    httpserver.expect_ordered_request("/me", method="GET").respond_with_json(ME)
    httpserver.expect_ordered_request(REPLY, method="POST").respond_with_json(
        {"type": "error.list", "errors": [{"code": "rate_limit_exceeded", "message": "Slow"}]},
        status=429,
        headers={"Retry-After": "12"},
    )

    helpdesks.assert_rate_limited(client, "3001", 12.0, "rate_limit_exceeded: Slow")


def test_rate_limiting_without_retry_after_waits_until_the_reset_time(
    client: Client, httpserver: HTTPServer
) -> None:
    httpserver.expect_ordered_request("/me", method="GET").respond_with_json(ME)
    httpserver.expect_ordered_request(REPLY, method="POST").respond_with_json(
        {"type": "error.list", "errors": [{"code": "rate_limit_exceeded"}]},
        status=429,
        headers={"X-RateLimit-Reset": str(int(time.time()) + 40)},
    )

    error = helpdesks.refusal(client, "3001", WritebackTransient)
    assert error.retry_after is not None and 35 <= error.retry_after <= 40


@pytest.mark.parametrize("ticket_id", ["", "last", "3001/parts", "..", "30 01"])
def test_an_id_that_is_not_a_conversation_id_is_refused_unsent(
    client: Client, httpserver: HTTPServer, ticket_id: str
) -> None:
    helpdesks.assert_refused_unsent(client, httpserver, ticket_id)


def test_make_client_defaults_to_the_intercom_api() -> None:
    client = make_client("intercom", "", TOKEN)
    assert isinstance(client, Client) and client.api_base == "https://api.intercom.io"


def test_me_is_asked_once_per_process_and_token_whatever_the_number_of_clients(
    httpserver: HTTPServer,
) -> None:
    """Outbound makes a client per note: the admin is still looked up once per token."""
    other = "dG9rOnNlY29uZC1pbnRlcmNvbS10b2tlbg=="
    httpserver.expect_request("/me", method="GET").respond_with_json(ME)
    httpserver.expect_request(REPLY, method="POST").respond_with_json(conversation())

    for token in (TOKEN, TOKEN, TOKEN, other, other):
        with make_client("intercom", httpserver.url_for("/"), token, timeout=5) as client:
            client.post_internal_note("3001", "shipped")

    asked = [r.headers["Authorization"] for r, _ in httpserver.log if r.path == "/me"]
    assert asked == [f"Bearer {TOKEN}", f"Bearer {other}"]
    assert sum(r.path == REPLY for r, _ in httpserver.log) == 5


def test_a_client_closes_its_session(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/me", method="GET").respond_with_json(ME)
    httpserver.expect_request(REPLY, method="POST").respond_with_json(conversation())
    closed: list[bool] = []

    with make_client("intercom", httpserver.url_for("/"), TOKEN, timeout=0.5) as client:
        client.session.close = lambda: closed.append(True)  # type: ignore[method-assign]
        client.post_internal_note("3001", "shipped")

    assert closed == [True]


def test_the_status_table_quotes_intercoms_http_responses_page() -> None:
    assert STATUS_DOCS.endswith("/rest-api/errors/http-responses")
    assert STATUSES[409].doc.startswith("Conflict - Multiple existing users match")
    assert all(rule.doc for rule in STATUSES.values())


def test_the_pinned_api_version_is_one_intercom_describes() -> None:
    version = description("intercom").extract["schemas"]["intercom_version"]
    assert API_VERSION in version["enum"]
    assert description("intercom").extract["info"]["version"] == API_VERSION
