"""integrations/slack.py against a real HTTP server on loopback: one JSON POST per message to the
incoming webhook, Slack's answers mapped to NotifyTransient / NotifyPermanent, no redirect
followed, and the webhook URL (a secret) never in an error."""

from __future__ import annotations

import socket
import threading
import time

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from integrations.notify_errors import NotifyError, NotifyPermanent, NotifyTransient
from integrations.slack import post_message

HOOK = "/services/T0001/B0002/s3cretT0ken"
TEXT = (
    "*For Alice Moreno:* the fix for *“SSO login loop”* has shipped (<https://j.example|PROD-12>)"
)


def hook_url(httpserver: HTTPServer) -> str:
    return httpserver.url_for(HOOK)


def refusal(httpserver: HTTPServer, raised: type[NotifyError]) -> NotifyError:
    """What posting TEXT to the hook on `httpserver` raised; it must raise `raised`."""
    with pytest.raises(raised) as caught:
        post_message(hook_url(httpserver), TEXT, timeout=2)
    return caught.value


def assert_no_secret(error: NotifyError) -> None:
    assert "s3cretT0ken" not in str(error)
    # requests' own exceptions name the full URL: they must not ride along in the traceback.
    assert error.__cause__ is None
    assert error.__context__ is None or error.__suppress_context__


def test_posts_the_text_as_json_and_returns_on_ok(httpserver: HTTPServer) -> None:
    httpserver.expect_ordered_request(
        HOOK, method="POST", headers={"Content-Type": "application/json"}, json={"text": TEXT}
    ).respond_with_data("ok", content_type="text/plain")

    assert post_message(hook_url(httpserver), TEXT, timeout=2) is None

    httpserver.check_assertions()
    (request, response), *others = httpserver.log
    assert others == []
    assert response.status_code == 200
    assert request.headers["User-Agent"] == "voice-router"
    assert request.get_json() == {"text": TEXT}


@pytest.mark.parametrize(
    ("status", "body", "reason"),
    [
        (400, "invalid_payload", "invalid_payload"),
        (400, "no_text", "no_text"),
        (403, "action_prohibited", "action_prohibited"),
        (403, "invalid_token", "invalid_token"),
        (404, "no_service", "no_service"),
        (404, "channel_not_found", "channel_not_found"),
        (410, "channel_is_archived", "channel_is_archived"),
        (410, "team_disabled", "team_disabled"),
        (400, "<html>Bad Request</html>", "bad_request"),
        (403, "", "forbidden"),
        (404, "Not Found", "not_found"),
        (422, "nope", "rejected"),
    ],
)
def test_refusals_are_permanent_with_slacks_code_as_reason(
    httpserver: HTTPServer, status: int, body: str, reason: str
) -> None:
    httpserver.expect_request(HOOK, method="POST").respond_with_data(body, status=status)

    error = refusal(httpserver, NotifyPermanent)
    assert (error.reason, error.status, error.transient) == (reason, status, False)
    assert f"answered {status}" in error.message
    assert_no_secret(error)


def test_429_is_transient_and_carries_retry_after(httpserver: HTTPServer) -> None:
    httpserver.expect_request(HOOK, method="POST").respond_with_data(
        "rate_limited", status=429, headers={"Retry-After": "30"}
    )

    error = refusal(httpserver, NotifyTransient)
    assert (error.reason, error.status, error.retry_after) == ("rate_limited", 429, 30.0)
    assert error.transient is True


def test_429_without_retry_after_leaves_the_wait_to_the_caller(httpserver: HTTPServer) -> None:
    httpserver.expect_request(HOOK, method="POST").respond_with_data("", status=429)

    error = refusal(httpserver, NotifyTransient)
    assert (error.reason, error.retry_after) == ("rate_limited", None)


@pytest.mark.parametrize(
    ("status", "body", "reason"),
    [(500, "rollup_error", "rollup_error"), (503, "", "unavailable"), (408, "", "request_timeout")],
)
def test_server_errors_are_transient(
    httpserver: HTTPServer, status: int, body: str, reason: str
) -> None:
    httpserver.expect_request(HOOK, method="POST").respond_with_data(body, status=status)

    error = refusal(httpserver, NotifyTransient)
    assert (error.reason, error.status) == (reason, status)


def test_a_slow_webhook_is_a_transient_timeout(httpserver: HTTPServer) -> None:
    release, finished = threading.Event(), threading.Event()

    def slow(request: Request) -> Response:
        release.wait(5)  # well past the client's 0.5 s
        finished.set()
        return Response("ok")

    httpserver.expect_request(HOOK, method="POST").respond_with_handler(slow)

    started = time.monotonic()
    with pytest.raises(NotifyTransient) as caught:
        post_message(hook_url(httpserver), TEXT, timeout=0.5)
    waited = time.monotonic() - started
    release.set()
    assert finished.wait(5)  # the handler is done before the next test shares the server

    assert 0.5 <= waited < 2
    assert caught.value.reason == "timeout"  # sent, unanswered: it may have been posted
    assert "0.5 s" in caught.value.message
    assert_no_secret(caught.value)


def test_a_redirect_is_not_followed(httpserver: HTTPServer) -> None:
    httpserver.expect_request(HOOK, method="POST").respond_with_data(
        "", status=302, headers={"Location": "https://elsewhere.example/services/x"}
    )
    httpserver.expect_request("/services/x").respond_with_data("ok")

    error = refusal(httpserver, NotifyPermanent)
    assert (error.reason, error.status) == ("redirected", 302)
    assert "elsewhere.example" in error.message
    assert len(httpserver.log) == 1


def test_nobody_listening_is_a_transient_connection_failure() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    # The port is closed again: connecting to it is refused.

    with pytest.raises(NotifyTransient) as caught:
        post_message(f"http://127.0.0.1:{port}{HOOK}", TEXT, timeout=2)

    assert caught.value.reason == "connection_failed"
    assert "127.0.0.1" in caught.value.message
    assert_no_secret(caught.value)


@pytest.mark.parametrize(
    "url", ["", "   ", "hooks.slack.com/services/T/B/x", "ftp://hooks.slack.com/x", "https://"]
)
def test_a_url_that_is_not_http_is_refused_unsent(url: str) -> None:
    with pytest.raises(NotifyPermanent) as caught:
        post_message(url, TEXT)

    assert caught.value.reason == "bad_url"
