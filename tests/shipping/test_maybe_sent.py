"""A digest or a heads-up whose Slack post or e-mail went out and got no answer (a timeout, a
connection closed before the answer) may have reached the agent: it is not sent again (nobody
hears twice, DESIGN), by the same rule for the news of a fix as for a heads-up that it was
reopened, and the operator sees what it was and that it may have arrived: `voice-router
outbound failed`, the log event `outbound.failed`, the failed count."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from tests.integrations.misbehaving import HangsUp, SmtpHangsUp
from tests.shipping.test_digests import make_messages_due
from tests.shipping.test_regression_warnings import MARIA, ship
from tests.support import config_file
from tests.test_metrics import scrape, value
from voice_router.cli import cli
from voice_router.closing.outbound import given_up
from workers import jobs

pytestmark = pytest.mark.usefixtures("jira_openapi_check")


def agents_side(channel: str, answered: int) -> HangsUp | SmtpHangsUp:
    """Slack, or a mail server, that takes each message whole and hangs up instead of
    answering, but for the first `answered` ones."""
    return HangsUp(answered) if channel == "slack" else SmtpHangsUp("dot", answered)


def notify_at(channel: str, server: HangsUp | SmtpHangsUp) -> dict[str, str]:
    if channel == "slack":
        return {"slack_webhook_url": f"{server.url}/services/T0/B0/x"}
    return {"smtp_url": f"smtp://127.0.0.1:{server.port}"}


@pytest.mark.parametrize("channel", ["slack", "email"])
@pytest.mark.parametrize("news", ["shipped", "reopened"])
def test_a_message_that_may_have_arrived_goes_once_and_is_shown_as_such(
    make_loop, tmp_path, every_log_record, channel, news
):
    """Found by fix-lifecycle: the failed listing cut the error at 120 characters, so "it may
    have gone through" never showed for a Slack or e-mail message, nor whether the one given
    up was the news that the fix shipped or a heads-up that it was reopened."""
    answered = 1 if news == "reopened" else 0  # the heads-up comes after the fix's digest
    with agents_side(channel, answered) as server:
        loop = make_loop(notify=notify_at(channel, server))
        counted = "voice_router_notifications_total"
        before = value(scrape(loop.client.get), counted, channel=channel, outcome="failed")
        p = ship(loop, MARIA)
        if news == "reopened":
            loop.sandbox.transition(p.jira_key, "To Do")
            make_messages_due(loop)  # the grace period is over
            jobs.deliver_outbound(runtime=loop.runtime)
        make_messages_due(loop)
        jobs.deliver_outbound(runtime=loop.runtime)  # a later pass of the messages lane
        received = len(server.received)

    assert received == answered + 1  # the message went out once, and not again
    [row] = given_up(loop.runtime.engine)
    assert (row.channel, row.outcome, row.target) == (channel, news, MARIA[3])
    assert "it may have gone through" in row.last_error
    [said] = [r for r in every_log_record if r.msg == "outbound.failed"]
    assert (said.outbound_id, said.outcome, said.maybe_sent) == (row.id, news, True)
    after = value(scrape(loop.client.get), counted, channel=channel, outcome="failed")
    assert after == before + 1

    config = config_file(tmp_path, loop.runtime.settings.database_url)
    listed = CliRunner().invoke(cli, ["--config", str(config), "outbound", "failed"])
    assert listed.exit_code == 0, listed.output
    [header, line] = listed.output.splitlines()
    assert header.split()[:5] == ["ID", "PROBLEM", "CHANNEL", "NEWS", "TARGET"]
    assert line.split()[:5] == [str(row.id), str(p.id), channel, news, MARIA[3]]
    assert "may have arrived: " in line
