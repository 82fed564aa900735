"""integrations/front/writeback.py against a real HTTP server on loopback: one teammate comment
per call, `POST /conversations/{cnv_id}/comments` with a Bearer token and the text as the
Markdown body, the comment id from the answer, and every failure mapped."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from pytest_httpserver import HTTPServer

from integrations.front.writeback import Client
from integrations.writeback import (
    NoteResult,
    WritebackPermanent,
    WritebackTransient,
    make_client,
)

TOKEN = "eyJhbGciOiJIUzI1NiJ9.front-test"
SENT_HEADERS = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}
COMMENTS = "/conversations/cnv_5001/comments"


def comment(comment_id: str = "com_1a2b3c") -> dict:
    return {
        "_links": {"self": f"https://acme.api.frontapp.com/comments/{comment_id}"},
        "id": comment_id,
        "author": {"id": "tea_bot", "is_bot": True},
        "body": "...",
        "posted_at": 1772791800.5,
    }


@pytest.fixture
def client(httpserver: HTTPServer) -> Iterator[Client]:
    made = make_client("front", httpserver.url_for("/"), TOKEN, timeout=0.5)
    assert isinstance(made, Client)
    yield made
    made.close()


def test_posts_one_comment_and_returns_its_id(client: Client, httpserver: HTTPServer) -> None:
    httpserver.expect_ordered_request(
        COMMENTS,
        method="POST",
        headers=SENT_HEADERS,
        json={"body": "The SSO login loop is fixed.\nTell Sam Okafor."},
    ).respond_with_json(comment(), status=201)

    result = client.post_internal_note(
        "cnv_5001", "The SSO login loop is fixed.\r\nTell Sam Okafor."
    )

    assert result == NoteResult(note_id="com_1a2b3c")
    httpserver.check_assertions()
    (request, _), *others = httpserver.log
    assert others == []
    assert request.headers["Authorization"] == f"Bearer {TOKEN}"
    assert "author_id" not in request.get_json()


def test_text_is_sent_unchanged_as_markdown_not_html_escaped(
    client: Client, httpserver: HTTPServer
) -> None:
    hostile = 'Sam <script>alert("x")</script> & Co\nhttps://wayne.example/?a=1&b=2'
    httpserver.expect_oneshot_request(
        COMMENTS, method="POST", json={"body": hostile}
    ).respond_with_json(comment(), status=201)

    client.post_internal_note("cnv_5001", hostile)

    httpserver.check_assertions()
    assert "&amp;" not in httpserver.log[0][0].get_json()["body"]


@pytest.mark.parametrize(
    ("status", "error", "reason", "said"),
    [
        (
            400,
            {
                "status": 400,
                "title": "Bad request",
                "message": "Body did not satisfy requirements",
                "details": ["body: must not be empty"],
            },
            "bad_request",
            "Bad request; Body did not satisfy requirements; body: must not be empty",
        ),
        (
            401,
            {"status": 401, "title": "Unauthenticated", "message": "Invalid token"},
            "unauthorized",
            "Unauthenticated; Invalid token",
        ),
        (
            403,
            {"status": 403, "title": "Forbidden", "message": "Missing scope comments:write"},
            "forbidden",
            "Missing scope comments:write",
        ),
        (
            404,
            {"status": 404, "title": "Not found", "message": "Unknown conversation cnv_5001"},
            "not_found",
            "Not found; Unknown conversation cnv_5001",
        ),
        (
            422,
            {"status": 422, "title": "Unprocessable entity", "message": "Conversation deleted"},
            "invalid",
            "Conversation deleted",
        ),
    ],
)
def test_refusals_are_permanent_and_say_what_front_said(
    client: Client, httpserver: HTTPServer, status: int, error: dict, reason: str, said: str
) -> None:
    httpserver.expect_oneshot_request(COMMENTS, method="POST").respond_with_json(
        {"_error": error}, status=status
    )

    with pytest.raises(WritebackPermanent) as caught:
        client.post_internal_note("cnv_5001", "shipped")

    raised = caught.value
    assert (raised.transient, raised.status, raised.reason) == (False, status, reason)
    assert said in raised.message and f"front answered {status}" in raised.message
    assert TOKEN not in raised.message
    httpserver.check_assertions()


def test_rate_limiting_is_transient_with_retry_after(
    client: Client, httpserver: HTTPServer
) -> None:
    httpserver.expect_oneshot_request(COMMENTS, method="POST").respond_with_json(
        {"_error": {"status": 429, "title": "Too many requests", "message": "Rate limit"}},
        status=429,
        headers={"Retry-After": "20", "x-ratelimit-remaining": "0"},
    )

    with pytest.raises(WritebackTransient) as caught:
        client.post_internal_note("cnv_5001", "shipped")

    error = caught.value
    assert (error.reason, error.status, error.retry_after) == ("rate_limited", 429, 20.0)
    assert "Too many requests" in error.message


@pytest.mark.parametrize("status", [500, 503])
def test_server_errors_are_transient(client: Client, httpserver: HTTPServer, status: int) -> None:
    httpserver.expect_oneshot_request(COMMENTS, method="POST").respond_with_json(
        {"_error": {"status": status, "title": "Server error"}}, status=status
    )

    with pytest.raises(WritebackTransient) as caught:
        client.post_internal_note("cnv_5001", "shipped")

    assert (caught.value.status, caught.value.reason) == (status, "unavailable")
    assert "Server error" in caught.value.message


@pytest.mark.parametrize("ticket_id", ["", "5001", "cnv_5001/messages", "../cnv_5001", "msg_1"])
def test_an_id_that_is_not_a_conversation_id_is_refused_unsent(
    client: Client, httpserver: HTTPServer, ticket_id: str
) -> None:
    with pytest.raises(WritebackPermanent) as caught:
        client.post_internal_note(ticket_id, "shipped")

    assert caught.value.reason == "bad_ticket_id"
    assert httpserver.log == []


def test_make_client_defaults_to_the_front_api() -> None:
    client = make_client("front", "", TOKEN)
    assert isinstance(client, Client) and client.api_base == "https://api2.frontapp.com"
