"""What every write-back client shares, whatever the helpdesk: an answer slower than the
timeout and a closed port are transient errors (the caller retries or records them)."""

from __future__ import annotations

import socket
import threading
import time
from dataclasses import dataclass, field

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from integrations.writeback import WritebackTransient, make_client


@dataclass(frozen=True)
class Case:
    kind: str
    token: str
    method: str
    path: str
    ticket: str
    status: int
    before: dict = field(default_factory=dict)  # a lookup the client makes first, if any


CASES = [
    Case("helpscout", "hs-token", "POST", "/v2/conversations/1001/notes", "1001", 201),
    Case("zendesk", "zd-oauth", "PUT", "/api/v2/tickets/2001.json", "2001", 200),
    Case(
        "intercom",
        "ic-token",
        "POST",
        "/conversations/3001/reply",
        "3001",
        200,
        before={"type": "admin", "id": "991", "name": "Carol Diaz"},
    ),
    Case("freshdesk", "fd-key", "POST", "/api/v2/tickets/4001/notes", "4001", 201),
    Case("front", "fr-token", "POST", "/conversations/cnv_5001/comments", "cnv_5001", 201),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.kind)
def test_an_answer_slower_than_the_timeout_is_transient(case: Case, httpserver: HTTPServer) -> None:
    answered = threading.Event()

    def slow(request: Request) -> Response:
        time.sleep(1.0)
        answered.set()
        return Response("{}", status=case.status, content_type="application/json")

    if case.before:
        httpserver.expect_ordered_request("/me", method="GET").respond_with_json(case.before)
    httpserver.expect_ordered_request(case.path, method=case.method).respond_with_handler(slow)
    client = make_client(case.kind, httpserver.url_for("/"), case.token, timeout=0.5)

    started = time.monotonic()
    with client, pytest.raises(WritebackTransient) as caught:
        client.post_internal_note(case.ticket, "shipped")

    assert time.monotonic() - started < 0.9
    assert caught.value.reason == "timeout"
    assert answered.wait(5)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.kind)
def test_a_closed_port_is_transient(case: Case) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    client = make_client(case.kind, f"http://127.0.0.1:{port}", case.token, timeout=0.5)

    with client, pytest.raises(WritebackTransient) as caught:
        client.post_internal_note(case.ticket, "shipped")

    assert caught.value.reason == "connection_failed"
