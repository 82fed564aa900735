"""integrations/helpscout/writeback.py against a real HTTP server on loopback: one note thread
per call, `POST /v2/conversations/{id}/notes` with a Bearer token and an HTML `text`, the
thread id from `Resource-ID`, a merged conversation followed to the surviving one, and every
status mapped as Help Scout's status codes page says. (OAuth2 client credentials:
test_writeback_helpscout_oauth.py.)"""

from __future__ import annotations

import pytest
from pytest_httpserver import HTTPServer

from integrations.helpscout.writeback import STATUS_DOCS, STATUSES, Client
from integrations.registry import make_client
from integrations.writeback import MAX_MERGE_HOPS, NoteResult, WritebackTransient
from tests.integrations import helpdesks

TOKEN = "hs-oauth-access-token-5f2c"
NOTES = "/v2/conversations/1001/notes"
CONVERSATION = "/v2/conversations/1001"
SENT_HEADERS = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}
HOSTILE = 'Maria <script>alert("x")</script> & Co\nsee https://acme.example/a?b=1&c=2\r\nthanks'
HOSTILE_HTML = (
    "Maria &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; Co<br>"
    "see https://acme.example/a?b=1&amp;c=2<br>thanks"
)


client = helpdesks.client_fixture("helpscout", TOKEN, Client)


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
    request = helpdesks.only_request(httpserver)
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
        (409, {"message": "Conflict"}, "conflict", "Conflict"),
        (422, {"message": "Unprocessable thread"}, "invalid", "Unprocessable thread"),
    ],
)
def test_refusals_are_permanent_and_say_what_help_scout_said(
    client: Client, httpserver: HTTPServer, status: int, body: dict, reason: str, said: str
) -> None:
    httpserver.expect_oneshot_request(NOTES, method="POST").respond_with_json(body, status=status)

    helpdesks.assert_said_permanently(
        helpdesks.refusal(client, "1001"), "helpscout", status, reason, said, TOKEN
    )
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

    helpdesks.assert_rate_limited(client, "1001", retry_after, "Rate limit exceeded")


def test_a_deleted_conversation_is_not_found_after_one_lookup(
    client: Client, httpserver: HTTPServer
) -> None:
    httpserver.expect_ordered_request(NOTES, method="POST").respond_with_json(
        {"logRef": "9a1", "message": "Conversation not found"}, status=404
    )
    httpserver.expect_ordered_request(CONVERSATION, method="GET").respond_with_json(
        {"message": "Conversation not found"}, status=404
    )

    error = helpdesks.refusal(client, "1001")
    assert (error.reason, error.status) == ("not_found", 404)
    assert "Conversation not found" in error.message
    httpserver.check_assertions()
    assert len(httpserver.log) == 2


def test_a_404_on_a_conversation_that_was_not_merged_stands(
    client: Client, httpserver: HTTPServer
) -> None:
    httpserver.expect_ordered_request(NOTES, method="POST").respond_with_json(
        {"message": "Not found"}, status=404
    )
    httpserver.expect_ordered_request(CONVERSATION, method="GET").respond_with_json(
        {"id": 1001, "number": 51}
    )

    error = helpdesks.refusal(client, "1001")
    assert error.reason == "not_found"
    assert [r.method for r, _ in httpserver.log] == ["POST", "GET"]


@pytest.mark.parametrize("absolute", [False, True], ids=["relative", "absolute"])
def test_a_merged_conversation_gets_its_note_on_the_surviving_one(
    client: Client, httpserver: HTTPServer, absolute: bool
) -> None:
    """Help Scout: the old id answers 404; Get Conversation answers 301 to the new one."""
    survivor = "/v2/conversations/2002"
    location = httpserver.url_for(survivor) if absolute else survivor
    httpserver.expect_ordered_request(NOTES, method="POST").respond_with_data("", status=404)
    httpserver.expect_ordered_request(CONVERSATION, method="GET").respond_with_data(
        "", status=301, headers={"Location": location}
    )
    httpserver.expect_ordered_request(survivor, method="GET").respond_with_json(
        {"id": 2002, "number": 88, "subject": "Login loop"}
    )
    httpserver.expect_ordered_request(
        survivor + "/notes",
        method="POST",
        headers=SENT_HEADERS,
        json={"text": "The fix shipped.<br>Tell Maria."},
    ).respond_with_data("", status=201, headers={"Resource-ID": "31"})

    result = client.post_internal_note("1001", "The fix shipped.\nTell Maria.")

    assert result == NoteResult(
        note_id="31",
        ticket_id="2002",
        ticket_url="https://secure.helpscout.net/conversation/2002/88",
    )
    httpserver.check_assertions()


def test_a_conversation_merged_twice_is_followed_to_the_end(
    client: Client, httpserver: HTTPServer
) -> None:
    httpserver.expect_ordered_request(NOTES, method="POST").respond_with_data("", status=404)
    httpserver.expect_ordered_request(CONVERSATION, method="GET").respond_with_data(
        "", status=301, headers={"Location": "/v2/conversations/2002"}
    )
    httpserver.expect_ordered_request("/v2/conversations/2002", method="GET").respond_with_data(
        "", status=301, headers={"Location": "/v2/conversations/3003"}
    )
    httpserver.expect_ordered_request("/v2/conversations/3003", method="GET").respond_with_json(
        {"id": 3003, "number": 9}
    )
    httpserver.expect_ordered_request(
        "/v2/conversations/3003/notes", method="POST"
    ).respond_with_data("", status=201, headers={"Resource-ID": "5"})

    result = client.post_internal_note("1001", "shipped")

    assert (result.ticket_id, result.note_id) == ("3003", "5")
    httpserver.check_assertions()


@pytest.mark.parametrize(
    "location",
    [
        "https://elsewhere.example/v2/conversations/2002",
        "/v2/customers/2002",
        "/v2/conversations/2002?x=1",
        "/v2/conversations/1001",
        "",
    ],
    ids=["another-host", "not-a-conversation", "query", "itself", "no-location"],
)
def test_a_merge_is_not_followed_off_the_host_or_in_a_loop(
    client: Client, httpserver: HTTPServer, location: str
) -> None:
    httpserver.expect_ordered_request(NOTES, method="POST").respond_with_data("", status=404)
    httpserver.expect_ordered_request(CONVERSATION, method="GET").respond_with_data(
        "", status=301, headers={"Location": location} if location else {}
    )

    error = helpdesks.refusal(client, "1001")
    assert (error.reason, error.status) == ("merged", 301)
    assert len(httpserver.log) == 2


def test_a_merge_chain_is_followed_a_bounded_number_of_times(
    client: Client, httpserver: HTTPServer
) -> None:
    httpserver.expect_request(NOTES, method="POST").respond_with_data("", status=404)
    for hop in range(10):
        httpserver.expect_request(
            f"/v2/conversations/{1001 + hop}", method="GET"
        ).respond_with_data("", status=301, headers={"Location": f"/v2/conversations/{1002 + hop}"})

    error = helpdesks.refusal(client, "1001")
    assert error.reason == "merged"
    lookups = [r.path for r, _ in httpserver.log if r.method == "GET"]
    assert len(lookups) == MAX_MERGE_HOPS + 1


def test_a_failing_lookup_is_reported_as_what_it_is(client: Client, httpserver: HTTPServer) -> None:
    httpserver.expect_ordered_request(NOTES, method="POST").respond_with_data("", status=404)
    httpserver.expect_ordered_request(CONVERSATION, method="GET").respond_with_json(
        {"message": "Rate limit exceeded"}, status=429, headers={"X-RateLimit-Retry-After": "7"}
    )

    error = helpdesks.refusal(client, "1001", WritebackTransient)
    assert (error.reason, error.retry_after) == ("rate_limited", 7.0)


def test_the_status_table_quotes_help_scouts_status_codes_page() -> None:
    assert STATUS_DOCS == "https://developer.helpscout.com/mailbox-api/overview/status_codes/"
    assert STATUSES[409].doc.startswith("Conflict: Resource cannot be created because")
    assert all(rule.doc for rule in STATUSES.values())


# Create Note as documented at
# https://developer.helpscout.com/mailbox-api/endpoints/conversations/threads/note/
DOCUMENTED = {
    "method": "POST",
    "path": "/v2/conversations/{conversationId}/notes",
    "headers": {"Authorization": "Bearer <token>", "Content-Type": "application/json"},
    "required fields": {"text": str},
    "optional fields": {
        "user": int,
        "status": str,
        "imported": bool,
        "createdAt": str,
        "attachments": list,
    },
}


def test_the_note_request_is_the_documented_create_note(
    client: Client, httpserver: HTTPServer
) -> None:
    httpserver.expect_request(NOTES, method="POST").respond_with_data(
        "", status=201, headers={"Resource-ID": "1"}
    )

    client.post_internal_note("1001", "shipped")

    ((request, _),) = httpserver.log
    assert request.method == DOCUMENTED["method"]
    assert request.path == DOCUMENTED["path"].replace("{conversationId}", "1001")
    assert request.headers["Authorization"] == f"Bearer {TOKEN}"
    assert request.headers["Content-Type"] == DOCUMENTED["headers"]["Content-Type"]
    sent = request.get_json()
    helpdesks.assert_documented_fields(sent, DOCUMENTED)
    assert "status" not in sent and "user" not in sent  # Help Scout's defaults apply


def test_a_redirect_is_reported_not_followed(client: Client, httpserver: HTTPServer) -> None:
    httpserver.expect_oneshot_request(NOTES, method="POST").respond_with_data(
        "", status=301, headers={"Location": "/v2/conversations/2002/notes"}
    )

    error = helpdesks.refusal(client, "1001")
    assert error.reason == "redirected"
    assert "/v2/conversations/2002/notes" in error.message
    assert len(httpserver.log) == 1


@pytest.mark.parametrize("ticket_id", ["", "../1001", "1001/notes", "abc", "10 01"])
def test_an_id_that_is_not_a_conversation_id_is_refused_unsent(
    client: Client, httpserver: HTTPServer, ticket_id: str
) -> None:
    helpdesks.assert_refused_unsent(client, httpserver, ticket_id)


def test_make_client_defaults_to_the_help_scout_api_and_refuses_what_has_no_write_back() -> None:
    client = make_client("helpscout", "", TOKEN)
    assert isinstance(client, Client) and client.api_base == "https://api.helpscout.net"
    with pytest.raises(ValueError, match="generic"):
        make_client("generic", "https://desk.example", TOKEN)
    with pytest.raises(ValueError, match="api_token"):
        make_client("helpscout", "", "  ")
