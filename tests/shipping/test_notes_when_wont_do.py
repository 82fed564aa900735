"""A fix that shipped, then closed in Jira as Won't Do after all (the issue stays Done, its
resolution changed through a looped transition): a ticket's note saying it shipped that has
not gone out yet never goes, and each ticket whose note did go out gets one follow-up saying
the earlier note no longer holds, as when the fix comes back. Done again as fixed: the
tickets hear that, once; taken back before the follow-up went out, nothing is sent. An agent
who heard the fix shipped reads the won't-fix as a correction; one who never heard of it, as
plain news."""

from __future__ import annotations

import json

import pytest
from werkzeug import Request, Response

from tests.shipping.test_close_the_loop import problem, seed
from tests.shipping.test_digests import make_messages_due
from tests.shipping.test_merged_after_ship import zendesk
from tests.shipping.test_notes_when_it_came_back import CLOSED, shipped_with_notes
from tests.shipping.test_notes_when_reopened import notes
from tests.support import zendesk_writeback
from voice_router.closing.outbound import given_up
from voice_router.problems.privacy import forget
from workers import jobs

pytestmark = pytest.mark.usefixtures("jira_openapi_check")


def wont_do(loop, key: str) -> None:  # type: ignore[no-untyped-def]
    loop.sandbox.transition(key, "Done", resolution="Won't Do", looped=True)
    assert problem(loop).status == "wont_fix"


def done_after_all(loop, key: str) -> None:  # type: ignore[no-untyped-def]
    loop.sandbox.transition(key, "Done", resolution="Done", looped=True)
    assert problem(loop).status == "shipped"


def test_each_noted_ticket_hears_once_that_the_fix_was_closed_as_wont_do(make_loop, httpserver):
    """Tom's ticket said "Fixed for Tom Reed … The fix shipped in version 2.4.0" and kept
    saying so after the issue was closed as Won't Do: Bob, opening it, would read that it
    was fixed."""
    loop, desk, key = shipped_with_notes(make_loop, httpserver)
    forget(loop.runtime.engine, "zoe@umbrella.example", "test:dpo")

    wont_do(loop, key)
    jobs.deliver_outbound(runtime=loop.runtime)

    tom = desk.notes["2002"]
    assert len(tom) == 2, tom
    said, fix, page = tom[1].split("\n")  # for the customer; the fix; the problem's page
    assert said.startswith(
        'Not fixed after all for Tom Reed at acme-corp.com: "Login loop", as they reported on '
        "this ticket. If they were told it was fixed, "
    )
    assert "won't be fixed after all" in said
    assert fix.startswith(f"The fix in version 2.4.0 ({key}: ")
    assert "its issue was closed in Jira as “Won't Do”" in fix
    assert "The earlier note saying it is fixed no longer holds." in fix
    assert page.startswith('voice-router problem "SSO login": ')
    assert len(desk.notes["2003"]) == 2 and "Ann Lee" in desk.notes["2003"][1]
    assert len(desk.notes["2005"]) == 1  # forgotten: nothing new about Zoe
    [refused] = given_up(loop.runtime.engine)  # Sue's ticket is closed: 422, final
    assert (refused.target, refused.outcome) == (f"zendesk:{CLOSED}", "wont_fix")

    make_messages_due(loop)
    jobs.deliver_outbound(runtime=loop.runtime)
    jobs.reconcile(loop.runtime, force=True)
    assert [len(n) for n in desk.notes.values()] == [2, 2, 1, 1]  # once

    done_after_all(loop, key)  # fixed after all: the tickets hear it, once
    jobs.deliver_outbound(runtime=loop.runtime)
    make_messages_due(loop)
    jobs.deliver_outbound(runtime=loop.runtime)
    assert [len(n) for n in desk.notes.values()] == [3, 3, 1, 1]
    assert desk.notes["2002"][2].startswith('Fixed for Tom Reed at acme-corp.com: "Login loop"')


class DownDesk:
    """A Zendesk that answers 503 while `down`, then takes every note."""

    def __init__(self, httpserver) -> None:  # type: ignore[no-untyped-def]
        self.down = True
        self.notes: list[str] = []
        httpserver.expect_request("/api/v2/tickets/2002.json", method="PUT").respond_with_handler(
            self.answer
        )

    def answer(self, request: Request) -> Response:
        if self.down:
            return Response("busy", status=503)
        self.notes.append(json.loads(request.get_data())["ticket"]["comment"]["body"])
        event = {"type": "Comment", "id": 100 + len(self.notes)}
        return Response(json.dumps({"audit": {"events": [event]}}), content_type="application/json")


def test_a_shipped_note_not_sent_yet_is_not_sent_once_the_issue_is_wont_do(make_loop, httpserver):
    """Zendesk was down when the fix shipped; by the time it was back the issue had been
    closed as Won't Do: the note saying it is fixed never goes, and nothing else is owed
    (the ticket never said it was fixed)."""
    desk = DownDesk(httpserver)
    loop = make_loop(sources=zendesk_writeback(httpserver.url_for("").rstrip("/")))
    zendesk(loop, "2002", "tom@acme-corp.com", "Tom Reed", "Bob", title="Login loop")
    key = problem(loop).jira_key
    loop.sandbox.transition(key, "Done", resolution="Done")
    assert problem(loop).status == "shipped"
    assert desk.notes == []

    wont_do(loop, key)
    desk.down = False
    make_messages_due(loop)
    jobs.deliver_outbound(runtime=loop.runtime)
    jobs.reconcile(loop.runtime, force=True)

    assert desk.notes == []
    assert notes(loop) == [("zendesk:2002", "shipped", "cancelled")]

    done_after_all(loop, key)  # fixed after all: now the ticket hears it
    jobs.deliver_outbound(runtime=loop.runtime)
    assert len(desk.notes) == 1 and desk.notes[0].startswith("Fixed for Tom Reed")


def test_won_t_do_taken_back_before_its_follow_up_went_out_sends_nothing(make_loop, httpserver):
    """Won't Do by mistake while Zendesk was down, Done again before the follow-up could go:
    the ticket's last note (the fix shipped) holds, and nothing more is sent."""
    desk = DownDesk(httpserver)
    desk.down = False
    loop = make_loop(sources=zendesk_writeback(httpserver.url_for("").rstrip("/")))
    zendesk(loop, "2002", "tom@acme-corp.com", "Tom Reed", "Bob", title="Login loop")
    key = problem(loop).jira_key
    loop.sandbox.transition(key, "Done", resolution="Done")
    assert len(desk.notes) == 1

    desk.down = True
    wont_do(loop, key)
    assert notes(loop) == [("zendesk:2002", "wont_fix", "pending")]  # 503: tried again later
    done_after_all(loop, key)
    desk.down = False
    make_messages_due(loop)
    jobs.deliver_outbound(runtime=loop.runtime)
    jobs.reconcile(loop.runtime, force=True)

    assert len(desk.notes) == 1
    assert notes(loop) == [("zendesk:2002", "shipped", "sent")]


class Slack:
    """A Slack incoming webhook that answers 503 while `down`, then takes every message."""

    def __init__(self, httpserver) -> None:  # type: ignore[no-untyped-def]
        self.down = False
        self.texts: list[str] = []
        httpserver.expect_request("/hook", method="POST").respond_with_handler(self.answer)

    def answer(self, request: Request) -> Response:
        if self.down:
            return Response("busy", status=503)
        self.texts.append(json.loads(request.get_data())["text"])
        return Response("ok")


def test_agents_told_it_was_fixed_hear_it_wont_be_after_all(make_loop, httpserver):
    """Bob and Carol were asked to tell their customers the fix shipped; when the issue was
    closed as Won't Do after all, their digest said only that it "will not be fixed", as if
    nobody had heard otherwise."""
    slack = Slack(httpserver)
    loop = make_loop(notify={"slack_webhook_url": httpserver.url_for("/hook")})
    p = seed(loop)
    loop.sandbox.transition(p.jira_key, "Done", resolution="Done")
    assert len(slack.texts) == 2 and all("Good news" in text for text in slack.texts)

    loop.sandbox.transition(
        p.jira_key, "Done", resolution="Won't Do", comment="We are retiring SSO.", looped=True
    )

    later = slack.texts[2:]
    assert len(later) == 2, later
    carol = next(text for text in later if "carol@" in text)
    assert "Correction: the product team has decided that *“SSO login”* will not be fixed " in carol
    assert "after all" in carol and "The fix you heard had shipped no longer counts." in carol
    assert "You were asked to tell this customer it was fixed." in carol
    assert "Why: it was closed in Jira as “Won't Do”." in carol
    assert "We are retiring SSO." in carol and "Maria Lopez" in carol


def test_agents_who_never_heard_of_the_fix_hear_only_that_it_wont_be_fixed(make_loop, httpserver):
    """Slack was down when the fix shipped, and the issue was closed as Won't Do before it
    was back: the agents never heard of the fix, so there is nothing to correct."""
    slack = Slack(httpserver)
    slack.down = True
    loop = make_loop(notify={"slack_webhook_url": httpserver.url_for("/hook")})
    p = seed(loop)
    loop.sandbox.transition(p.jira_key, "Done", resolution="Done")
    wont_do(loop, p.jira_key)
    slack.down = False
    make_messages_due(loop)
    jobs.deliver_outbound(runtime=loop.runtime)

    assert len(slack.texts) == 2
    assert all("will not be fixed" in text for text in slack.texts), slack.texts
    assert not any("after all" in text or "Good news" in text for text in slack.texts)
