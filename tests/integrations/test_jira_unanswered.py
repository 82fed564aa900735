"""The Jira client against a Jira (or a proxy in front of it) that gets no answer back in
time: every call has an overall deadline, the `timeout` it was made with, for connecting,
sending and reading the whole answer. requests' own timeout bounds each read only, so an
answer trickled a header line a second held the caller (and Jira's lane behind it) for as
long as the server liked. A call cut off at the deadline is `JiraUnavailable` (transient:
the sync tries again, a create only after searching for what it may have made)."""

from __future__ import annotations

import socket
import time
from collections.abc import Callable

import pytest

from integrations.jira.client import JiraClient
from integrations.jira.errors import JiraError, JiraUnavailable
from tests.integrations.misbehaving import HangsUp, Trickles

EMAIL, TOKEN = "bot@example.com", "t0k"

CALLS: dict[str, Callable[[JiraClient], object]] = {
    "search_jql": lambda c: c.search_jql('labels = "vr-problem-1"', "labels", 10),
    "search_classic": lambda c: c.search_classic('labels = "vr-problem-1"', "labels", 10),
    "create_issue": lambda c: c.create_issue({"summary": "SSO login loop"}),
    "get_issue": lambda c: c.get_issue("PROD-1"),
    "edit_issue": lambda c: c.edit_issue("PROD-1", {"summary": "SSO login loop"}),
    "add_comment": lambda c: c.add_comment("PROD-1", "Three more customers"),
    "comments": lambda c: c.comments("PROD-1"),
    "add_remote_link": lambda c: c.add_remote_link("PROD-1", "vr-1", "https://vr/1", "vr"),
    "remote_links": lambda c: c.remote_links("PROD-1"),
    "link_issues": lambda c: c.link_issues("Duplicate", "PROD-2", "PROD-1"),
    "transitions": lambda c: c.transitions("PROD-1"),
    "transition": lambda c: c.transition("PROD-1", "31"),
}


def raised(call: Callable[[], object]) -> tuple[JiraError, float]:
    started = time.monotonic()
    with pytest.raises(JiraError) as caught:
        call()
    return caught.value, time.monotonic() - started


@pytest.mark.parametrize("name", sorted(CALLS))
def test_an_answer_trickled_a_line_a_second_is_cut_off_at_the_deadline(name: str) -> None:
    with Trickles(seconds=20) as server:
        client = JiraClient(server.url, EMAIL, TOKEN, timeout=2)
        error, took = raised(lambda: CALLS[name](client))
    assert isinstance(error, JiraUnavailable) and error.transient, error
    assert "did not answer in time (within 2 s)" in error.message
    assert took < 6, took  # the deadline, plus slack for a busy machine; not the 20 s


class TricklesServerInfo(Trickles):
    """Trickles everything, the serverInfo read when the client is made included."""

    def _looked_up(self, connection: socket.socket, request: bytes) -> bool:
        return False


def test_making_the_client_against_a_trickling_jira_is_cut_off_at_the_deadline() -> None:
    seen: list[str] = []
    with TricklesServerInfo(seconds=20) as server:
        error, took = raised(lambda: JiraClient(server.url, EMAIL, TOKEN, 2, seen.append))
    assert isinstance(error, JiraUnavailable) and took < 6, (error, took)
    assert seen == ["unavailable"]  # counted in voice_router_jira_calls_total as such


def test_a_connection_closed_after_a_create_went_out_is_unavailable_and_sent_once() -> None:
    with HangsUp() as server:
        client = JiraClient(server.url, EMAIL, TOKEN, timeout=5)
        error, _ = raised(lambda: client.create_issue({"summary": "SSO login loop"}))
        sent = [r for r in server.received if r.startswith(b"POST ")]
    assert isinstance(error, JiraUnavailable), error
    assert "closed before an answer" in error.message
    assert len(sent) == 1  # not sent again by the client or the library under it
