"""Sending a note or a digest that gets no answer, for every write-back client, Slack and
e-mail: the whole exchange has a deadline (a server that trickles its answer a header line a
second is cut off at the timeout), and the error says whether the request went out. Only a
failure to connect proves nothing was sent; a timeout or a connection closed after the
request (or after an e-mail's final dot) is `ambiguous`: the note may have been created."""

from __future__ import annotations

import socket
import time
from collections.abc import Callable

import pytest
from pytest_httpserver import HTTPServer

from integrations.email import send_mail
from integrations.notify_errors import NotifyTransient
from integrations.outbound_errors import OutboundError
from integrations.registry import make_client
from integrations.slack import post_message
from integrations.writeback import WritebackTransient
from tests.integrations.contract import note_example
from tests.integrations.helpdesks import DESKS, Desk
from tests.integrations.misbehaving import HangsUp, SmtpHangsUp, Trickles

WRITEBACK_DESKS = [desk for desk in DESKS if desk.adapter.writeback is not None]
HOOK = "/services/T0001/B0002/s3cretT0ken"
FROM, TO = "voice-router@support.example", "alice@support.example"


def note_to(desk: Desk, url: str, timeout: float) -> Callable[[], object]:
    def send() -> object:
        with make_client(desk.kind, url, "token-f", timeout=timeout) as client:
            return client.post_internal_note(note_example(desk).ticket_id, "Fixed")

    return send


def slack_to(url: str, timeout: float) -> Callable[[], object]:
    return lambda: post_message(url + HOOK, "Fixed", timeout=timeout)


def senders(url: str, timeout: float) -> list[tuple[str, Callable[[], object]]]:
    found = [(desk.kind, note_to(desk, url, timeout)) for desk in WRITEBACK_DESKS]
    return [*found, ("slack", slack_to(url, timeout))]


def raised(send: Callable[[], object]) -> OutboundError:
    with pytest.raises((WritebackTransient, NotifyTransient)) as caught:
        send()
    return caught.value


NAMES = [desk.kind for desk in WRITEBACK_DESKS] + ["slack"]


@pytest.mark.parametrize("name", NAMES)
def test_an_answer_trickled_a_line_a_second_is_cut_off_at_the_timeout(name: str) -> None:
    with Trickles(seconds=20) as server:
        send = dict(senders(server.url, timeout=2))[name]
        started = time.monotonic()
        error = raised(send)
        took = time.monotonic() - started
    assert error.reason == "timeout" and error.ambiguous, error
    assert took < 6, took  # the timeout, plus slack for a busy machine; not the 20 s


@pytest.mark.parametrize("name", NAMES)
def test_a_connection_closed_after_the_request_may_have_posted_it(name: str) -> None:
    with HangsUp() as server:
        error = raised(dict(senders(server.url, timeout=5))[name])
        requests_seen = len(server.received)
    assert (error.reason, error.ambiguous) == ("connection_lost", True), error
    assert "closed before an answer" in error.message and "could not" not in error.message
    assert requests_seen == 1  # sent once, and not again by the client


@pytest.mark.parametrize("name", NAMES)
def test_a_refused_connection_sent_nothing_and_is_safe_to_retry(name: str) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    error = raised(dict(senders(f"http://127.0.0.1:{port}", timeout=2))[name])
    assert (error.reason, error.ambiguous) == ("connection_failed", False), error
    assert "could not connect" in error.message


@pytest.mark.parametrize("name", NAMES)
def test_408_means_not_processed_and_is_retried(name: str, httpserver: HTTPServer) -> None:
    httpserver.expect_request("").respond_with_data("{}", 408, content_type="application/json")
    error = raised(dict(senders(httpserver.url_for("").rstrip("/"), timeout=2))[name])
    assert (error.reason, error.transient, error.ambiguous) == ("request_timeout", True, False)


def test_an_smtp_server_that_hangs_up_after_the_final_dot_may_have_queued_it() -> None:
    with SmtpHangsUp(drop_at="dot") as server:
        with pytest.raises(NotifyTransient) as caught:
            send_mail(f"smtp://127.0.0.1:{server.port}", FROM, TO, "Fixed", "Fixed", timeout=5)
        taken = len(server.received)
    assert (caught.value.reason, caught.value.ambiguous) == ("connection_lost", True)
    assert "closed the connection after the message" in caught.value.message
    assert taken == 1


def test_an_smtp_server_that_hangs_up_before_the_data_got_nothing_whole() -> None:
    with SmtpHangsUp(drop_at="rcpt") as server, pytest.raises(NotifyTransient) as caught:
        send_mail(f"smtp://127.0.0.1:{server.port}", FROM, TO, "Fixed", "Fixed", timeout=5)
    assert (caught.value.reason, caught.value.ambiguous) == ("disconnected", False)
