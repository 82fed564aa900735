"""A ticket whose write-back note said the fix shipped gets one follow-up note when the fix's
Jira issue is reopened, or (`shipped_when = "released"`) its fix version unreleased, once
the grace period (`[notify].reopen_grace_seconds`) is over, as the agents' heads-up is: not
within it, and not at all when it is taken back within it (Done, released again). Once per
news, never on a forgotten customer's ticket, through the messages lane like any note (a
closed ticket's refusal is final); the next ship sends a fresh shipped note."""

from __future__ import annotations

import json

import pytest
from sqlmodel import Session, select

from tests.integrations.misbehaving import HangsUp
from tests.shipping.test_close_the_loop import problem
from tests.shipping.test_digests import make_messages_due
from tests.shipping.test_merged_after_ship import merge, zendesk
from tests.shipping.test_notes_when_it_came_back import (
    CLOSED,
    CUSTOMERS,
    shipped_with_notes,
    two_shipped,
)
from tests.support import zendesk_writeback
from voice_router.closing.outbound import given_up
from voice_router.models import Outbound
from voice_router.problems.privacy import forget
from workers import jobs

pytestmark = pytest.mark.usefixtures("jira_openapi_check")

NEWS = ["reopened", "unreleased"]


def shipped(make_loop, httpserver, news: str):  # type: ignore[no-untyped-def]
    """The fix shipped, each ticket noted (under shipped_when = "released" for an unrelease)."""
    return shipped_with_notes(make_loop, httpserver, "released" if news == "unreleased" else "done")


def take_back(loop, key: str, news: str) -> None:  # type: ignore[no-untyped-def]
    """The issue reopened (`news` "reopened"), or its version unreleased."""
    if news == "reopened":
        loop.sandbox.transition(key, "In Progress")
    else:
        loop.sandbox.unrelease_version("2.4.0")
    assert problem(loop).status == "in_progress"


def ship_again(loop, key: str, news: str) -> None:  # type: ignore[no-untyped-def]
    if news == "reopened":
        loop.sandbox.transition(key, "Done", resolution="Done")
    else:
        loop.sandbox.release_version("2.4.0")
    assert problem(loop).status == "shipped"


def notes(loop) -> list[tuple[str, str, str]]:  # type: ignore[no-untyped-def]
    with Session(loop.runtime.engine) as session:
        rows = session.exec(
            select(Outbound.target, Outbound.outcome, Outbound.status).where(
                Outbound.channel == "writeback"
            )
        ).all()
    return sorted(rows)


@pytest.mark.parametrize("news", NEWS)
def test_each_noted_ticket_hears_once_when_the_grace_period_is_over(make_loop, httpserver, news):
    """Left by fix-notes-back: Tom's ticket kept "The fix shipped in version 2.4.0" after
    PROD's issue was reopened (2.4.0 unreleased); only the agents' digests said so, and Bob,
    opening the ticket a week later, read that it was fixed."""
    loop, desk, key = shipped(make_loop, httpserver, news)
    forget(loop.runtime.engine, "zoe@umbrella.example", "test:dpo")

    take_back(loop, key, news)
    jobs.deliver_outbound(runtime=loop.runtime)  # within the grace period: not yet
    assert [len(n) for n in desk.notes.values()] == [1, 1, 1, 1]
    make_messages_due(loop)  # the grace period is over
    jobs.deliver_outbound(runtime=loop.runtime)

    tom = desk.notes["2002"]
    assert len(tom) == 2, tom
    said, fix, page = tom[1].split("\n")  # for the customer; the fix; the problem's page
    assert 'Tom Reed at acme-corp.com: "Login loop", as they reported on this ticket.' in said
    assert "If they were told it was fixed, you may want to let them know" in said
    assert fix.startswith(
        f"The fix that shipped in version 2.4.0 ({key}: "
        if news == "reopened"
        else f"The fix in version 2.4.0 ({key}: "
    )
    if news == "reopened":
        assert said.startswith("Maybe not fixed after all for ") and "reopened in Jira" in fix
    else:
        assert said.startswith("Not released yet for ") and "has not shipped after all" in fix
    assert "The earlier note saying it is fixed no longer holds." in fix
    assert "has come back" not in tom[1] and "Fixed for" not in tom[1]
    assert page.startswith('voice-router problem "SSO login": ')
    assert len(desk.notes["2003"]) == 2 and "Ann Lee" in desk.notes["2003"][1]
    assert len(desk.notes["2005"]) == 1  # forgotten: nothing new about Zoe
    [refused] = given_up(loop.runtime.engine)  # Sue's ticket is closed: 422, final
    assert (refused.target, refused.outcome) == (f"zendesk:{CLOSED}", news)
    assert refused.last_error.startswith("invalid: ")

    make_messages_due(loop)
    jobs.deliver_outbound(runtime=loop.runtime)
    jobs.reconcile(loop.runtime, force=True)
    assert [len(n) for n in desk.notes.values()] == [2, 2, 1, 1]  # once
    assert len(given_up(loop.runtime.engine)) == 1

    ship_again(loop, key, news)  # a new fix: the tickets hear it, as news
    jobs.deliver_outbound(runtime=loop.runtime)
    assert [len(n) for n in desk.notes.values()] == [3, 3, 1, 1]
    again = desk.notes["2002"][2]  # says what became of the fix it said shipped before
    assert again.startswith('Fixed now for Tom Reed at acme-corp.com: "Login loop"')
    assert "The earlier fix in version 2.4.0 " in again
    assert ("zendesk:2002", "shipped", "sent") in notes(loop)


@pytest.mark.parametrize("news", NEWS)
def test_taken_back_within_the_grace_period_no_ticket_hears(make_loop, httpserver, news):
    """A mis-click: reopened (unreleased), then Done (released) again within the grace
    period: the tickets keep their shipped note and get nothing more, then or later."""
    loop, desk, key = shipped(make_loop, httpserver, news)
    take_back(loop, key, news)
    assert (f"zendesk:{CLOSED}", news, "pending") in notes(loop)

    ship_again(loop, key, news)
    make_messages_due(loop)
    jobs.deliver_outbound(runtime=loop.runtime)
    jobs.reconcile(loop.runtime, force=True)

    assert [len(n) for n in desk.notes.values()] == [1, 1, 1, 1]
    assert notes(loop) == [(f"zendesk:{ticket}", "shipped", "sent") for ticket in CUSTOMERS]


def test_a_merged_problems_ticket_hears_of_the_reopen_and_of_the_next_ship(make_loop, httpserver):
    """Tom's ticket was noted when its own problem's fix shipped, before that problem was
    merged into one whose fix had shipped too. The survivor's issue is reopened: a mis-click
    first (Done again within the grace period: nothing), then for good. His ticket hears
    of it once, and of the next ship."""
    loop, desk, duplicate, survivor = two_shipped(make_loop, httpserver)
    merge(loop, duplicate.id, survivor.id)
    jobs.deliver_outbound(runtime=loop.runtime)
    assert [len(desk.notes[t]) for t in ("2002", "2003")] == [1, 1]

    for _ in range(2):  # reopened and Done again within the grace period, twice
        take_back(loop, survivor.jira_key, "reopened")
        ship_again(loop, survivor.jira_key, "reopened")
    make_messages_due(loop)
    jobs.deliver_outbound(runtime=loop.runtime)
    assert [len(desk.notes[t]) for t in ("2002", "2003")] == [1, 1]

    take_back(loop, survivor.jira_key, "reopened")
    make_messages_due(loop)
    jobs.deliver_outbound(runtime=loop.runtime)
    [_, reopened] = desk.notes["2002"]
    assert reopened.startswith('Maybe not fixed after all for Tom Reed at acme-corp.com: "')
    assert f"({survivor.jira_key}: " in reopened and "reopened in Jira" in reopened
    assert len(desk.notes["2003"]) == 2

    ship_again(loop, survivor.jira_key, "reopened")
    jobs.deliver_outbound(runtime=loop.runtime)
    assert [len(desk.notes[t]) for t in ("2002", "2003")] == [3, 3]
    assert desk.notes["2002"][2].startswith("Fixed now for Tom Reed at acme-corp.com")
    assert "The earlier fix did not hold: its issue was reopened" in desk.notes["2002"][2]


def test_a_note_that_may_have_arrived_is_not_resent_and_gets_the_follow_up(make_loop):
    """Zendesk took Tom's note that the fix shipped and hung up: it may be on the ticket. A
    reopen taken back within the grace period leaves it as it was (not sent again, still
    listed as one that may have arrived); a reopen for good sends the follow-up."""
    with HangsUp(answer=[2]) as desk:
        loop = make_loop(sources=zendesk_writeback(desk.url))
        zendesk(loop, "2002", "tom@acme-corp.com", "Tom Reed", "Bob")
        key = problem(loop).jira_key
        loop.sandbox.transition(key, "Done", resolution="Done")
        [maybe] = given_up(loop.runtime.engine)
        take_back(loop, key, "reopened")
        ship_again(loop, key, "reopened")  # within the grace period
        make_messages_due(loop)
        jobs.deliver_outbound(runtime=loop.runtime)
        [still] = given_up(loop.runtime.engine)
        assert (still.id, still.outcome, still.last_error) == (
            maybe.id,
            "shipped",
            maybe.last_error,
        )

        take_back(loop, key, "reopened")  # for good
        make_messages_due(loop)
        jobs.deliver_outbound(runtime=loop.runtime)
        bodies = [json.loads(r.split(b"\r\n\r\n", 1)[1]) for r in desk.received]

    [shipped, reopened] = [body["ticket"]["comment"]["body"] for body in bodies]
    assert "The fix shipped" in shipped
    assert reopened.startswith("Maybe not fixed after all for Tom Reed")
    assert given_up(loop.runtime.engine) == []
