"""integrations/helpscout/writeback.py against a real HTTP server on loopback: one note thread
per call, `POST /v2/conversations/{id}/notes` with a Bearer token and an HTML `text`, the
thread id from `Resource-ID`, and every failure mapped to a transient or permanent error."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from pytest_httpserver import HTTPServer

from integrations.helpscout.writeback import Client
from integrations.writeback import (
    NoteResult,
    WritebackPermanent,
    WritebackTransient,
    make_client,
)

TOKEN = "hs-oauth-access-token-5f2c"
NOTES = "/v2/conversations/1001/notes"
SENT_HEADERS = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}
HOSTILE = 'Maria <script>alert("x")</script> & Co\nsee https://acme.example/a?b=1&c=2\r\nthanks'
HOSTILE_HTML = (
    "Maria &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; Co<br>"
    "see https://acme.example/a?b=1&amp;c=2<br>thanks"
)


@pytest.fixture
def client(httpserver: HTTPServer) -> Iterator[Client]:
    made = make_client("helpscout", httpserver.url_for("/"), TOKEN, timeout=0.5)
    assert isinstance(made, Client)
    yield made
    made.close()


def test_posts_one_note_thread_and_returns_the_resource_id(
    client: Client, httpserver: HTTPServer
) -> None:
    httpserver.expect_ordered_request(
        NOTES,
        method="POST",
        headers=SENT_HEADERS,
        json={"text": "The SSO login loop is fixed.<br>Tell Maria Lopez."},
    ).respond_with_data("", status=201, headers={"Resource-ID": "2279051"})

    result = client.post_internal_note("1001", "The SSO login loop is fixed.\nTell Maria Lopez.")

    assert result == NoteResult(note_id="2279051")
    httpserver.check_assertions()
    (request, _), *others = httpserver.log
    assert others == []
    assert request.headers["Authorization"] == f"Bearer {TOKEN}"
    assert request.headers["Content-Type"] == "application/json"


def test_hostile_text_arrives_html_escaped_with_line_breaks(
    client: Client, httpserver: HTTPServer
) -> None:
    httpserver.expect_oneshot_request(
        NOTES, method="POST", headers=SENT_HEADERS, json={"text": HOSTILE_HTML}
    ).respond_with_data("", status=201, headers={"Resource-ID": "7"})

    client.post_internal_note("1001", HOSTILE)

    httpserver.check_assertions()
    sent = httpserver.log[0][0].get_json()["text"]
    assert "<script>" not in sent and "\n" not in sent


def test_a_created_answer_without_resource_id_still_succeeds(
    client: Client, httpserver: HTTPServer
) -> None:
    httpserver.expect_oneshot_request(NOTES, method="POST").respond_with_data("", status=201)

    assert client.post_internal_note("1001", "shipped") == NoteResult(note_id=None)
    httpserver.check_assertions()


@pytest.mark.parametrize(
    ("status", "body", "reason", "said"),
    [
        (
            400,
            {
                "logRef": "64bb72b4-0a92-11e8",
                "message": "Bad request",
                "_embedded": {"errors": [{"path": "text", "message": "may not be empty"}]},
            },
            "bad_request",
            "Bad request: text: may not be empty",
        ),
        (401, {"message": "Unauthorized"}, "unauthorized", "Unauthorized"),
        (403, {"message": "Access denied to mailbox 55"}, "forbidden", "Access denied to mailbox"),
        (404, {"logRef": "9a1", "message": "Conversation not found"}, "not_found", "not found"),
        (422, {"message": "Unprocessable thread"}, "invalid", "Unprocessable thread"),
    ],
)
def test_refusals_are_permanent_and_say_what_help_scout_said(
    client: Client, httpserver: HTTPServer, status: int, body: dict, reason: str, said: str
) -> None:
    httpserver.expect_oneshot_request(NOTES, method="POST").respond_with_json(body, status=status)

    with pytest.raises(WritebackPermanent) as caught:
        client.post_internal_note("1001", "shipped")

    error = caught.value
    assert (error.transient, error.status, error.reason) == (False, status, reason)
    assert said in error.message and f"helpscout answered {status}" in error.message
    assert TOKEN not in error.message
    httpserver.check_assertions()


@pytest.mark.parametrize(
    ("headers", "retry_after"),
    [
        ({"X-RateLimit-Retry-After": "17"}, 17.0),
        ({"Retry-After": "30"}, 30.0),
        ({}, None),
    ],
)
def test_rate_limiting_is_transient_with_the_wait_help_scout_asked_for(
    client: Client, httpserver: HTTPServer, headers: dict, retry_after: float | None
) -> None:
    httpserver.expect_oneshot_request(NOTES, method="POST").respond_with_json(
        {"message": "Rate limit exceeded"}, status=429, headers=headers
    )

    with pytest.raises(WritebackTransient) as caught:
        client.post_internal_note("1001", "shipped")

    error = caught.value
    assert (error.transient, error.reason, error.retry_after) == (True, "rate_limited", retry_after)
    assert "Rate limit exceeded" in error.message


@pytest.mark.parametrize("status", [500, 503])
def test_server_errors_are_transient(client: Client, httpserver: HTTPServer, status: int) -> None:
    httpserver.expect_oneshot_request(NOTES, method="POST").respond_with_data(
        "upstream down", status=status
    )

    with pytest.raises(WritebackTransient) as caught:
        client.post_internal_note("1001", "shipped")

    assert (caught.value.status, caught.value.reason) == (status, "unavailable")
    assert "upstream down" in caught.value.message


def test_a_redirect_is_reported_not_followed(client: Client, httpserver: HTTPServer) -> None:
    httpserver.expect_oneshot_request(NOTES, method="POST").respond_with_data(
        "", status=301, headers={"Location": "/v2/conversations/2002/notes"}
    )

    with pytest.raises(WritebackPermanent) as caught:
        client.post_internal_note("1001", "shipped")

    assert caught.value.reason == "redirected"
    assert "/v2/conversations/2002/notes" in caught.value.message
    assert len(httpserver.log) == 1


@pytest.mark.parametrize("ticket_id", ["", "../1001", "1001/notes", "abc", "10 01"])
def test_an_id_that_is_not_a_conversation_id_is_refused_unsent(
    client: Client, httpserver: HTTPServer, ticket_id: str
) -> None:
    with pytest.raises(WritebackPermanent) as caught:
        client.post_internal_note(ticket_id, "shipped")

    assert caught.value.reason == "bad_ticket_id"
    assert httpserver.log == []


def test_make_client_defaults_to_the_help_scout_api_and_refuses_what_has_no_write_back() -> None:
    client = make_client("helpscout", "", TOKEN)
    assert isinstance(client, Client) and client.api_base == "https://api.helpscout.net"
    with pytest.raises(ValueError, match="generic"):
        make_client("generic", "https://desk.example", TOKEN)
    with pytest.raises(ValueError, match="api_token"):
        make_client("helpscout", "", "  ")
