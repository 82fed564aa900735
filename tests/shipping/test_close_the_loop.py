"""When the fix ships, every agent knows whom to tell, and nobody is told twice."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime

import pytest
from sqlmodel import Session, select

from integrations.jira import webhook
from tests.shipping.conftest import JIRA_SECRET
from tests.support import (
    ZENDESK_ASSIGNED,
    by_key,
    generic_delivery,
    post_signed,
    run_cli,
    token,
    zendesk_login_loop,
    zendesk_writeback,
)
from voice_router.intake import processing
from voice_router.models import Outbound, Problem

pytestmark = pytest.mark.usefixtures("jira_openapi_check")


def report(loop, ticket, email, tag="pain-sso-login", source="generic", **kwargs):
    body = generic_delivery(ticket, email, [tag], **kwargs)
    assert post_signed(loop.client, "generic", body, source=source).status_code == 202


def problem(loop, key="sso-login") -> Problem:
    with Session(loop.runtime.engine) as session:
        return session.exec(select(Problem).where(Problem.key == key)).one()


def notify_list(loop, problem_id):
    response = loop.client.get(f"/api/v1/problems/{problem_id}/notify", headers=token(loop.runtime))
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def seed(loop):
    report(
        loop,
        "T1",
        "maria@acme-corp.com",
        name="Maria Lopez",
        company="Acme Corp",
        agent_email="alice@support.example",
        subject="Stuck in a login loop",
    )
    report(
        loop,
        "T2",
        "dev@globex.io",
        name="Dev Patel",
        agent_email="bob@support.example",
        subject="SSO sends me back",
    )
    report(
        loop,
        "T3",
        "maria@acme-corp.com",
        name="Maria Lopez",
        agent_email="carol@support.example",
        subject="Still looping",
        occurred_at="2026-11-21T10:00:00Z",
    )
    return problem(loop)


def test_done_with_a_fix_ships_the_problem(make_loop):
    loop = make_loop()
    p = seed(loop)
    loop.sandbox.transition(p.jira_key, "In Progress")
    assert problem(loop).status == "in_progress"
    loop.sandbox.transition(p.jira_key, "Done", resolution="Done")
    shipped = problem(loop)
    assert shipped.status == "shipped" and shipped.jira_status == "Done"
    data = notify_list(loop, p.id)
    assert data["shipped"] is True
    # One entry per customer, with their latest ticket and its agent.
    assert [
        (r["customer_email"], r["agent_email"], r["ticket_id"]) for r in data["recipients"]
    ] == [
        ("dev@globex.io", "bob@support.example", "T2"),
        ("maria@acme-corp.com", "carol@support.example", "T3"),
    ]
    assert by_key(loop.client, loop.runtime)["sso-login"]["status"] == "shipped"


def test_wont_do_closes_as_wont_fix_with_no_customer_list(make_loop):
    loop = make_loop()
    p = seed(loop)
    loop.sandbox.transition(p.jira_key, "Done", resolution="Won't Do")
    assert problem(loop).status == "wont_fix"
    data = notify_list(loop, p.id)
    assert data["shipped"] is False and data["recipients"] == []


def test_released_rule_waits_for_the_fix_version(make_loop):
    loop = make_loop(shipped_when="released")
    p = seed(loop)
    loop.sandbox.create_version("2.4.0")
    loop.sandbox.edit(p.jira_key, {"fixVersions": [{"name": "2.4.0"}]})
    loop.sandbox.transition(p.jira_key, "Done", resolution="Done")
    assert problem(loop).status == "in_progress"
    loop.sandbox.release_version("2.4.0")
    assert problem(loop).status == "shipped"


def test_reopen_after_ship_goes_back_to_in_progress(make_loop):
    loop = make_loop()
    p = seed(loop)
    loop.sandbox.transition(p.jira_key, "Done", resolution="Done")
    loop.sandbox.transition(p.jira_key, "To Do")
    reopened = problem(loop)
    assert reopened.status == "in_progress"


def test_our_own_updates_coming_back_change_nothing(make_loop):
    loop = make_loop()
    p = seed(loop)
    loop.sandbox.transition(p.jira_key, "Done", resolution="Done")
    payload = loop.sandbox.webhook_payload(
        "jira:issue_updated",
        p.jira_key,
        changelog=[
            {
                "field": "description",
                "fieldtype": "jira",
                "from": None,
                "fromString": "old",
                "to": None,
                "toString": "new",
            }
        ],
    )
    assert loop.sandbox.send_webhook(payload).status == 202
    assert problem(loop).status == "shipped"


def test_duplicate_and_out_of_order_webhooks(make_loop):
    loop = make_loop()
    p = seed(loop)
    reopen = loop.sandbox.transition(p.jira_key, "In Progress", send=False)
    done = loop.sandbox.transition(p.jira_key, "Done", resolution="Done", send=False)
    first = loop.sandbox.send_webhook(done, identifier="delivery-done")
    again = loop.sandbox.send_webhook(done, identifier="delivery-done")
    assert (first.status, again.status) == (202, 202)
    loop.sandbox.send_webhook(reopen, identifier="delivery-late")  # older event, late
    assert problem(loop).status == "shipped"


def test_one_jira_event_stamped_years_ahead_does_not_freeze_the_status(make_loop):
    """Fault audit: a signed event from a Jira node whose clock says 2100 outranked every
    later event and the reconcile pass's reading of the issue; the problem never shipped."""
    loop = make_loop()
    p = seed(loop)
    skewed = json.loads(loop.sandbox.transition(p.jira_key, "In Progress", send=False))
    skewed["timestamp"] = 4102444800000  # 2100-01-01
    body = json.dumps(skewed).encode()
    sent = loop.client.post("/webhooks/jira", data=body, headers=webhook.sign(body, JIRA_SECRET))
    assert sent.status_code == 202
    assert problem(loop).status == "in_progress"
    loop.sandbox.transition(p.jira_key, "Done", resolution="Done")
    assert problem(loop).status == "shipped"


def test_a_webhook_without_a_status_category_is_left_to_reconcile(make_loop):
    """Fault audit: an older Jira in German sent Done as "Erledigt" with no status category;
    applied as "in progress", its time then outranked the reconcile pass's reading of the
    same change (which has the category), and the problem never shipped."""
    from voice_router.tracker import reconcile

    loop = make_loop()
    p = seed(loop)
    document = json.loads(
        loop.sandbox.transition(p.jira_key, "Done", resolution="Done", send=False)
    )
    status = document["issue"]["fields"]["status"]
    status.pop("statusCategory", None)
    status["name"] = "Erledigt"
    body = json.dumps(document).encode()
    sent = loop.client.post("/webhooks/jira", data=body, headers=webhook.sign(body, JIRA_SECRET))
    assert sent.status_code == 202
    assert problem(loop).status == "open"  # nothing certain: not guessed
    reconcile.reconcile(loop.runtime.engine, loop.runtime.settings)
    assert problem(loop).status == "shipped"


def test_a_status_frozen_by_a_future_event_is_set_right_by_reconcile(make_loop):
    """A problem whose last applied Jira event is stamped years ahead (stored before this
    was fixed) takes the issue's state at the next reconcile pass."""
    from voice_router.tracker import reconcile

    loop = make_loop()
    p = seed(loop)
    loop.sandbox.transition(p.jira_key, "Done", resolution="Done", send=False)
    with Session(loop.runtime.engine) as session:
        row = session.get(Problem, p.id)
        row.jira_event_at = datetime(2100, 1, 1, tzinfo=UTC)
        session.add(row)
        session.commit()
    reconcile.reconcile(loop.runtime.engine, loop.runtime.settings)
    assert problem(loop).status == "shipped"


def test_jira_webhook_status_codes(make_loop):
    loop = make_loop()
    p = seed(loop)
    body = loop.sandbox.transition(p.jira_key, "In Progress", send=False)
    bad = loop.client.post(
        "/webhooks/jira", data=body, headers=webhook.sign(body, "not-the-secret")
    )
    assert bad.status_code == 401
    junk = b"not json"
    assert (
        loop.client.post(
            "/webhooks/jira", data=junk, headers=webhook.sign(junk, JIRA_SECRET)
        ).status_code
        == 400
    )
    good = loop.client.post("/webhooks/jira", data=body, headers=webhook.sign(body, JIRA_SECRET))
    assert good.status_code == 202


def test_jira_webhook_is_404_when_no_secret_is_configured(client):
    body = b"{}"
    assert (
        client.post("/webhooks/jira", data=body, headers=webhook.sign(body, "x")).status_code == 404
    )


def test_comments_and_unlinked_issues_are_acknowledged_and_ignored(make_loop):
    loop = make_loop()
    seed(loop)
    for name in (
        "comment_created__zulip.json",
        "jira_issue_updated__status_done_resolution_set_mattermost.json",
    ):
        from pathlib import Path

        raw = (Path(__file__).parents[1] / "fixtures" / "jira" / name).read_bytes()
        response = loop.client.post(
            "/webhooks/jira", data=raw, headers=webhook.sign(raw, JIRA_SECRET)
        )
        assert response.status_code == 202
    assert problem(loop).status == "open"


def test_notify_csv_is_grouped_by_agent_and_mark_sent_flags(make_loop):
    loop = make_loop()
    p = seed(loop)
    loop.sandbox.transition(p.jira_key, "Done", resolution="Done")
    auth = token(loop.runtime, "agent", "Carol")
    marked = loop.client.post(
        f"/api/v1/problems/{p.id}/notify/mark-sent",
        json={"customer_emails": ["Maria@Acme-Corp.com", "x@y.z"]},
        headers=auth,
    )
    assert marked.status_code == 200
    assert marked.get_json() == {"marked": ["maria@acme-corp.com"], "unknown": ["x@y.z"]}
    response = loop.client.get(f"/api/v1/problems/{p.id}/notify.csv", headers=auth)
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert [(r["agent_email"], r["customer_email"], r["notified"]) for r in rows] == [
        ("bob@support.example", "dev@globex.io", "false"),
        ("carol@support.example", "maria@acme-corp.com", "true"),
    ]
    bad = loop.client.post(
        f"/api/v1/problems/{p.id}/notify/mark-sent", json={"customer_emails": "maria"}, headers=auth
    )
    assert bad.status_code == 400
    assert loop.client.get(f"/api/v1/problems/{p.id}/notify").status_code == 401


def test_a_new_report_after_ship_regresses_and_jira_hears_once(make_loop):
    loop = make_loop()
    p = seed(loop)
    loop.sandbox.transition(p.jira_key, "Done", resolution="Done")
    from datetime import UTC, datetime, timedelta

    later = (datetime.now(UTC) + timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    report(loop, "T9", "new@initech.com", occurred_at=later)
    report(loop, "T10", "newer@initech.com", occurred_at=later)
    assert problem(loop).status == "regressed"
    comments = [c for c in loop.sandbox.comments(p.jira_key) if "again" in c["body"]]
    assert len(comments) == 1
    assert by_key(loop.client, loop.runtime)["sso-login"]["status"] == "regressed"


def test_every_webhook_lost_then_reconcile_ships(make_loop):
    from voice_router.tracker.reconcile import reconcile

    loop = make_loop(webhooks=False)
    p = seed(loop)
    loop.sandbox.transition(p.jira_key, "Done", resolution="Done")  # nobody hears
    assert problem(loop).status == "open"
    result = reconcile(loop.runtime.engine, loop.runtime.settings)
    assert result.issues_seen >= 1
    assert problem(loop).status == "shipped"
    again = reconcile(loop.runtime.engine, loop.runtime.settings)
    assert again.transitions == []


def test_writeback_leaves_one_note_per_ticket_even_across_retries(make_loop, httpserver):
    httpserver.expect_ordered_request("/api/v2/tickets/2002.json", method="PUT").respond_with_data(
        "busy", status=503
    )
    httpserver.expect_ordered_request(
        "/api/v2/tickets/2002.json",
        method="PUT",
        headers={"Authorization": "Bearer zd-token"},
    ).respond_with_json({"audit": {"events": [{"type": "Comment", "id": 77}]}})
    loop = make_loop(sources=zendesk_writeback(httpserver.url_for("").rstrip("/")))
    assert (
        post_signed(loop.client, "zendesk", zendesk_login_loop(**ZENDESK_ASSIGNED)).status_code
        == 202
    )
    p = problem(loop)
    loop.sandbox.transition(p.jira_key, "Done", resolution="Done")
    with Session(loop.runtime.engine) as session:
        [row] = session.exec(select(Outbound)).all()
    assert (row.status, row.attempts) == ("pending", 1)  # 503: will try again
    with Session(loop.runtime.engine) as session:
        due = session.get(Outbound, row.id)
        due.next_attempt_at = due.created_at
        session.add(due)
        session.commit()
    from workers import jobs

    jobs.reconcile(loop.runtime, force=True)  # its nudge sends what is owed
    jobs.reconcile(loop.runtime, force=True)  # its nudge sends what is owed
    httpserver.check_assertions()
    with Session(loop.runtime.engine) as session:
        [row] = session.exec(select(Outbound)).all()
    assert (row.status, row.result_id) == ("sent", "77")
    sent = json.loads(httpserver.log[-1][0].get_data())
    note = sent["ticket"]["comment"]
    assert note["public"] is False
    assert "SSO login" in note["body"] and p.jira_key in note["body"]
    assert "Tom Reed" in note["body"]
    # Jira says done again (a duplicate webhook, a reopen and re-ship): still one note.
    loop.sandbox.transition(p.jira_key, "To Do")
    loop.sandbox.transition(p.jira_key, "Done", resolution="Done")
    jobs.reconcile(loop.runtime, force=True)  # its nudge sends what is owed
    assert len(httpserver.log) == 2


def test_reopen_cancels_unsent_writebacks(make_loop, httpserver):
    httpserver.expect_request("/api/v2/tickets/2002.json", method="PUT").respond_with_data(
        "busy", status=503
    )
    loop = make_loop(sources=zendesk_writeback(httpserver.url_for("").rstrip("/")))
    assert post_signed(loop.client, "zendesk", zendesk_login_loop()).status_code == 202
    p = problem(loop)
    loop.sandbox.transition(p.jira_key, "Done", resolution="Done")
    loop.sandbox.transition(p.jira_key, "In Progress")
    with Session(loop.runtime.engine) as session:
        [row] = session.exec(select(Outbound)).all()
    assert row.status == "cancelled"
    assert processing.next_retry_in(loop.runtime.engine) is None


def test_every_jira_fixture_is_accepted_and_none_crashes_processing(make_loop):
    from pathlib import Path

    from voice_router.models import Delivery

    loop = make_loop()
    seed(loop)
    folder = Path(__file__).parents[1] / "fixtures" / "jira"
    names = sorted(p.name for p in folder.glob("*.json"))
    assert len(names) >= 11
    for name in names:
        raw = (folder / name).read_bytes()
        response = loop.client.post(
            "/webhooks/jira", data=raw, headers=webhook.sign(raw, JIRA_SECRET)
        )
        assert response.status_code == 202, (name, response.get_json())
    with Session(loop.runtime.engine) as session:
        statuses = {
            d.status for d in session.exec(select(Delivery).where(Delivery.source == "jira"))
        }
    assert statuses == {"processed"}
    assert problem(loop).status == "open"  # none of them is about our issue


def test_a_fixture_about_our_issue_ships_it(make_loop):
    from pathlib import Path

    loop = make_loop()
    p = seed(loop)
    jira_fixtures = Path(__file__).parents[1] / "fixtures" / "jira"
    raw = (
        jira_fixtures / "jira_issue_updated__status_done_resolution_set_mattermost.json"
    ).read_bytes()
    document = json.loads(raw)
    with Session(loop.runtime.engine) as session:
        row = session.get(Problem, p.id)
        row.jira_key = document["issue"]["key"]
        session.add(row)
        session.commit()
    response = loop.client.post("/webhooks/jira", data=raw, headers=webhook.sign(raw, JIRA_SECRET))
    assert response.status_code == 202
    assert problem(loop).status == "shipped"
    reopened = (
        jira_fixtures / "jira_issue_updated__reopened_resolution_cleared_mattermost.json"
    ).read_bytes()
    later = json.loads(reopened)
    later["timestamp"] = document["timestamp"] + 1000
    body = json.dumps(later).encode()
    assert (
        loop.client.post(
            "/webhooks/jira", data=body, headers=webhook.sign(body, JIRA_SECRET)
        ).status_code
        == 202
    )
    assert problem(loop).status == "in_progress"


@pytest.mark.slow
def test_nobody_is_notified_twice_across_retries_and_worker_restarts(
    make_loop, httpserver, redis_url, tmp_path
):

    from tests.jira_sync.conftest import EMAIL, TOKEN
    from tests.support import SECRETS

    calls = {"n": 0}

    def zendesk(request):
        from werkzeug import Response

        calls["n"] += 1
        if calls["n"] == 1:
            return Response("busy", status=503)
        return Response(
            json.dumps({"audit": {"events": [{"type": "Comment", "id": 5}]}}),
            status=200,
            content_type="application/json",
        )

    httpserver.expect_request("/api/v2/tickets/2002.json", method="PUT").respond_with_handler(
        zendesk
    )
    api_base = httpserver.url_for("").rstrip("/")
    loop = make_loop(
        redis_url=redis_url,
        sources=zendesk_writeback(api_base),
    )
    settings = loop.runtime.settings
    config = tmp_path / "vr.toml"
    config.write_text(
        f'database_url = "{settings.database_url}"\nredis_url = "{redis_url}"\n'
        f'[sources.zendesk]\nkind = "zendesk"\nsecret = "{SECRETS["zendesk"]}"\n'
        f'writeback = true\napi_token = "zd-token"\napi_base = "{api_base}"\n'
        f'[jira]\nurl = "{loop.sandbox.url}"\nemail = "{EMAIL}"\napi_token = "{TOKEN}"\n'
        f'webhook_secret = "{JIRA_SECRET}"\n'
    )

    def burst():
        proc = run_cli(config, "worker", "--burst")
        assert proc.returncode == 0, proc.stderr

    assert post_signed(loop.client, "zendesk", zendesk_login_loop()).status_code == 202
    burst()  # processes the ticket, creates the Jira issue
    key = problem(loop).jira_key
    done = loop.sandbox.transition(key, "Done", resolution="Done")  # webhook -> inbox
    loop.sandbox.send_webhook(done)  # and Jira delivers it twice
    burst()  # ships; the write-back meets a 503 and waits
    assert calls["n"] == 1
    with Session(loop.runtime.engine) as session:
        row = session.exec(select(Outbound)).one()
        row.next_attempt_at = row.created_at
        session.add(row)
        session.commit()
    burst()  # a new worker sends what is due
    burst()  # and another finds nothing left to send
    assert calls["n"] == 2
    with Session(loop.runtime.engine) as session:
        assert session.exec(select(Outbound.status)).all() == ["sent"]


def test_an_issue_moved_to_another_key_still_ships_its_problem(make_loop):
    """Fault audit: an issue moved to another project (or whose project key was renamed) is
    APP-1 in Jira's webhooks from then on, with the same id; events were matched by key,
    reached no problem, and it never shipped."""
    loop = make_loop()
    p = seed(loop)
    document = json.loads(
        loop.sandbox.transition(p.jira_key, "Done", resolution="Done", send=False)
    )
    document["issue"]["key"] = "APP-1"
    body = json.dumps(document).encode()
    sent = loop.client.post("/webhooks/jira", data=body, headers=webhook.sign(body, JIRA_SECRET))
    assert sent.status_code == 202
    moved = problem(loop)
    assert (moved.status, moved.jira_key) == ("shipped", "APP-1")
    assert moved.jira_url.endswith("/browse/APP-1")
