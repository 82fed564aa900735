"""integrations/front/writeback.py against a real HTTP server on loopback: one teammate comment
per call, `POST /conversations/{cnv_id}/comments` with a Bearer token and the text as the
Markdown body, the comment id from the answer, a merged conversation's 301 followed to the
surviving one, and every failure mapped. Every request every test sends is checked against
Front's OpenAPI description (tests/helpdesk_openapi.py)."""

from __future__ import annotations

import html

import pytest
from hypothesis import given
from hypothesis import strategies as st
from markdown_it import MarkdownIt
from pytest_httpserver import HTTPServer

from integrations.front.writeback import STATUS_DOCS, STATUSES, Client
from integrations.registry import make_client
from integrations.writeback import MAX_MERGE_HOPS, NoteResult
from tests.helpdesk_openapi import description, requests_match_openapi
from tests.integrations import helpdesks
from voice_router.closing.text import one_line

openapi_check = requests_match_openapi("front")

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


client = helpdesks.client_fixture("front", TOKEN, Client)


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
    request = helpdesks.only_request(httpserver)
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


def rendered(text: str) -> str:
    """`text` put through Front's `literal`, as a CommonMark renderer shows it (HTML)."""
    with Client("https://api2.frontapp.com", TOKEN) as front:
        return MarkdownIt("commonmark").renderInline(front.literal(text))


@given(st.text(st.characters(blacklist_categories=("Cs",))))
def test_customer_text_through_literal_renders_as_itself_in_markdown(text: str) -> None:
    """What a note says of a customer is one line (notes.py) put through `literal`: Markdown
    shows it character for character, with no link, image, emphasis, entity or HTML."""
    line = one_line(text, 300)
    assert rendered(line) == html.escape(line, quote=False).replace('"', "&quot;")


def test_a_markdown_link_from_a_customer_stays_text() -> None:
    hostile = "Sam [verify](https://evil.example/x) ![p](https://evil.example/p.gif) *hi* <b>"
    shown = rendered(hostile)
    assert "<a" not in shown and "<img" not in shown and "<em>" not in shown
    assert shown == html.escape(hostile, quote=False)


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

    helpdesks.assert_said_permanently(
        helpdesks.refusal(client, "cnv_5001"), "front", status, reason, said, TOKEN
    )
    httpserver.check_assertions()


def test_rate_limiting_is_transient_with_retry_after(
    client: Client, httpserver: HTTPServer
) -> None:
    httpserver.expect_oneshot_request(COMMENTS, method="POST").respond_with_json(
        {"_error": {"status": 429, "title": "Too many requests", "message": "Rate limit"}},
        status=429,
        headers={"Retry-After": "20", "x-ratelimit-remaining": "0"},
    )

    helpdesks.assert_rate_limited(client, "cnv_5001", 20.0, "Too many requests")


@pytest.mark.parametrize("ticket_id", ["", "5001", "cnv_5001/messages", "../cnv_5001", "msg_1"])
def test_an_id_that_is_not_a_conversation_id_is_refused_unsent(
    client: Client, httpserver: HTTPServer, ticket_id: str
) -> None:
    helpdesks.assert_refused_unsent(client, httpserver, ticket_id)


def test_make_client_defaults_to_the_front_api() -> None:
    client = make_client("front", "", TOKEN)
    assert isinstance(client, Client) and client.api_base == "https://api2.frontapp.com"


@pytest.mark.parametrize(
    "location",
    [
        "/conversations/cnv_9z8y/comments",
        "/conversations/cnv_9z8y",
        "{base}/conversations/cnv_9z8y/comments",
    ],
    ids=["comments", "conversation", "absolute"],
)
def test_a_merged_conversation_gets_its_comment_on_the_surviving_one(
    client: Client, httpserver: HTTPServer, location: str
) -> None:
    """Front answers 301 for a merged conversation, redirecting to the surviving one."""
    base = httpserver.url_for("").rstrip("/")
    httpserver.expect_ordered_request(COMMENTS, method="POST").respond_with_data(
        "", status=301, headers={"Location": location.format(base=base)}
    )
    httpserver.expect_ordered_request(
        "/conversations/cnv_9z8y/comments",
        method="POST",
        headers=SENT_HEADERS,
        json={"body": "The fix shipped."},
    ).respond_with_json(comment("com_77"), status=201)

    result = client.post_internal_note("cnv_5001", "The fix shipped.")

    assert result == NoteResult(
        note_id="com_77",
        ticket_id="cnv_9z8y",
        ticket_url="https://app.frontapp.com/open/cnv_9z8y",
    )
    httpserver.check_assertions()
    assert [r.method for r, _ in httpserver.log] == ["POST", "POST"]


def test_front_documents_the_merge_redirect_it_is_followed_for() -> None:
    add_comment = description("front").operation("post", "/conversations/cnv_1/comments")
    assert add_comment is not None
    assert "merged" in add_comment["responses"]["301"]
    assert add_comment["scopes"] == ["comments:write"]


@pytest.mark.parametrize(
    "location",
    [
        "https://elsewhere.example/conversations/cnv_9z8y/comments",
        "/conversations/cnv_5001/comments",
        "/contacts/crd_1",
        "",
    ],
    ids=["another-host", "itself", "not-a-conversation", "no-location"],
)
def test_a_merge_redirect_off_the_host_or_in_a_loop_is_not_followed(
    client: Client, httpserver: HTTPServer, location: str
) -> None:
    httpserver.expect_request(COMMENTS, method="POST").respond_with_data(
        "", status=301, headers={"Location": location} if location else {}
    )

    error = helpdesks.refusal(client, "cnv_5001")
    assert (error.reason, error.status) == ("merged", 301)
    assert len(httpserver.log) == 1
    if location:
        assert location in error.message


def test_a_merge_chain_is_followed_a_bounded_number_of_times(
    client: Client, httpserver: HTTPServer
) -> None:
    for hop in range(10):
        httpserver.expect_request(
            f"/conversations/cnv_{hop}/comments", method="POST"
        ).respond_with_data(
            "", status=301, headers={"Location": f"/conversations/cnv_{hop + 1}/comments"}
        )

    error = helpdesks.refusal(client, "cnv_0")
    assert error.reason == "merged"
    assert len(httpserver.log) == MAX_MERGE_HOPS + 1


def test_the_status_table_cites_front_and_quotes_its_merge_answer() -> None:
    assert STATUS_DOCS == "https://dev.frontapp.com/reference/add-comment"
    add_comment = description("front").operation("post", "/conversations/cnv_1/comments")
    assert add_comment is not None
    assert STATUSES[301].doc == add_comment["responses"]["301"]
    assert all(rule.doc for rule in STATUSES.values())
