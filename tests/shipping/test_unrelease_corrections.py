"""`shipped_when = "released"`: a fix version released by mistake, then unreleased in Jira.
The problem goes back to `in_progress` and its unsent news is cancelled (test_version_changes);
each agent already told it shipped gets a short correction about the customers they were told
of, once `[notify].reopen_grace_seconds` is over, as for a reopened issue; released again
before then, nothing is sent. Through the webhook and through the reconcile pass that finds
an unrelease whose webhook was lost."""

from __future__ import annotations

import pytest

from tests.shipping.test_close_the_loop import notify_list, problem, report
from tests.shipping.test_digests import make_messages_due
from tests.shipping.test_regression_warnings import ALICE, BOB, MARIA, named, to
from tests.shipping.test_reopen_warnings import after_the_grace_period, owed
from workers import jobs

pytestmark = pytest.mark.usefixtures("jira_openapi_check")

DEV = ("T2", "dev@globex.io", "Dev Patel", BOB)


def released_loop(make_loop, httpserver):  # type: ignore[no-untyped-def]
    httpserver.expect_request("/hook", method="POST").respond_with_data("ok")
    return make_loop(
        shipped_when="released", notify={"slack_webhook_url": httpserver.url_for("/hook")}
    )


def release(loop, *customers: tuple[str, str, str, str]) -> str:  # type: ignore[no-untyped-def]
    """Each (ticket, e-mail, name, agent) reports the problem; its issue is Done in 2.4.0,
    and 2.4.0 is released: the fix ships. Returns the issue's key."""
    for ticket, email, name, agent in customers:
        report(loop, ticket, email, name=name, agent_email=agent, subject=f"{name} is stuck")
    key = problem(loop).jira_key
    loop.sandbox.create_version("2.4.0")
    loop.sandbox.edit(key, {"fixVersions": [{"name": "2.4.0"}]})
    loop.sandbox.transition(key, "Done", resolution="Done")
    loop.sandbox.release_version("2.4.0")
    assert problem(loop).status == "shipped"
    return key


def corrected(text: str) -> bool:
    return (
        "has not shipped after all" in text
        and "It is in version 2.4.0, not released yet" in text
        and "is back" not in text
        and "reopened" not in text
    )


@pytest.mark.parametrize("webhook", [True, False], ids=["webhook", "webhook-lost"])
def test_agents_told_of_a_release_that_was_taken_back_hear_of_it_after_the_grace_period(
    make_loop, httpserver, webhook
):
    """Found by fix-lifecycle: 2.4.0 was released by mistake and unreleased a minute later;
    Alice and Bob had told Maria and Dev "it's fixed in 2.4.0", and nobody told them it
    wasn't (the problem went quietly back to in progress)."""
    loop = released_loop(make_loop, httpserver)
    key = release(loop, MARIA, DEV)
    assert ["has shipped in version 2.4.0" in t for t in to(ALICE, httpserver)] == [True]

    loop.sandbox.unrelease_version("2.4.0", send=webhook)
    if not webhook:
        jobs.reconcile(loop.runtime, force=True)
    assert problem(loop).status == "in_progress"
    assert notify_list(loop, problem(loop).id)["shipped"] is False
    alice, bob = after_the_grace_period(loop, httpserver, "unreleased")
    assert corrected(alice) and named(alice) == ["Maria Lopez"], alice
    assert key in alice and "Maria Lopez is stuck" in alice and "generic #T1" in alice
    assert corrected(bob) and named(bob) == ["Dev Patel"], bob

    loop.sandbox.release_version("2.4.0")  # released for real: news again
    jobs.deliver_outbound(runtime=loop.runtime)
    assert ["has shipped" in t for t in to(ALICE, httpserver)] == [True, False, True]
    assert named(to(ALICE, httpserver)[-1]) == ["Maria Lopez"]


def test_released_again_within_the_grace_period_sends_nothing(make_loop, httpserver):
    """A mis-click in Jira's Releases page, put right at once: nobody hears of it, the shipped
    news stays sent and the fix keeps the time it first shipped."""
    loop = released_loop(make_loop, httpserver)
    release(loop, MARIA, DEV)
    shipped_at = problem(loop).shipped_at

    loop.sandbox.unrelease_version("2.4.0")
    loop.sandbox.release_version("2.4.0")
    make_messages_due(loop)
    jobs.deliver_outbound(runtime=loop.runtime)

    assert len(httpserver.log) == 2  # the two digests of the fix, and nothing since
    assert owed(loop) == [(ALICE, "shipped", "sent"), (BOB, "shipped", "sent")]
    assert (problem(loop).status, problem(loop).shipped_at) == ("shipped", shipped_at)


def test_an_agent_who_heard_nothing_of_the_fix_hears_nothing_of_the_unrelease(
    make_loop, httpserver
):
    """Slack was down when the fix shipped: Bob's digest waited for a retry and is cancelled
    by the unrelease (test_version_changes); he never heard it shipped, so no correction."""
    loop = released_loop(make_loop, httpserver)
    report(loop, *DEV[:2], name=DEV[2], agent_email=BOB)
    key = problem(loop).jira_key
    loop.sandbox.create_version("2.4.0")
    loop.sandbox.edit(key, {"fixVersions": [{"name": "2.4.0"}]})
    loop.sandbox.transition(key, "Done", resolution="Done")
    httpserver.expect_oneshot_request("/hook", method="POST").respond_with_data("", status=503)
    loop.sandbox.release_version("2.4.0")
    assert to(BOB, httpserver) == []

    loop.sandbox.unrelease_version("2.4.0")
    make_messages_due(loop)
    jobs.deliver_outbound(runtime=loop.runtime)

    assert to(BOB, httpserver) == []
    assert owed(loop) == [(BOB, "shipped", "cancelled")]
