"""A digest or a heads-up whose Slack post or e-mail went out and got no answer (a timeout, a
connection closed before the answer) may have reached the agent: it is not sent again (nobody
hears twice, DESIGN), by the same rule for the news of a fix as for a heads-up that it was
reopened, and the operator sees what it was and that it may have arrived: `voice-router
outbound failed`, the log event `outbound.failed`, the failed count."""

from __future__ import annotations

import json
from collections.abc import Collection

import pytest
from click.testing import CliRunner
from sqlmodel import Session

from tests.integrations.misbehaving import HangsUp, SmtpHangsUp
from tests.shipping.test_close_the_loop import problem, report
from tests.shipping.test_digests import make_messages_due
from tests.shipping.test_merged_after_ship import merge, zendesk
from tests.shipping.test_regression_warnings import ALICE, BOB, MARIA, back, named, ship
from tests.support import config_file, zendesk_writeback
from tests.test_metrics import scrape, value
from voice_router.cli import cli
from voice_router.closing.outbound import given_up
from voice_router.models import Outbound
from workers import jobs

pytestmark = pytest.mark.usefixtures("jira_openapi_check")


def agents_side(channel: str, answer: Collection[int] = ()) -> HangsUp | SmtpHangsUp:
    """Slack, or a mail server, that takes each message whole and hangs up instead of
    answering, but for the ones numbered in `answer` (from 1)."""
    return HangsUp(answer) if channel == "slack" else SmtpHangsUp("dot", answer)


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
    answered = [1] if news == "reopened" else []  # the heads-up comes after the fix's digest
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

    assert received == len(answered) + 1  # the message went out once, and not again
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


@pytest.mark.parametrize("news", ["regressed", "reopened"])
def test_an_agent_whose_digest_may_have_arrived_is_warned_like_one_told(make_loop, news):
    """Found by fix-lifecycle: Slack took Alice's digest of the fix and hung up, so it was
    given up as one that may have arrived; Alice had read it and told Maria. When the fix
    came back (or its issue was reopened) only digests recorded sent counted, and Alice
    heard nothing: her customer was left thinking it was fixed."""
    with agents_side("slack", answer=[2]) as slack:  # the fix's digest hangs, the next goes
        loop = make_loop(notify=notify_at("slack", slack))
        p = ship(loop, MARIA)
        [maybe] = given_up(loop.runtime.engine)
        if news == "regressed":
            back(loop, "T2", "erin@initech.com", "Erin Gold", BOB)
        else:
            loop.sandbox.transition(p.jira_key, "To Do")
            make_messages_due(loop)
            jobs.deliver_outbound(runtime=loop.runtime)
        texts = [json.loads(r.split(b"\r\n\r\n", 1)[1])["text"] for r in slack.received]

    [digest, warning] = texts
    assert "has shipped" in digest
    assert ("is back" in warning) == (news == "regressed")
    assert ("reopened in Jira" in warning) == (news == "reopened")
    assert named(warning) == ["Maria Lopez"] and f"({ALICE})" in warning
    assert given_up(loop.runtime.engine) == []  # the warning took the digest's place
    with Session(loop.runtime.engine) as session:
        row = session.get(Outbound, maybe.id)
    assert (row.outcome, row.status) == (news, "sent")


def test_news_given_up_is_not_resent_once_the_fix_came_back(make_loop, tmp_path, httpserver):
    """Found by fix-lifecycle: Slack refused Bob's digest (a webhook since removed) and it was
    listed as failed; the fix came back, the operator fixed the webhook and ran `outbound
    resend --all`, and Bob was told the fix "has shipped". Nobody heard that news, so nobody
    is warned, and it is not kept to be sent later either (as one waiting for a retry is not)."""
    httpserver.expect_oneshot_request("/hook").respond_with_data("no_service", status=404)
    httpserver.expect_request("/hook").respond_with_data("ok")
    loop = make_loop(notify={"slack_webhook_url": httpserver.url_for("/hook")})
    ship(loop, ("T1", "dev@globex.io", "Dev Patel", BOB))
    [refused] = given_up(loop.runtime.engine)
    assert refused.last_error.startswith("no_service")

    back(loop, "T2", "nina@initech.com", "Nina Park", BOB)
    config = config_file(tmp_path, loop.runtime.settings.database_url)
    resent = CliRunner().invoke(cli, ["--config", str(config), "outbound", "resend", "--all"])

    assert resent.exit_code == 0 and "nothing to resend" in resent.output
    assert given_up(loop.runtime.engine) == []
    assert len(httpserver.log) == 1  # the refused digest, and nothing since


def test_a_ticket_whose_note_may_have_arrived_hears_that_the_fix_came_back(make_loop):
    """The same for a note: Zendesk took Tom's note and hung up; it counts as on the ticket,
    which gets the follow-up when the fix comes back."""
    with HangsUp(answer=[2]) as desk:
        loop = make_loop(sources=zendesk_writeback(desk.url))
        zendesk(loop, "2002", "tom@acme-corp.com", "Tom Reed", "Bob")
        loop.sandbox.transition(problem(loop).jira_key, "Done", resolution="Done")
        assert len(given_up(loop.runtime.engine)) == 1
        back(loop, "T2", "erin@initech.com", "Erin Gold", BOB)
        notes = [json.loads(r.split(b"\r\n\r\n", 1)[1]) for r in desk.received]

    [shipped, came_back] = [note["ticket"]["comment"]["body"] for note in notes]
    assert "The fix shipped" in shipped and "has come back" in came_back
    assert came_back.startswith("Not fixed after all for Tom Reed")
    assert given_up(loop.runtime.engine) == []


@pytest.mark.parametrize("news", ["shipped", "wont_fix"])
def test_a_reopen_taken_back_does_not_resend_news_that_may_have_arrived(make_loop, news):
    """Left by an earlier session: Slack took Alice's digest of the fix and hung up (it may
    have arrived); the issue was reopened by mistake and moved back to Done within the grace
    period. Taking the reopen back dropped the heads-up's row, which had carried the digest,
    and the Done owed the digest anew: Alice was told the fix shipped a second time. (The
    same for a won't-fix decided again after a reopen.)"""
    resolution = "Done" if news == "shipped" else "Won't Do"
    with agents_side("slack") as slack:  # every message hangs up: each may have arrived
        loop = make_loop(notify=notify_at("slack", slack))
        ticket, email, name, agent = MARIA
        report(loop, ticket, email, name=name, agent_email=agent)
        p = problem(loop)
        loop.sandbox.transition(p.jira_key, "Done", resolution=resolution)
        [maybe] = given_up(loop.runtime.engine)
        loop.sandbox.transition(p.jira_key, "To Do")
        loop.sandbox.transition(p.jira_key, "Done", resolution=resolution)  # within the grace
        make_messages_due(loop)
        jobs.deliver_outbound(runtime=loop.runtime)
        received = len(slack.received)

    assert received == 1  # the news went out once, and not again
    [row] = given_up(loop.runtime.engine)  # still shown as one that may have arrived
    assert (row.id, row.outcome, row.target) == (maybe.id, news, ALICE)
    assert "it may have gone through" in row.last_error


def test_a_merge_into_a_shipped_fix_names_only_its_customers_to_an_agent_who_may_have_heard(
    make_loop,
):
    """Slack took Alice's digest of the fix (naming Maria) and hung up. A problem Tom had
    reported to Alice was then merged into the shipped one: Alice is owed the news for Tom,
    and was sent the whole digest again, Maria included."""
    with agents_side("slack", answer=[2]) as slack:  # the fix's digest hangs, the next goes
        loop = make_loop(notify=notify_at("slack", slack))
        p = ship(loop, MARIA)
        assert len(given_up(loop.runtime.engine)) == 1
        report(
            loop, "T5", "tom@acme-corp.com", tag="pain-export", name="Tom Reed", agent_email=ALICE
        )
        merge(loop, problem(loop, "export").id, p.id)
        jobs.deliver_outbound(runtime=loop.runtime)
        texts = [json.loads(r.split(b"\r\n\r\n", 1)[1])["text"] for r in slack.received]

    [digest, merged] = texts
    assert named(digest) == ["Maria Lopez"]
    assert named(merged) == ["Tom Reed"], merged
