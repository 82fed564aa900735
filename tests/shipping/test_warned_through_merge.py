"""An agent told of a fix only through a problem since merged hears when the survivor's fix
comes back: the warning goes to whoever heard, through whichever problem of the group."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.shipping.test_close_the_loop import problem, report
from tests.shipping.test_digests import slack_texts
from tests.shipping.test_merged_after_ship import merge
from voice_router.platform.clock import iso, utcnow
from workers import jobs

pytestmark = pytest.mark.usefixtures("jira_openapi_check")


ALICE, BOB = "alice@support.example", "bob@support.example"
TAGS = {ALICE: "pain-sso-login", BOB: "pain-sso-loop"}  # Alice's on one problem, Bob's on another


def reported(loop, ticket, email, name, agent, **at):  # type: ignore[no-untyped-def]
    report(loop, ticket, email, tag=TAGS[agent], name=name, agent_email=agent, **at)


def to(agent: str, httpserver) -> list[str]:  # type: ignore[no-untyped-def]
    return [text for text in slack_texts(httpserver) if f"({agent})" in text]


def test_an_agent_told_through_a_merged_problem_is_warned_when_the_survivor_regresses(
    make_loop, httpserver
):
    """Fault audit: Alice told Maria the first problem's fix had shipped; it was merged into
    a shipped duplicate, whose fix came back before the merge's owed message went out. Only
    the survivor's own agents were warned; Alice was then told the fix "has shipped"."""
    httpserver.expect_request("/hook", method="POST").respond_with_data("ok")
    loop = make_loop(notify={"slack_webhook_url": httpserver.url_for("/hook")})
    reported(loop, "T1", "dev@globex.io", "Dev Patel", BOB)
    reported(loop, "T2", "maria@acme-corp.com", "Maria Lopez", ALICE)
    survivor, merged = problem(loop, "sso-loop"), problem(loop)
    loop.sandbox.transition(survivor.jira_key, "Done", resolution="Done")
    loop.sandbox.transition(merged.jira_key, "Done", resolution="Done")
    [told] = to(ALICE, httpserver)
    assert "Maria Lopez" in told and "has shipped" in told
    merge(loop, merged.id, survivor.id)
    later = iso(utcnow() + timedelta(seconds=5))  # a report after the ship: regressed
    reported(loop, "T3", "nina@initech.com", "Nina Park", BOB, occurred_at=later)
    assert problem(loop, "sso-loop").status == "regressed"
    jobs.deliver_outbound(runtime=loop.runtime)
    [_, warned] = to(ALICE, httpserver)
    assert "is back" in warned and "Maria Lopez" in warned and "has shipped" not in warned
    [bob_told, bob_warned] = to(BOB, httpserver)
    assert "has shipped" in bob_told and "is back" in bob_warned
