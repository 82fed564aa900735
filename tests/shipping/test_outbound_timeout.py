"""`outbound_timeout_seconds` is every outbound call's deadline: a helpdesk's write-back, Slack
and the mail server are each given that long, not a fixed 10 s (Jira's calls:
tests/jira_sync/test_sync.py::test_a_timeout_is_transient)."""

from __future__ import annotations

import pytest
from sqlmodel import Session, select

from tests.serving import BlackHole
from tests.shipping.test_close_the_loop import problem, report
from tests.shipping.test_merged_after_ship import zendesk
from tests.shipping.test_regression_warnings import MARIA
from tests.support import zendesk_writeback
from voice_router.models import Outbound
from workers import jobs

pytestmark = pytest.mark.usefixtures("jira_openapi_check")


def configured(channel: str, hole: BlackHole) -> dict[str, object]:
    if channel == "writeback":
        return {"sources": zendesk_writeback(hole.url)}
    if channel == "slack":
        return {"notify": {"slack_webhook_url": f"{hole.url}/services/T0/B0/x"}}
    return {"notify": {"smtp_url": f"smtp://127.0.0.1:{hole.port}"}}


@pytest.mark.parametrize("channel", ["writeback", "slack", "email"])
def test_a_server_that_never_answers_is_given_outbound_timeout_seconds(make_loop, channel):
    hole = BlackHole()  # takes the connection, never says a word
    try:
        loop = make_loop(webhooks=False, outbound_timeout_seconds=1.5, **configured(channel, hole))
        if channel == "writeback":
            zendesk(loop, "101", MARIA[1], MARIA[2], "Alice")
        else:
            report(loop, MARIA[0], MARIA[1], name=MARIA[2], agent_email=MARIA[3])
        loop.sandbox.transition(problem(loop).jira_key, "Done", resolution="Done")
        jobs.reconcile(loop.runtime, force=True)  # ships it; its message is sent at once
        with Session(loop.runtime.engine) as session:
            [row] = session.exec(select(Outbound).where(Outbound.channel == channel)).all()
    finally:
        hole.close()
    assert hole.held, "the message was tried"
    assert row.status != "sent"
    assert "did not answer within 1.5 s" in (row.last_error or ""), row.last_error
