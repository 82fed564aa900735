"""A fix that ships after one its reader heard of did not hold. Tom's ticket and his agent
Bob were told "fixed in 2.4.0"; the fix came back, its issue was reopened, or its version
unreleased, and the follow-up saying so was refused for good (Zendesk's 422 on a closed
ticket, Slack's 404). When 2.4.1 ships, the ticket's note and Bob's digest say what changed
since the first: the fix of 2.4.0 did not hold, and this one is out now, naming Tom and the
problem in his words, never a second "fixed" with nothing between (closing/corrections.py).

Reopening a fix that had already come back says nothing new to whoever heard it came back
(a second "came back" is noise), but what was still owed of that news goes; a fix that
shipped after it and is reopened is news again."""

from __future__ import annotations

import email
import json
from datetime import timedelta
from email import policy

import pytest
from aiosmtpd.controller import Controller
from sqlmodel import Session, select
from werkzeug import Request, Response

from tests.shipping.test_close_the_loop import problem
from tests.shipping.test_digests import Inbox, free_port, make_messages_due
from tests.shipping.test_merged_after_ship import zendesk
from tests.shipping.test_regression_warnings import back, named, to
from tests.support import zendesk_writeback
from voice_router.closing.outbound import given_up
from voice_router.models import Outbound
from voice_router.platform.clock import utcnow
from workers import jobs

pytestmark = pytest.mark.usefixtures("jira_openapi_check")

BOB, ALICE = "bob@support.example", "alice@support.example"
TOM = "2002"  # Tom Reed's Zendesk ticket, handled by Bob: "Login loop"


class Desk:
    """A Zendesk taking the notes on Tom's ticket, but answering the statuses `refusals` in
    turn first, one a note, from its second note on (0: take it)."""

    def __init__(self, httpserver, refusals: list[int]) -> None:  # type: ignore[no-untyped-def]
        self.notes: list[str] = []
        self.tries = 0
        self.refusals = refusals
        path = f"/api/v2/tickets/{TOM}.json"
        httpserver.expect_request(path, method="PUT").respond_with_handler(self.answer)

    def answer(self, request: Request) -> Response:
        self.tries += 1
        refused = self.refusals[self.tries - 2] if 2 <= self.tries < len(self.refusals) + 2 else 0
        if refused:
            error = {"error": "RecordInvalid", "description": "Record validation errors"}
            return Response(json.dumps(error), status=refused, content_type="application/json")
        self.notes.append(json.loads(request.get_data())["ticket"]["comment"]["body"])
        event = {"type": "Comment", "id": 100 + len(self.notes)}
        return Response(json.dumps({"audit": {"events": [event]}}), content_type="application/json")


class Slack:
    """A Slack webhook refusing Bob's messages with the statuses `refusals` in turn, from his
    second on (0: take it); everyone else's it takes."""

    def __init__(self, httpserver, refusals: list[int]) -> None:  # type: ignore[no-untyped-def]
        self.bobs = 0
        self.refusals = refusals
        httpserver.expect_request("/hook", method="POST").respond_with_handler(self.answer)

    def answer(self, request: Request) -> Response:
        if f"({BOB})" in json.loads(request.get_data())["text"]:
            self.bobs += 1
            n = self.bobs - 2
            if 0 <= n < len(self.refusals) and self.refusals[n]:
                return Response("no_service", status=self.refusals[n])
        return Response("ok")


def shipped_in_240(make_loop, httpserver, news: str, desk: list[int], slack: list[int]):  # type: ignore[no-untyped-def]
    """Tom reported the problem on Zendesk (Bob's ticket); the fix shipped in 2.4.0 (released,
    under shipped_when = "released" for an unrelease): his ticket and Bob heard. Returns
    (loop, desk, the issue's key)."""
    zendesk_desk, _ = Desk(httpserver, desk), Slack(httpserver, slack)
    loop = make_loop(
        shipped_when="released" if news == "unreleased" else "done",
        sources=zendesk_writeback(httpserver.url_for("").rstrip("/")),
        notify={"slack_webhook_url": httpserver.url_for("/hook")},
    )
    zendesk(loop, TOM, "tom@acme-corp.com", "Tom Reed", "Bob", title="Login loop")
    key = problem(loop).jira_key
    loop.sandbox.create_version("2.4.0")
    loop.sandbox.edit(key, {"fixVersions": [{"name": "2.4.0"}]})
    loop.sandbox.transition(key, "Done", resolution="Done")
    if news == "unreleased":
        loop.sandbox.release_version("2.4.0")
    assert problem(loop).status == "shipped"
    [note] = zendesk_desk.notes
    assert "The fix shipped in version 2.4.0" in note
    [digest] = to(BOB, httpserver)
    assert "has shipped in version 2.4.0" in digest
    return loop, zendesk_desk, key


def did_not_hold(loop, key: str, news: str) -> None:  # type: ignore[no-untyped-def]
    """The fix of 2.4.0 came back (Nina, Alice's customer, reported it after the ship), its
    issue was reopened, or 2.4.0 unreleased; the follow-ups are due."""
    if news == "regressed":
        back(loop, "T9", "nina@initech.com", "Nina Park", ALICE)
    elif news == "reopened":
        loop.sandbox.transition(key, "In Progress")
    else:
        loop.sandbox.unrelease_version("2.4.0")
    make_messages_due(loop)  # a reopen's (an unrelease's) grace period is over
    jobs.deliver_outbound(runtime=loop.runtime)


def ships_in_241(loop, key: str, news: str) -> None:  # type: ignore[no-untyped-def]
    """The next fix ships, in 2.4.1."""
    if news == "regressed":
        loop.sandbox.transition(key, "In Progress")
    loop.sandbox.create_version("2.4.1")
    loop.sandbox.edit(key, {"fixVersions": [{"name": "2.4.1"}]})
    if news == "unreleased":
        loop.sandbox.release_version("2.4.1")
    else:
        loop.sandbox.transition(key, "Done", resolution="Done")
    assert problem(loop).status == "shipped"
    jobs.deliver_outbound(runtime=loop.runtime)


WHAT_BECAME = {
    "regressed": "The earlier fix in version 2.4.0 came back: it was reported again after it "
    "shipped.",
    "reopened": "The earlier fix in version 2.4.0 did not hold: its issue was reopened in Jira "
    "after it shipped.",
    "unreleased": "The earlier fix in version 2.4.0 had not shipped after all: Jira unreleased "
    "its version.",
}


@pytest.mark.parametrize("news", ["regressed", "reopened", "unreleased"])
def test_the_next_fix_says_the_earlier_one_did_not_hold_when_its_follow_up_was_refused(
    make_loop, httpserver, news
):
    """Left by fix-notes-back: Tom's ticket read "Fixed for Tom Reed … 2.4.0" and then "Fixed
    for Tom Reed … 2.4.1" with nothing between (the follow-up was refused), and so did Bob's
    Slack channel: a duplicate, or a typo, to whoever read them."""
    loop, desk, key = shipped_in_240(make_loop, httpserver, news, desk=[422], slack=[404])
    did_not_hold(loop, key, news)
    refused = sorted((row.channel, row.outcome) for row in given_up(loop.runtime.engine))
    assert refused == [("slack", news), ("writeback", news)]  # final: nobody read them
    assert len(desk.notes) == 1 and len(to(BOB, httpserver)) == 1

    ships_in_241(loop, key, news)

    [_, again] = desk.notes
    said, fix, page = again.split("\n")  # for the customer; the fix; the problem's page
    assert said.startswith(
        'Fixed now for Tom Reed at acme-corp.com: "Login loop", as they reported on this '
        "ticket. Let them know, in your own words; if they were told of the earlier fix, that "
        "it did not hold and this one fixes it."
    )
    assert fix == (
        f"{WHAT_BECAME[news]} The fix has shipped now in version 2.4.1 ({key}: "
        f"{loop.sandbox.url}/browse/{key}); this note takes over from the earlier ones on this "
        "ticket."
    )
    assert page.startswith('voice-router problem "SSO login": ')

    [_, digest] = to(BOB, httpserver)
    assert "Good news: the fix for *“SSO login”* has shipped in version 2.4.1" in digest
    assert WHAT_BECAME[news] in digest
    assert "If you told this customer of the earlier fix, let them know this one is out" in digest
    assert named(digest) == ["Tom Reed"] and "“Login loop”" in digest
    if news == "regressed":  # Alice heard of no earlier fix: her digest is the plain news
        [alice] = to(ALICE, httpserver)
        assert "has shipped in version 2.4.1" in alice and "earlier fix" not in alice


def test_a_note_that_went_out_is_followed_by_one_saying_what_changed(make_loop, httpserver):
    """The reopen's note reached Tom's ticket this time: the next fix's note says what became
    of the earlier fix all the same (the whole ticket reads in order), and the fix after it,
    and a reopen of that next fix is news for the ticket again."""
    loop, desk, key = shipped_in_240(make_loop, httpserver, "reopened", desk=[], slack=[])
    did_not_hold(loop, key, "reopened")
    ships_in_241(loop, key, "reopened")
    [_, reopened, again] = desk.notes
    assert reopened.startswith("Maybe not fixed after all for Tom Reed")
    assert again.startswith("Fixed now for Tom Reed") and WHAT_BECAME["reopened"] in again
    [_, heads_up, digest] = to(BOB, httpserver)
    assert "reopened in Jira" in heads_up and WHAT_BECAME["reopened"] in digest

    loop.sandbox.transition(key, "In Progress")  # 2.4.1 reopened: news for the ticket
    make_messages_due(loop)
    jobs.deliver_outbound(runtime=loop.runtime)
    assert desk.notes[3].startswith("Maybe not fixed after all for Tom Reed")
    assert "The fix that shipped in version 2.4.1" in desk.notes[3]
    loop.sandbox.transition(key, "Done", resolution="Done")
    jobs.deliver_outbound(runtime=loop.runtime)
    assert "The earlier fix in version 2.4.1 did not hold" in desk.notes[4]


class RefusingInbox(Inbox):
    """A mail server refusing the messages numbered in `refused` (from 1) for good (550)."""

    def __init__(self, refused: set[int]) -> None:
        super().__init__()
        self.refused, self.received = refused, 0

    async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]
        self.received += 1
        if self.received in self.refused:
            return "550 5.2.1 mailbox disabled"
        return await super().handle_DATA(server, session, envelope)


def test_the_agents_email_says_the_earlier_fix_did_not_hold(make_loop):
    """Bob's digests come by e-mail; the heads-up of the reopen bounced for good (550). The
    e-mail of 2.4.1 says in its subject, and then in its text, that it follows a fix that did
    not hold."""
    inbox = RefusingInbox({2})
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        loop = make_loop(notify={"smtp_url": f"smtp://127.0.0.1:{controller.port}"})
        zendesk(loop, TOM, "tom@acme-corp.com", "Tom Reed", "Bob", title="Login loop")
        key = problem(loop).jira_key
        loop.sandbox.create_version("2.4.0")
        loop.sandbox.edit(key, {"fixVersions": [{"name": "2.4.0"}]})
        loop.sandbox.transition(key, "Done", resolution="Done")
        did_not_hold(loop, key, "reopened")
        assert [row.channel for row in given_up(loop.runtime.engine)] == ["email"]
        ships_in_241(loop, key, "reopened")
    finally:
        controller.stop()

    mails = [email.message_from_bytes(raw, policy=policy.default) for *_, raw in inbox.messages]
    assert [" ".join(str(m["Subject"]).split()) for m in mails] == [
        f"One of your customers to tell: SSO login is fixed in version 2.4.0 ({key})",
        f"One of your customers to tell: SSO login is fixed in version 2.4.1 (the earlier fix "
        f"did not hold) ({key})",
    ]
    text = mails[1].get_body(("plain",)).get_content()
    assert f"has shipped in version 2.4.1 ({key}: " in text and WHAT_BECAME["reopened"] in text
    assert "Tom Reed at acme-corp.com" in text and "“Login loop”" in text


def test_a_note_whose_sender_died_counts_as_naming_its_fix(make_loop, httpserver):
    """2.4.1's note on Tom's ticket was being sent when its sender died (given up: it may be
    on the ticket). 2.4.1 came back and 2.4.2 shipped: the note of 2.4.2 says the fix of
    2.4.1 came back, as the ticket may read, not the one of 2.4.0 before it."""
    loop, desk, key = shipped_in_240(make_loop, httpserver, "reopened", desk=[0, 503], slack=[])
    did_not_hold(loop, key, "reopened")
    ships_in_241(loop, key, "reopened")  # Zendesk away: tried again later
    with Session(loop.runtime.engine) as session:  # a sender took it, and died mid-send
        note = session.exec(select(Outbound).where(Outbound.channel == "writeback")).one()
        note.status, note.next_attempt_at = "sending", utcnow() - timedelta(hours=1)
        session.add(note)
        session.commit()
    jobs.deliver_outbound(runtime=loop.runtime)
    [maybe] = given_up(loop.runtime.engine)
    assert maybe.last_error.startswith("interrupted while sending")

    back(loop, "T9", "nina@initech.com", "Nina Park", ALICE)  # 2.4.1 came back
    assert "The fix that shipped in version 2.4.1" in desk.notes[-1]
    loop.sandbox.transition(key, "In Progress")
    loop.sandbox.create_version("2.4.2")
    loop.sandbox.edit(key, {"fixVersions": [{"name": "2.4.2"}]})
    loop.sandbox.transition(key, "Done", resolution="Done")
    jobs.deliver_outbound(runtime=loop.runtime)
    assert "The earlier fix in version 2.4.1 came back: " in desk.notes[-1]
    assert "The fix has shipped now in version 2.4.2" in desk.notes[-1]
