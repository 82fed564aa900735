""" "Name your top five": once a week, product hears the top problems by impact — trend, ARR
at risk, one quote, links — on Slack and by e-mail, from either runtime, and never twice."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa

from tests.integrations.misbehaving import HangsUp
from tests.shipping.test_digests import smtp  # noqa: F401  (the loopback SMTP server)
from tests.support import generic_delivery, inline_runtime, post_signed, token
from voice_router.closing import weekly
from voice_router.platform.clock import utcnow
from voice_router.web import create_app
from workers import jobs
from workers.embedded import JobRunner
from workers.runner import run_worker
from workers.runtime import build_runtime, set_process_runtime

HOOK = "/hooks/T000/B000/weekly"


def report(client, ticket, email, tag, company, subject, mrr=None):
    body = generic_delivery(ticket, email, [tag], company=company, subject=subject, mrr=mrr)
    assert post_signed(client, "generic", body).status_code == 202


def inside_a_week() -> datetime:
    """Now, or just past the turn of the ISO week when that is less than two hours away: a
    test that sends again within the hour means the same week (on Sunday at 23:xx UTC the
    second send fell in the next week and was sent anew)."""
    now = utcnow()
    monday = (now - timedelta(days=now.weekday())).replace(
        hour=0, minute=0, second=0, microsecond=0
    )
    turn = monday + timedelta(days=7)
    return turn + timedelta(minutes=1) if turn - now < timedelta(hours=2) else now


def seed(settings) -> None:
    """Three problems (SSO login, CSV export, PDF invoice, by impact), processed at once."""
    runtime = inline_runtime(settings)
    client = create_app(runtime=runtime).test_client()
    report(client, "S1", "ana@acme.example", "pain-sso-login", "Acme", "SSO sends me back", 900)
    report(client, "S2", "bo@globex.example", "pain-sso-login", "Globex", "Okta loop", 300)
    report(client, "S3", "cy@initech.example", "pain-sso-login", "Initech", "<!channel> help")
    report(client, "C1", "di@acme.example", "pain-csv-export", "Acme", "Export times out")
    report(client, "C2", "ed@umbrella.example", "pain-csv-export", "Umbrella", "CSV hangs")
    report(client, "P1", "fa@hooli.example", "pain-pdf-invoice", "Hooli", "Blank invoice")
    sso = next(p for p in client.get("/api/v1/problems", headers=token(runtime)).json["problems"])
    note = {"body": "Acme renewal at stake", "arr_at_risk": 48000}
    response = client.post(f"/api/v1/problems/{sso['id']}/notes", json=note, headers=token(runtime))
    assert response.status_code == 201
    runtime.engine.dispose()


def slack_texts(httpserver) -> list[str]:
    return [json.loads(request.get_data())["text"] for request, _ in httpserver.log]


@pytest.fixture
def weekly_settings(make_settings, httpserver, smtp):  # noqa: F811
    controller, _ = smtp
    httpserver.expect_request(HOOK, method="POST").respond_with_data("ok")
    return make_settings(
        notify={
            "slack_webhook_url": httpserver.url_for(HOOK),
            "smtp_url": f"smtp://127.0.0.1:{controller.port}",
            "from_addr": "voice-router@example.com",
            "weekly_top": 2,
            "weekly_to": ["pm@example.com", "cpo@example.com"],
        }
    )


@pytest.mark.slow
def test_product_hears_the_top_problems_once_a_week_on_slack_and_by_email(
    weekly_settings,
    httpserver,
    smtp,  # noqa: F811
):
    _, inbox = smtp
    seed(weekly_settings)
    runtime = inline_runtime(weekly_settings)

    assert jobs.weekly_digest(runtime) == {"sent": 3}  # Slack and two addresses
    [text] = slack_texts(httpserver)
    assert "Top 2 customer problems, week" in text
    assert "SSO login" in text and "CSV export" in text and "PDF invoice" not in text
    assert "3 customers, 3 accounts, MRR 1,200 USD · ARR at risk 48,000 USD" in text
    assert "→ as many new tickets as the week before" in text  # reported weeks ago
    assert "“&lt;!channel&gt; help” — Initech" in text  # a quote, escaped for Slack
    assert "<!channel>" not in text
    assert "http://localhost:8000/problems/" in text
    assert sorted(r for _, rcpts, _ in inbox.messages for r in rcpts) == [
        "cpo@example.com",
        "pm@example.com",
    ]
    mail = inbox.messages[0][2].decode()
    assert "Subject: Top 2 customer problems, week" in mail and "SSO login" in mail

    assert jobs.weekly_digest(runtime) == {"done": 3}  # the same week again
    restarted = inline_runtime(weekly_settings)  # a new process reads what was sent
    assert jobs.weekly_digest(restarted) == {"done": 3}
    assert len(httpserver.log) == 1 and len(inbox.messages) == 2
    next_week = utcnow() + timedelta(days=7)
    assert weekly.send_weekly(restarted.engine, weekly_settings, next_week) == {"sent": 3}
    assert len(httpserver.log) == 2


def on_slack(make_settings, httpserver):  # type: ignore[no-untyped-def]
    """The top five, weekly, to the Slack hook on `httpserver`, over the seeded problems."""
    settings = make_settings(
        notify={"slack_webhook_url": httpserver.url_for(HOOK), "weekly_top": 5}
    )
    seed(settings)
    return settings, inline_runtime(settings)


def test_a_slack_outage_is_tried_again_later_not_on_every_pass(make_settings, httpserver):
    httpserver.expect_oneshot_request(HOOK, method="POST").respond_with_data("down", status=503)
    httpserver.expect_request(HOOK, method="POST").respond_with_data("ok")
    settings, runtime = on_slack(make_settings, httpserver)
    now = inside_a_week()
    assert weekly.send_weekly(runtime.engine, settings, now) == {"retry": 1}
    assert weekly.send_weekly(runtime.engine, settings, now + timedelta(minutes=1)) == {"done": 1}
    later = now + timedelta(minutes=6)
    assert weekly.send_weekly(runtime.engine, settings, later) == {"sent": 1}
    assert len(httpserver.log) == 2


def test_a_slack_that_hangs_up_after_the_post_is_not_posted_again(make_settings):
    """Slack took the whole POST and closed the connection without an answer: it may have
    posted the digest, so the week's digest is recorded as failed, not sent again."""
    with HangsUp() as slack:
        settings = make_settings(notify={"slack_webhook_url": slack.url + HOOK, "weekly_top": 5})
        seed(settings)
        runtime = inline_runtime(settings)
        now = inside_a_week()
        assert weekly.send_weekly(runtime.engine, settings, now) == {"failed": 1}
        later = now + timedelta(hours=1)
        assert weekly.send_weekly(runtime.engine, settings, later) == {"done": 1}
        assert len(slack.received) == 1


def test_off_unless_weekly_top_is_set(make_settings, httpserver):
    settings = make_settings(notify={"slack_webhook_url": httpserver.url_for(HOOK)})
    assert jobs.weekly_digest(inline_runtime(settings)) == {}
    assert httpserver.log == []


def test_serve_runner_sends_it_from_its_messages_pass(weekly_settings, httpserver):
    seed(weekly_settings)
    runtime = build_runtime(weekly_settings)  # no redis_url: serve's own runner
    runner = JobRunner(runtime)
    runner._messages_pass()
    runner._messages_pass()
    assert len(slack_texts(httpserver)) == 1


@pytest.mark.usefixtures("redis_url")
def test_rq_worker_sends_it_from_the_sweep(weekly_settings, redis_url, httpserver):
    seed(weekly_settings)
    runtime = build_runtime(replace(weekly_settings, redis_url=redis_url))
    run_worker(runtime, burst=True)
    run_worker(runtime, burst=True)
    assert len(slack_texts(httpserver)) == 1
    set_process_runtime(None)  # type: ignore[arg-type]


def test_a_problem_with_no_known_mrr_does_not_read_mrr_0(weekly_settings, httpserver):
    """Found reading every message (fix-words): Hooli's MRR is known nowhere, and the digest
    said "MRR 0 USD", as if the problem cost nothing."""
    settings = replace(weekly_settings, notify=replace(weekly_settings.notify, weekly_top=3))
    seed(settings)
    assert jobs.weekly_digest(inline_runtime(settings))["sent"] == 3
    [text] = slack_texts(httpserver)
    assert "PDF invoice" in text and "   1 customer, 1 account\n" in text
    assert "MRR 0" not in text
    assert "3 customers, 3 accounts, MRR 1,200 USD · ARR at risk 48,000 USD" in text


def left_sending(runtime, now: datetime, **state: str) -> None:  # type: ignore[no-untyped-def]
    """This week's Slack digest as a sender that died while sending it left it."""
    key = f"weekly_top:{weekly.week_of(now)}:slack"
    value = json.dumps({"status": "sending", "at": now.isoformat(), **state})
    with runtime.engine.begin() as connection:
        connection.execute(
            sa.text("INSERT INTO setting (key, value) VALUES (:key, :value)"),
            {"key": key, "value": value},
        )


def test_a_digest_whose_sender_died_before_its_post_goes_out_later(make_settings, httpserver):
    """It was left `sending` for good: that week's digest never went out."""
    httpserver.expect_request(HOOK, method="POST").respond_with_data("ok")
    settings, runtime = on_slack(make_settings, httpserver)
    now = inside_a_week()
    left_sending(runtime, now)
    assert weekly.send_weekly(runtime.engine, settings, now + timedelta(minutes=1)) == {"done": 1}
    assert httpserver.log == []  # it may still be being sent
    later = now + timedelta(minutes=16)
    assert weekly.send_weekly(runtime.engine, settings, later) == {"sent": 1}
    assert weekly.send_weekly(runtime.engine, settings, later) == {"done": 1}
    assert len(slack_texts(httpserver)) == 1


def test_a_digest_whose_sender_died_after_its_post_went_out_is_given_up(
    make_settings, httpserver, every_log_record
):
    httpserver.expect_request(HOOK, method="POST").respond_with_data("ok")
    settings, runtime = on_slack(make_settings, httpserver)
    now = inside_a_week()
    left_sending(runtime, now, request_at=now.isoformat())
    later = now + timedelta(minutes=16)
    assert weekly.send_weekly(runtime.engine, settings, later) == {"done": 1}
    assert weekly.send_weekly(runtime.engine, settings, later) == {"done": 1}
    assert httpserver.log == []
    [said] = [r for r in every_log_record if r.msg == "weekly.send_failed"]
    assert said.reason == "interrupted"
