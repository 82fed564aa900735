"""A ticket whose write-back note said the fix shipped gets one follow-up note when the fix
comes back (a new report after the ship: `regressed`), so the agent who opens it is not told
it is fixed; once per regression, only where the shipped note went out, never on a forgotten
customer's ticket, through the messages lane like any note (a closed ticket's refusal is
final). When the fix ships again, the ticket hears that too."""

from __future__ import annotations

import json

import pytest
from sqlmodel import Session, select
from werkzeug import Request, Response

from tests.shipping.test_close_the_loop import notify_list, problem, report
from tests.shipping.test_digests import make_messages_due
from tests.shipping.test_merged_after_ship import merge, zendesk
from tests.shipping.test_regression_warnings import after_the_ship, back
from tests.shipping.test_writeback_helpdesks import report_sample
from tests.support import zendesk_writeback
from voice_router.closing.outbound import given_up
from voice_router.models import Outbound
from voice_router.problems.privacy import forget
from workers import jobs

pytestmark = pytest.mark.usefixtures("jira_openapi_check")

CUSTOMERS = {  # ticket -> (e-mail, name, subject)
    "2002": ("tom@acme-corp.com", "Tom Reed", "Login loop"),
    "2003": ("ann@globex.io", "Ann Lee", "SSO sends me back"),
    "2004": ("sue@initech.com", "Sue Kim", "Cannot sign in"),
    "2005": ("zoe@umbrella.example", "Zoe Hart", "Stuck at the login page"),
}
CLOSED = "2004"  # closed since its first note: Zendesk refuses any update with 422


class Desk:
    """A Zendesk taking every note, but a second one on the closed ticket."""

    def __init__(self, httpserver) -> None:  # type: ignore[no-untyped-def]
        self.notes: dict[str, list[str]] = {ticket: [] for ticket in CUSTOMERS}
        for ticket in CUSTOMERS:
            path = f"/api/v2/tickets/{ticket}.json"
            httpserver.expect_request(path, method="PUT").respond_with_handler(self.answer)

    def answer(self, request: Request) -> Response:
        ticket = request.path.rsplit("/", 1)[-1].removesuffix(".json")
        body = json.loads(request.get_data())["ticket"]["comment"]["body"]
        if ticket == CLOSED and self.notes[ticket]:
            error = {"error": "RecordInvalid", "description": "Record validation errors"}
            return Response(json.dumps(error), status=422, content_type="application/json")
        self.notes[ticket].append(body)
        event = {"type": "Comment", "id": 100 + len(self.notes[ticket])}
        return Response(json.dumps({"audit": {"events": [event]}}), content_type="application/json")


def shipped_with_notes(make_loop, httpserver, shipped_when: str = "done"):  # type: ignore[no-untyped-def]
    """Tom, Ann, Sue and Zoe reported the problem on Zendesk tickets (notes written back);
    its fix shipped in 2.4.0 (Done; under shipped_when = "released", 2.4.0 released too)
    and each ticket got the note that it shipped. Returns (loop, desk, the issue's key)."""
    desk = Desk(httpserver)
    loop = make_loop(
        shipped_when=shipped_when, sources=zendesk_writeback(httpserver.url_for("").rstrip("/"))
    )
    for ticket, (email, name, subject) in CUSTOMERS.items():
        zendesk(loop, ticket, email, name, "Bob", title=subject)
    key = problem(loop).jira_key
    loop.sandbox.create_version("2.4.0")
    loop.sandbox.edit(key, {"fixVersions": [{"name": "2.4.0"}]})
    loop.sandbox.transition(key, "Done", resolution="Done")
    if shipped_when == "released":
        loop.sandbox.release_version("2.4.0")
    assert problem(loop).status == "shipped"
    assert all(len(notes) == 1 and "The fix shipped" in notes[0] for notes in desk.notes.values())
    return loop, desk, key


def test_each_noted_ticket_hears_once_that_the_fix_came_back(make_loop, httpserver):
    """Found by fix-lifecycle: Tom's ticket kept "the fix … has shipped in 2.4.0" after Nina
    reported the problem back, and Bob, opening it to answer Tom, read that it was fixed."""
    loop, desk, key = shipped_with_notes(make_loop, httpserver)
    forget(loop.runtime.engine, "zoe@umbrella.example", "test:dpo")

    back(loop, "T9", "nina@initech.com", "Nina Park", "alice@support.example")

    tom = desk.notes["2002"]
    assert len(tom) == 2, tom
    said, fix, page = tom[1].split("\n")  # for the customer; the fix; the problem's page
    assert said.startswith(
        'Not fixed after all for Tom Reed at acme-corp.com: "Login loop", as they reported on '
        "this ticket. If they were told it was fixed, they may run into it again"
    )
    assert fix.startswith(f"The fix that shipped in version 2.4.0 ({key}: ")
    assert "has come back" in fix and "no longer holds" in fix
    assert page.startswith('voice-router problem "SSO login": ')
    assert len(desk.notes["2003"]) == 2 and "Ann Lee" in desk.notes["2003"][1]
    assert desk.notes["2005"] == [desk.notes["2005"][0]]  # forgotten: nothing new about Zoe
    [refused] = given_up(loop.runtime.engine)
    assert (refused.target, refused.outcome) == (f"zendesk:{CLOSED}", "regressed")
    assert refused.last_error.startswith("invalid: ")

    back(loop, "T10", "omar@initech.com", "Omar Diaz", "alice@support.example")
    make_messages_due(loop)
    jobs.deliver_outbound(runtime=loop.runtime)
    assert [len(n) for n in desk.notes.values()] == [2, 2, 1, 1]  # once; 422 is final
    assert len(given_up(loop.runtime.engine)) == 1

    loop.sandbox.transition(key, "In Progress")
    loop.sandbox.transition(key, "Done", resolution="Done")  # a new fix: the ticket hears
    assert [len(n) for n in desk.notes.values()] == [3, 3, 1, 1]
    again = desk.notes["2002"][2]  # says what became of the fix it said shipped before
    assert again.startswith("Fixed now for Tom Reed") and "earlier fix in version 2.4.0" in again
    with Session(loop.runtime.engine) as session:
        rows = session.exec(select(Outbound.target, Outbound.outcome, Outbound.status)).all()
    assert ("zendesk:2002", "shipped", "sent") in rows


def two_shipped(make_loop, httpserver):  # type: ignore[no-untyped-def]
    """Tom reported one problem (ticket 2002), Ann another (2003); each one's fix shipped and
    each ticket was noted. Returns (loop, desk, Tom's problem, Ann's problem)."""
    desk = Desk(httpserver)
    loop = make_loop(sources=zendesk_writeback(httpserver.url_for("").rstrip("/")))
    zendesk(loop, "2002", "tom@acme-corp.com", "Tom Reed", "Carol", tags="pain-sso-loop")
    duplicate = problem(loop, "sso-loop")
    loop.sandbox.transition(duplicate.jira_key, "Done", resolution="Done")
    zendesk(loop, "2003", "ann@globex.io", "Ann Lee", "Bob")
    survivor = problem(loop)
    loop.sandbox.transition(survivor.jira_key, "Done", resolution="Done")
    assert [len(desk.notes[t]) for t in ("2002", "2003")] == [1, 1]
    return loop, desk, duplicate, survivor


def test_tickets_of_a_problem_merged_into_one_whose_fix_came_back_hear_it_once(
    make_loop, httpserver
):
    """Tom's ticket was noted when its own problem's fix shipped; that problem was merged
    into one whose fix had come back: its agent is warned (regression.warn_after_merge),
    and its ticket now says so too, once."""
    loop, desk, duplicate, survivor = two_shipped(make_loop, httpserver)
    back(loop, "T9", "nina@initech.com", "Nina Park", "alice@support.example")
    assert [len(desk.notes[t]) for t in ("2002", "2003")] == [1, 2]

    merge(loop, duplicate.id, survivor.id)
    jobs.deliver_outbound(runtime=loop.runtime)
    back(loop, "T10", "omar@initech.com", "Omar Diaz", "alice@support.example")
    make_messages_due(loop)
    jobs.deliver_outbound(runtime=loop.runtime)

    [shipped, came_back] = desk.notes["2002"]
    assert shipped.startswith("Fixed for Tom Reed") and "The fix shipped" in shipped
    assert came_back.startswith("Not fixed after all for") and "has come back" in came_back
    assert "Tom Reed" in came_back and survivor.jira_key in came_back
    assert len(desk.notes["2003"]) == 2


def test_a_merged_conversation_stays_shown_while_its_follow_up_waits(make_loop, httpserver):
    """The notify list shows the Front conversation Sam's was merged into, as the shipped
    note found it; owing the follow-up (Front down) must not make it forget that."""
    httpserver.expect_ordered_request(
        "/conversations/cnv_5001/comments", method="POST"
    ).respond_with_data("", status=301, headers={"Location": "/conversations/cnv_7xq2/comments"})
    httpserver.expect_ordered_request(
        "/conversations/cnv_7xq2/comments", method="POST"
    ).respond_with_json({"id": "com_4k1"}, status=201)
    httpserver.expect_request("/conversations/cnv_5001/comments").respond_with_data("", 503)
    front = {"api_base": httpserver.url_for("").rstrip("/"), "api_token": "fr-tok"}
    loop = make_loop(sources={"front": {**front, "writeback": True}})
    report_sample(loop, "front")
    shipped = problem(loop, "sso-login-loop")
    loop.sandbox.transition(shipped.jira_key, "Done", resolution="Done")

    tag = "pain-sso-login-loop"
    report(loop, "T9", "nina@initech.com", tag, name="Nina Park", occurred_at=after_the_ship())

    assert problem(loop, "sso-login-loop").status == "regressed"
    with Session(loop.runtime.engine) as session:
        [note] = session.exec(select(Outbound).where(Outbound.channel == "writeback")).all()
    assert (note.outcome, note.status, note.last_error[:11]) == (
        "regressed",
        "pending",
        "unavailable",
    )
    sam = next(r for r in notify_list(loop, shipped.id)["recipients"] if r["source"] == "front")
    assert sam["ticket_id"] == "cnv_7xq2"
