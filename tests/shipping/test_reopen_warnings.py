"""A shipped problem whose Jira issue is reopened: each agent told of the fix hears that it was
reopened in Jira, about the customers they were told of, once the grace period
(`[notify].reopen_grace_seconds`) is over; Done again before then sends nothing. The
heads-up is owed like a regression's warning (closing/regression.py) and sent by the
messages lane when it comes due, in either runtime."""

from __future__ import annotations

from dataclasses import replace

import pytest
from sqlmodel import Session, select

from tests.shipping.test_close_the_loop import notify_list, problem, report
from tests.shipping.test_digests import make_messages_due
from tests.shipping.test_regression_warnings import (
    ALICE,
    BOB,
    MARIA,
    back,
    mark_told,
    named,
    ship,
    slack_loop,
    to,
)
from voice_router.models import Outbound
from workers import jobs
from workers.embedded import JobRunner
from workers.runner import run_worker
from workers.runtime import build_runtime, set_process_runtime

pytestmark = pytest.mark.usefixtures("jira_openapi_check")

CAROL, DAVE = "carol@support.example", "dave@support.example"
DEV = ("T2", "dev@globex.io", "Dev Patel", BOB)
EARLY = "2026-11-20T10:00:00Z"  # Tom's first ticket, before the one he wrote to Dave


def reopened(text: str) -> bool:
    return "reopened in Jira" in text and "is back" not in text and "has shipped" not in text


def owed(loop) -> list[tuple[str, str, str]]:  # type: ignore[no-untyped-def]
    """(agent, outcome, status) of every digest row, sorted."""
    with Session(loop.runtime.engine) as session:
        rows = session.exec(select(Outbound.target, Outbound.outcome, Outbound.status)).all()
    return sorted(rows)


def after_the_grace_period(loop, httpserver, news: str) -> tuple[str, str]:  # type: ignore[no-untyped-def]
    """Alice and Bob, told of the fix, hear nothing within the grace period, then each their
    heads-up (`news`): its text for each."""
    jobs.deliver_outbound(runtime=loop.runtime)  # within the grace period: not yet
    assert len(to(ALICE, httpserver)) == len(to(BOB, httpserver)) == 1
    assert owed(loop) == [(ALICE, news, "pending"), (BOB, news, "pending")]
    make_messages_due(loop)  # the grace period is over
    jobs.deliver_outbound(runtime=loop.runtime)
    [_, alice] = to(ALICE, httpserver)
    [_, bob] = to(BOB, httpserver)
    return alice, bob


def test_each_agent_told_of_the_fix_hears_of_the_reopen_after_the_grace_period(
    make_loop, httpserver
):
    """Alice and Bob told Maria and Dev "it's fixed"; the issue was reopened and nobody
    heard. Now each hears, once the grace period is over, about their own customers."""
    loop = slack_loop(make_loop, httpserver)
    p = ship(loop, MARIA, DEV)
    loop.sandbox.transition(p.jira_key, "To Do")
    assert problem(loop).status == "in_progress"

    alice, bob = after_the_grace_period(loop, httpserver, "reopened")
    assert reopened(alice) and named(alice) == ["Maria Lopez"] and "generic #T1" in alice
    assert p.jira_key in alice and "looked at again" in alice
    assert reopened(bob) and named(bob) == ["Dev Patel"]

    loop.sandbox.transition(p.jira_key, "Done", resolution="Done")  # fixed again: news
    assert ["has shipped" in text for text in to(ALICE, httpserver)] == [True, False, True]
    assert named(to(ALICE, httpserver)[-1]) == ["Maria Lopez"]


def test_done_again_within_the_grace_period_sends_nothing(make_loop, httpserver):
    """A mis-click: reopened, then Done again. The heads-up owed is taken back, the shipped
    news stays sent (nobody hears "it's fixed" twice), and a heads-up owed to an agent who
    had marked a customer told without a digest of their own goes too."""
    loop = slack_loop(make_loop, httpserver)
    report(loop, "T0", "tom@acme-corp.com", name="Tom Reed", agent_email=CAROL, occurred_at=EARLY)
    p = ship(loop, MARIA, ("T3", "tom@acme-corp.com", "Tom Reed", DAVE))
    mark_told(loop, p.id, "tom@acme-corp.com")
    loop.sandbox.transition(p.jira_key, "In Progress")
    assert (CAROL, "reopened", "pending") in owed(loop)

    loop.sandbox.transition(p.jira_key, "Done", resolution="Done")
    make_messages_due(loop)
    jobs.deliver_outbound(runtime=loop.runtime)

    assert len(httpserver.log) == 2  # the digests of the fix, and nothing since
    assert owed(loop) == [(ALICE, "shipped", "sent"), (DAVE, "shipped", "sent")]


def test_done_again_within_the_grace_period_keeps_whom_the_agents_marked_told(
    make_loop, httpserver
):
    """Left by fix-reopen: Alice had marked Maria told; a mis-click reopen and Done again
    moved the fix's ship time to the second Done, so the notify list showed Maria as not
    told any more, and Alice was asked again to tell her."""
    loop = slack_loop(make_loop, httpserver)
    p = ship(loop, MARIA, DEV)
    shipped_at = problem(loop).shipped_at
    mark_told(loop, p.id, "maria@acme-corp.com")
    loop.sandbox.transition(p.jira_key, "In Progress")
    loop.sandbox.transition(p.jira_key, "Done", resolution="Done")
    assert problem(loop).shipped_at == shipped_at
    told = {r["customer_email"]: r["notified"] for r in notify_list(loop, p.id)["recipients"]}
    assert told == {"maria@acme-corp.com": True, "dev@globex.io": False}

    loop.sandbox.transition(p.jira_key, "In Progress")  # reopened for good this time
    make_messages_due(loop)
    jobs.deliver_outbound(runtime=loop.runtime)
    loop.sandbox.transition(p.jira_key, "Done", resolution="Done")  # a new fix: news again
    assert problem(loop).shipped_at != shipped_at
    told = {r["customer_email"]: r["notified"] for r in notify_list(loop, p.id)["recipients"]}
    assert told == {"maria@acme-corp.com": False, "dev@globex.io": False}


def test_a_reopen_whose_webhook_was_lost_is_found_by_reconcile_and_warns_the_same(
    make_loop, httpserver
):
    loop = slack_loop(make_loop, httpserver)
    p = ship(loop, MARIA)
    loop.sandbox.transition(p.jira_key, "To Do", send=False)  # its webhook lost
    jobs.reconcile(loop.runtime, force=True)
    assert problem(loop).status == "in_progress"
    assert len(to(ALICE, httpserver)) == 1
    make_messages_due(loop)
    jobs.reconcile(loop.runtime, force=True)  # its nudge sends what is due
    [_, alice] = to(ALICE, httpserver)
    assert reopened(alice) and named(alice) == ["Maria Lopez"]


def test_serve_runner_sends_the_heads_up_once_it_is_due(make_loop, httpserver):
    """`voice-router serve`'s runner (no Redis): its messages pass leaves the heads-up alone
    during the grace period and sends it after."""
    loop = slack_loop(make_loop, httpserver)
    p = ship(loop, MARIA)
    loop.sandbox.transition(p.jira_key, "To Do")
    runtime = build_runtime(loop.runtime.settings)  # no redis_url: serve's own runner
    runner = JobRunner(runtime)
    try:
        runner._messages_pass()
        assert len(to(ALICE, httpserver)) == 1
        make_messages_due(loop)
        runner._messages_pass()
    finally:
        runtime.engine.dispose()
    [_, alice] = to(ALICE, httpserver)
    assert reopened(alice) and named(alice) == ["Maria Lopez"]


@pytest.mark.slow
def test_rq_worker_processes_the_reopen_and_sends_the_heads_up_once_it_is_due(
    make_loop, httpserver, redis_url
):
    """With Redis: the worker processes Jira's webhook, owes the heads-up, leaves it during
    the grace period and sends it from a later sweep's job."""
    httpserver.expect_request("/hook", method="POST").respond_with_data("ok")
    loop = make_loop(redis_url=redis_url, notify={"slack_webhook_url": httpserver.url_for("/hook")})
    runtime = build_runtime(replace(loop.runtime.settings, redis_url=redis_url))
    try:
        report(loop, "T1", "maria@acme-corp.com", name="Maria Lopez", agent_email=ALICE)
        run_worker(runtime, burst=True)  # processes the report, creates the issue
        key = problem(loop).jira_key
        loop.sandbox.transition(key, "Done", resolution="Done")
        run_worker(runtime, burst=True)  # ships: the digest goes out
        assert len(to(ALICE, httpserver)) == 1
        loop.sandbox.transition(key, "To Do")
        run_worker(runtime, burst=True)  # reopened: the heads-up is owed, not due yet
        assert problem(loop).status == "in_progress"
        assert len(to(ALICE, httpserver)) == 1
        make_messages_due(loop)
        run_worker(runtime, burst=True)
    finally:
        set_process_runtime(None)  # type: ignore[arg-type]
        runtime.engine.dispose()
    [_, alice] = to(ALICE, httpserver)
    assert reopened(alice) and named(alice) == ["Maria Lopez"]


@pytest.mark.parametrize("news", ["regressed", "reopened"])
def test_an_agent_who_marked_a_customer_told_without_a_digest_is_warned(
    make_loop, httpserver, news
):
    """Fault audit: Carol took Tom's first ticket; he wrote again to Dave before the fix
    shipped, so the digest went to Dave. Carol told Tom herself and marked him told; when
    the fix came back (or was reopened), only agents who had had a digest were warned."""
    loop = slack_loop(make_loop, httpserver)
    report(loop, "T0", "tom@acme-corp.com", name="Tom Reed", agent_email=CAROL, occurred_at=EARLY)
    p = ship(loop, ("T3", "tom@acme-corp.com", "Tom Reed", DAVE))
    assert to(CAROL, httpserver) == []
    mark_told(loop, p.id, "tom@acme-corp.com")
    if news == "regressed":
        back(loop, "T4", "nina@initech.com", "Nina Park", DAVE)
    else:
        loop.sandbox.transition(p.jira_key, "To Do")
        make_messages_due(loop)
        jobs.deliver_outbound(runtime=loop.runtime)
    [carol] = to(CAROL, httpserver)
    assert named(carol) == ["Tom Reed"] and "generic #T0" in carol  # her own conversation
    assert ("is back" in carol) == (news == "regressed") and reopened(carol) == (news == "reopened")
    [_, dave] = to(DAVE, httpserver)
    assert named(dave) == ["Tom Reed"]
