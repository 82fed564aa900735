"""A message owed that has nobody left to name when its turn comes (its customers forgotten or
their reports withdrawn since it was owed) is not sent, and is not recorded or counted as
sent: it is cancelled with why, counted as `nothing_to_send`, and nothing that reads "sent"
takes it for a message the agent read (the warning when the fix comes back)."""

from __future__ import annotations

import pytest
from sqlmodel import Session, select

from tests.shipping.test_digests import make_messages_due
from tests.shipping.test_regression_warnings import ALICE, BOB, MARIA, back, named, ship, to
from tests.test_metrics import scrape, value
from voice_router.models import Outbound
from voice_router.problems.privacy import forget
from workers import jobs

pytestmark = pytest.mark.usefixtures("jira_openapi_check")

DEV = ("T2", "dev@globex.io", "Dev Patel", BOB)
COUNTED = "voice_router_notifications_total"


def rows(loop) -> dict[str, Outbound]:  # type: ignore[no-untyped-def]
    """Each agent's digest row."""
    with Session(loop.runtime.engine) as session:
        return {row.target: row for row in session.exec(select(Outbound))}


def counted(loop, outcome: str) -> float:  # type: ignore[no-untyped-def]
    return value(scrape(loop.client.get), COUNTED, channel="slack", outcome=outcome)


def test_a_digest_whose_customers_were_forgotten_before_it_went_is_not_counted_sent(
    make_loop, httpserver
):
    """Left by an earlier session: Slack was down when the fix shipped; Maria, Alice's only
    customer, was erased before Alice's digest got its retry. Nothing went to Alice, yet the
    digest was recorded `sent` and counted in `notifications_total{outcome="sent"}`; and when
    the fix came back Alice was owed a warning about the customer she was "told" of."""
    for _ in range(2):  # both digests of the fix: Slack is down
        httpserver.expect_oneshot_request("/hook").respond_with_data("down", status=503)
    httpserver.expect_request("/hook").respond_with_data("ok")
    loop = make_loop(notify={"slack_webhook_url": httpserver.url_for("/hook")})
    sent, nothing = counted(loop, "sent"), counted(loop, "nothing_to_send")
    ship(loop, MARIA, DEV)
    assert {agent: row.status for agent, row in rows(loop).items()} == {
        ALICE: "pending",
        BOB: "pending",
    }
    forget(loop.runtime.engine, "maria@acme-corp.com", "test:dpo")

    make_messages_due(loop)
    jobs.deliver_outbound(runtime=loop.runtime)

    alice, bob = rows(loop)[ALICE], rows(loop)[BOB]
    assert (alice.status, alice.sent_at) == ("cancelled", None)
    assert alice.last_error.startswith("nothing to send: none of the agent's customers")
    assert bob.status == "sent" and to(ALICE, httpserver) == []
    assert [named(text) for text in to(BOB, httpserver)] == [["Dev Patel"]]
    assert counted(loop, "sent") == sent + 1  # Bob's digest, not Alice's
    assert counted(loop, "nothing_to_send") == nothing + 1

    back(loop, "T3", "erin@initech.com", "Erin Gold", BOB)  # the fix came back
    jobs.deliver_outbound(runtime=loop.runtime)

    assert (rows(loop)[ALICE].outcome, rows(loop)[ALICE].status) == ("shipped", "cancelled")
    assert rows(loop)[BOB].outcome == "regressed" and len(to(BOB, httpserver)) == 2
    assert counted(loop, "sent") == sent + 2  # Bob's warning; nothing "sent" to Alice
    assert to(ALICE, httpserver) == []
