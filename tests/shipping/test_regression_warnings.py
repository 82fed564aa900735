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
from tests.support import generic_delivery, post_signed, token
from voice_router.models import DigestCustomer, Problem
from voice_router.platform.clock import iso, utcnow

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
        if answer.status_code == 200
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
    marked = loop.client.post(
        f"/api/v1/problems/{p.id}/notify/mark-sent",
        json={"customer_emails": ["maria@acme-corp.com"]},
        headers=token(loop.runtime),
    )
    assert marked.get_json()["marked"] == ["maria@acme-corp.com"]
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
