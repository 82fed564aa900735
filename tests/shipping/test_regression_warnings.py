"""When a shipped fix comes back, each agent is warned about the customers they were told to
get back to (or marked as told) when it shipped: not about those who reported since (nobody
told them it was fixed; their report is what brought it back), and an agent none of whose
customers was told hears nothing. A problem merged into one whose fix has already come back
warns the agents told of its own fix, once."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlmodel import Session

from tests.shipping.test_close_the_loop import problem, report
from tests.shipping.test_digests import make_messages_due
from tests.shipping.test_merged_after_ship import merge
from tests.support import generic_delivery, post_signed, token
from voice_router.models import DigestCustomer, Problem
from voice_router.platform.clock import iso, utcnow
from workers import jobs

pytestmark = pytest.mark.usefixtures("jira_openapi_check")

ALICE, BOB = "alice@support.example", "bob@support.example"
CAROL, DAVE = "carol@support.example", "dave@support.example"
MARIA = ("T1", "maria@acme-corp.com", "Maria Lopez", ALICE)
PEOPLE = ("Maria Lopez", "Dev Patel", "Tom Reed", "Erin Gold", "Nina Park")


def slack_loop(make_loop, httpserver):  # type: ignore[no-untyped-def]
    httpserver.expect_request("/hook", method="POST").respond_with_data("ok")
    return make_loop(notify={"slack_webhook_url": httpserver.url_for("/hook")})


def to(agent: str, httpserver) -> list[str]:  # type: ignore[no-untyped-def]
    """The Slack messages for `agent` that Slack took, oldest first."""
    taken = [
        json.loads(request.get_data())["text"]
        for request, answer in httpserver.log
        if request.path == "/hook" and answer.status_code == 200
    ]
    return [text for text in taken if f"({agent})" in text]


def named(text: str) -> list[str]:
    return [who for who in PEOPLE if who in text]


def withdraw(loop, ticket: str, email: str, agent: str) -> None:  # type: ignore[no-untyped-def]
    """The agent takes the pain tag off the ticket."""
    body = generic_delivery(
        ticket, email, [], ["pain-sso-login"], agent_email=agent, occurred_at=iso(utcnow())
    )
    assert post_signed(loop.client, "generic", body).status_code == 202


def mark_told(loop, problem_id: int, email: str) -> None:  # type: ignore[no-untyped-def]
    """An agent marks the customer told, on the notify list."""
    marked = loop.client.post(
        f"/api/v1/problems/{problem_id}/notify/mark-sent",
        json={"customer_emails": [email]},
        headers=token(loop.runtime),
    )
    assert marked.get_json()["marked"] == [email]


def after_the_ship() -> str:
    return iso(utcnow() + timedelta(seconds=5))


def ship(loop, *customers: tuple[str, str, str, str]) -> Problem:  # type: ignore[no-untyped-def]
    """Each (ticket, e-mail, name, agent) reports the problem; then its fix ships."""
    for ticket, email, name, agent in customers:
        report(loop, ticket, email, name=name, agent_email=agent)
    shipped = problem(loop)
    loop.sandbox.transition(shipped.jira_key, "Done", resolution="Done")
    return shipped


def back(loop, ticket: str, email: str, name: str, agent: str, **more: str) -> None:  # type: ignore[no-untyped-def]
    """A report after the ship: the fix has come back."""
    report(loop, ticket, email, name=name, agent_email=agent, occurred_at=after_the_ship(), **more)
    assert problem(loop).status == "regressed"


def test_the_warning_names_whom_the_agent_told_not_who_reported_it_back(make_loop, httpserver):
    """Fault audit: Erin wrote to Alice after the fix shipped ("Broken again"); Alice's
    warning asked her to get back to Erin (never told it was fixed) as well as Maria."""
    loop = slack_loop(make_loop, httpserver)
    ship(loop, MARIA, ("T2", "dev@globex.io", "Dev Patel", BOB))
    assert [named(t) for t in to(ALICE, httpserver)] == [["Maria Lopez"]]
    back(loop, "T3", "erin@initech.com", "Erin Gold", ALICE, subject="Broken again")
    [_, alice] = to(ALICE, httpserver)
    assert "is back" in alice and named(alice) == ["Maria Lopez"]
    assert "You were asked to tell this customer it was fixed" in alice
    [_, bob] = to(BOB, httpserver)
    assert "is back" in bob and named(bob) == ["Dev Patel"]


def test_a_customer_marked_told_is_warned_and_an_agent_with_no_one_told_hears_nothing(
    make_loop, httpserver
):
    """Fault audit: Alice marked Maria as told after the digest; the warning left Maria out
    (marked told, as if that meant "needs no word"), and so said nothing to Alice. Bob's
    only customer withdrew her report; the warning asked him to warn Nina, who had just
    reported the problem back herself."""
    loop = slack_loop(make_loop, httpserver)
    p = ship(loop, MARIA, ("T2", "dev@globex.io", "Dev Patel", BOB))
    mark_told(loop, p.id, "maria@acme-corp.com")
    withdraw(loop, "T2", "dev@globex.io", BOB)  # not this problem after all
    back(loop, "T4", "nina@initech.com", "Nina Park", BOB)
    [_, alice] = to(ALICE, httpserver)
    assert "is back" in alice and named(alice) == ["Maria Lopez"]
    assert len(to(BOB, httpserver)) == 1  # the shipped digest only


def test_an_agent_whose_customer_wrote_again_to_a_colleague_is_warned(make_loop, httpserver):
    """Fault audit: Carol told Tom the fix had shipped; Tom wrote again after it, to Dave,
    and the warning went by the notify list's agent (Dave's now): Carol heard nothing, and
    Dave, who never told Tom anything, was not warned either since he had heard of no fix."""
    loop = slack_loop(make_loop, httpserver)
    ship(loop, ("T1", "tom@acme-corp.com", "Tom Reed", CAROL))
    assert [named(t) for t in to(CAROL, httpserver)] == [["Tom Reed"]]
    back(loop, "T2", "tom@acme-corp.com", "Tom Reed", DAVE, subject="It is back")
    [_, carol] = to(CAROL, httpserver)
    assert "is back" in carol and named(carol) == ["Tom Reed"]
    assert "generic #T1" in carol and "#T2" not in carol  # the conversation she had with him
    assert to(DAVE, httpserver) == []


def test_a_problem_merged_into_one_whose_fix_came_back_warns_the_agents_told_of_it_once(
    make_loop, httpserver
):
    """Fault audit: the duplicate had shipped and its agents had told their customers; merged
    into a problem whose fix had already come back, it warned nobody. Now Alice hears about
    Erin (not again about Maria, of whom the regression warned her), Carol about Tom, Bob
    nothing more; and when the fix ships again everyone hears of everyone."""
    loop = slack_loop(make_loop, httpserver)
    report(loop, "T3", "erin@initech.com", "pain-sso-loop", name="Erin Gold", agent_email=ALICE)
    report(loop, "T4", "tom@umbrella.example", "pain-sso-loop", name="Tom Reed", agent_email=CAROL)
    duplicate = problem(loop, "sso-loop")
    loop.sandbox.transition(duplicate.jira_key, "Done", resolution="Done")
    survivor = ship(loop, MARIA, ("T2", "dev@globex.io", "Dev Patel", BOB))
    assert [named(t) for t in to(ALICE, httpserver)] == [["Erin Gold"], ["Maria Lopez"]]
    back(loop, "T5", "nina@initech.com", "Nina Park", BOB)
    assert named(to(ALICE, httpserver)[-1]) == ["Maria Lopez"]
    assert len(to(BOB, httpserver)) == 2 and len(to(CAROL, httpserver)) == 1

    merge(loop, duplicate.id, survivor.id)
    jobs.deliver_outbound(runtime=loop.runtime)

    alice, bob, carol = to(ALICE, httpserver), to(BOB, httpserver), to(CAROL, httpserver)
    assert len(alice) == 4 and "is back" in alice[-1] and named(alice[-1]) == ["Erin Gold"]
    assert "SSO" in alice[-1] and survivor.jira_key in alice[-1]
    assert len(carol) == 2 and "is back" in carol[-1] and named(carol[-1]) == ["Tom Reed"]
    assert len(bob) == 2
    assert problem(loop).status == "regressed"

    loop.sandbox.transition(survivor.jira_key, "In Progress")
    loop.sandbox.transition(survivor.jira_key, "Done", resolution="Done")
    jobs.deliver_outbound(runtime=loop.runtime)
    fixed = {agent: to(agent, httpserver)[-1] for agent in (ALICE, BOB, CAROL)}
    assert all("has shipped" in text for text in fixed.values())
    assert named(fixed[ALICE]) == ["Maria Lopez", "Erin Gold"]
    assert named(fixed[BOB]) == ["Dev Patel", "Nina Park"]
    assert named(fixed[CAROL]) == ["Tom Reed"]


def test_a_digest_sent_before_whom_it_named_was_recorded_still_warns_its_customers(
    make_loop, httpserver
):
    """A fix announced before the upgrade to migration 0022 has no record of whom each
    digest named: the warning names the agent's customers who had reported it by the ship."""
    loop = slack_loop(make_loop, httpserver)
    ship(loop, MARIA)
    with Session(loop.runtime.engine) as session:  # as a database from before 0022 is
        session.execute(sa.delete(DigestCustomer))
        session.commit()
    back(loop, "T2", "erin@initech.com", "Erin Gold", ALICE)
    [_, alice] = to(ALICE, httpserver)
    assert "is back" in alice and named(alice) == ["Maria Lopez"]


def test_shipped_news_still_owed_by_a_problem_merged_into_one_whose_fix_came_back_is_not_sent(
    make_loop, httpserver
):
    """Carol's digest of the duplicate's fix was waiting for Slack when the duplicate was
    merged into a problem whose fix had come back: it then told her the fix "has shipped"."""
    loop = slack_loop(make_loop, httpserver)
    survivor = ship(loop, ("T1", "dev@globex.io", "Dev Patel", BOB))
    report(loop, "T2", "tom@umbrella.example", "pain-sso-loop", name="Tom Reed", agent_email=CAROL)
    duplicate = problem(loop, "sso-loop")
    httpserver.expect_oneshot_request("/hook", method="POST").respond_with_data("", status=503)
    loop.sandbox.transition(duplicate.jira_key, "Done", resolution="Done")
    assert to(CAROL, httpserver) == []  # Slack said 503: her digest waits for a retry
    back(loop, "T3", "nina@initech.com", "Nina Park", BOB)

    merge(loop, duplicate.id, survivor.id)
    make_messages_due(loop)
    jobs.deliver_outbound(runtime=loop.runtime)

    assert to(CAROL, httpserver) == []
    assert [named(t) for t in to(BOB, httpserver)] == [["Dev Patel"], ["Dev Patel"]]


def test_shipped_news_not_sent_yet_when_the_fix_comes_back_is_never_sent(make_loop, httpserver):
    """Found by the fault audit: Slack was down when the fix shipped, so Bob's digest waited
    for a retry; the fix came back meanwhile, and once Slack answered the digest told Bob the
    fix "has shipped" and to get back to Dev. Nobody was told it was fixed: nobody is warned,
    and the stale news is not sent."""
    loop = slack_loop(make_loop, httpserver)
    httpserver.expect_oneshot_request("/hook", method="POST").respond_with_data("", status=503)
    ship(loop, ("T1", "dev@globex.io", "Dev Patel", BOB))
    assert to(BOB, httpserver) == []  # Slack said 503: the digest waits for a retry

    back(loop, "T2", "nina@initech.com", "Nina Park", BOB)
    make_messages_due(loop)
    jobs.deliver_outbound(runtime=loop.runtime)

    assert to(BOB, httpserver) == []
    assert problem(loop).status == "regressed"


def test_the_warning_says_what_came_back_in_the_customers_words(make_loop, httpserver):
    """Found reading every message (fix-words): the warning said "The fix that shipped has
    regressed" with nothing of the report that brought it back, nor the version it shipped
    in, so an agent about to warn Maria could not say what was seen again."""
    loop = slack_loop(make_loop, httpserver)
    report(loop, *MARIA[:2], name=MARIA[2], agent_email=ALICE, subject="Stuck in a login loop")
    shipped = problem(loop)
    loop.sandbox.create_version("2.4.0")
    loop.sandbox.edit(shipped.jira_key, {"fixVersions": [{"name": "2.4.0"}]})
    loop.sandbox.transition(shipped.jira_key, "Done", resolution="Done")
    [told] = to(ALICE, httpserver)
    assert "has shipped in version 2.4.0" in told
    back(
        loop,
        "T3",
        "erin@initech.com",
        "Erin Gold",
        BOB,
        subject="Safari loops again after 2.4.0",
        company="Initech",
    )
    [_, alice] = to(ALICE, httpserver)
    assert "is back: it was reported again after the fix shipped in version 2.4.0" in alice
    assert "What came back, in their words:\n“Safari loops again after 2.4.0” — Initech" in alice
    assert "has regressed" not in alice
    assert named(alice) == ["Maria Lopez"]  # whom to warn; the new report is quoted, not named
    assert "Stuck in a login loop" in alice  # Maria's own ticket, in her words
    assert alice.count("Stuck in a login loop") == 1  # not among what came back
