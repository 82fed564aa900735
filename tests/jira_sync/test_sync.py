"""One Jira issue per problem: created, kept current, never duplicated, frugal with calls.
The real `jira` library talks HTTP to the sandbox throughout."""

from __future__ import annotations

import base64
from dataclasses import replace
from datetime import timedelta

import pytest
from sqlmodel import Session, select

from integrations.jira.errors import JiraUnavailable
from integrations.jira.render import BEGIN, END
from tests.jira_sync.conftest import file_by_hand, jira_table, label
from tests.support import (
    JIRA_EMAIL,
    JIRA_TOKEN,
    by_key,
    generic_delivery,
    inline_runtime,
    post_signed,
    run_cli,
    token,
)
from voice_router.models import Problem
from voice_router.platform.clock import to_utc, utcnow
from voice_router.platform.jira_client import forget_clients
from voice_router.tracker import sync
from voice_router.web import create_app
from workers.jobs import sync_jira

pytestmark = pytest.mark.usefixtures("jira_openapi_check")


def report(client, ticket, email, tag="pain-sso-login", **kwargs):
    body = generic_delivery(ticket, email, [tag], **kwargs)
    assert post_signed(client, "generic", body).status_code == 202


def only_issue(sandbox):
    [issue] = sandbox.issues()
    return issue


def problem_row(runtime, key="sso-login") -> Problem:
    with Session(runtime.engine) as session:
        return session.exec(select(Problem).where(Problem.key == key)).one()


def test_a_reported_problem_gets_one_issue_with_labels_and_impact(client, runtime, sandbox):
    report(client, "T1", "a@acme.com", company="Acme", mrr=1200, subject="SSO loops")
    issue = only_issue(sandbox)
    problem = problem_row(runtime)
    fields = issue["fields"]
    assert fields["summary"] == "SSO login"
    assert set(fields["labels"]) == {"voice-router", label(runtime.engine, problem.id)}
    assert BEGIN in fields["description"] and END in fields["description"]
    assert "|1|1|1,200|1|" in fields["description"]
    assert f"https://vr.example/problems/{problem.id}" in fields["description"]
    assert sandbox.remote_links(issue["key"])[0]["object"]["url"].endswith(
        f"/problems/{problem.id}"
    )
    api = by_key(client, runtime)["sso-login"]["jira"]
    assert api["key"] == issue["key"] and api["error"] is None
    assert api["url"] == f"{sandbox.url}/browse/{issue['key']}"


def test_no_issue_below_min_customers(make_settings, sandbox):
    runtime = inline_runtime(make_settings(jira=jira_table(sandbox, min_customers=2)))
    client = create_app(runtime=runtime).test_client()
    report(client, "T1", "a@acme.com")
    assert sandbox.issues() == []
    report(client, "T2", "b@globex.io")
    assert len(sandbox.issues()) == 1
    runtime.engine.dispose()


def test_impact_changes_update_the_block_and_keep_what_people_wrote(client, runtime, sandbox):
    report(client, "T1", "a@acme.com")
    key = only_issue(sandbox)["key"]
    current = sandbox.issue(key)["fields"]["description"]
    sandbox.edit(
        key, {"description": "Repro: log in with Okta.\n\n" + current + "\n\nPM: P1"}, send=False
    )
    report(client, "T2", "b@globex.io")
    description = sandbox.issue(key)["fields"]["description"]
    assert description.startswith("Repro: log in with Okta.")
    assert description.endswith("PM: P1")
    assert "|2|2|" in description and description.count(BEGIN) == 1
    assert len(sandbox.issues()) == 1


def test_a_sync_with_nothing_changed_makes_no_call(client, runtime, sandbox):
    report(client, "T1", "a@acme.com")
    problem = problem_row(runtime)
    sandbox.reset_calls()
    outcome = sync.sync_problem(runtime.engine, runtime.settings, problem.id)
    assert outcome.action == "unchanged"
    assert sandbox.count_calls() == 0


def test_a_burst_on_one_problem_gives_a_handful_of_calls(client, runtime, sandbox):
    import json

    from integrations import registry
    from voice_router.intake import inbox, processing
    from workers.jobs import drain_inbox

    report(client, "T0", "first@acme.com")
    sandbox.reset_calls()
    adapter = registry.adapter("generic")
    for i in range(1000):
        body = json.dumps(generic_delivery(f"B{i}", f"p{i}@acme.com", ["pain-sso-login"])).encode()
        inbox.receive(
            runtime.engine, runtime.settings, "generic", adapter.sign(body, "gen-secret-ghi"), body
        )
    drain_inbox(runtime)
    assert problem_row(runtime).customers == 1001
    assert sandbox.count_calls() <= 4
    assert len(sandbox.issues()) == 1
    assert processing.next_retry_in(runtime.engine) is None


def test_each_business_note_becomes_exactly_one_comment(client, runtime, sandbox):
    report(client, "T1", "a@acme.com")
    problem = problem_row(runtime)
    auth = token(runtime, "agent", "Dana from Sales")
    response = client.post(
        f"/api/v1/problems/{problem.id}/notes",
        json={"body": "Acme renewal depends on this", "arr_at_risk": 48000},
        headers=auth,
    )
    assert response.status_code == 201
    note = response.get_json()
    assert (note["author"], note["arr_at_risk"], note["body"]) == (
        "Dana from Sales",
        48000.0,
        "Acme renewal depends on this",
    )
    sync.sync_problem(runtime.engine, runtime.settings, problem.id)
    sync.sync_problem(runtime.engine, runtime.settings, problem.id)
    key = problem.jira_key
    [comment] = sandbox.comments(key)
    assert "Acme renewal depends on this" in comment["body"]
    assert "Dana from Sales" in comment["body"]
    assert (
        "ARR at risk (business notes): 48,000 USD" in sandbox.issue(key)["fields"]["description"]
    )  # ARR at risk in block
    detail = client.get(f"/api/v1/problems/{problem.id}", headers=auth).get_json()
    assert [n["body"] for n in detail["notes"]] == ["Acme renewal depends on this"]


def test_bad_note_input_is_400(client, runtime, sandbox):
    report(client, "T1", "a@acme.com")
    problem = problem_row(runtime)
    auth = token(runtime)
    for bad in (
        {},
        {"body": ""},
        {"body": "x", "arr_at_risk": "lots"},
        {"body": "x", "arr_at_risk": -5},
        [],
    ):
        response = client.post(f"/api/v1/problems/{problem.id}/notes", json=bad, headers=auth)
        assert response.status_code == 400, bad


def test_link_an_existing_issue_instead_of_creating(make_settings, sandbox):
    runtime = inline_runtime(make_settings(jira=jira_table(sandbox, min_customers=5)))
    client = create_app(runtime=runtime).test_client()
    report(client, "T1", "a@acme.com")
    existing = sandbox.state  # create an issue as a person would, through the API
    filed = file_by_hand(sandbox, "Login loop (filed by hand)", "Ours")
    problem = problem_row(runtime)
    pm = token(runtime, "pm")
    response = client.post(f"/api/v1/problems/{problem.id}/jira", json={"key": filed}, headers=pm)
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["jira"]["key"] == filed
    description = sandbox.issue(filed)["fields"]["description"]
    assert description.startswith("Ours") and BEGIN in description
    assert len(sandbox.issues()) == 1
    bad = client.post(f"/api/v1/problems/{problem.id}/jira", json={"key": "PROD-999"}, headers=pm)
    assert bad.status_code == 400
    assert "Issue does not exist" in bad.get_json()["message"]
    agent = client.post(
        f"/api/v1/problems/{problem.id}/jira",
        json={"key": filed},
        headers=token(runtime, "agent"),
    )
    assert agent.status_code == 403
    assert existing is sandbox.state
    runtime.engine.dispose()


def test_merge_keeps_the_survivors_issue_and_comments_once_on_the_other(client, runtime, sandbox):
    report(client, "T1", "a@acme.com", tag="pain-sso-login")
    report(client, "T2", "b@globex.io", tag="pain-okta-loop")
    report(client, "T3", "c@initech.com", tag="pain-okta-loop")
    survivor, merged = problem_row(runtime, "okta-loop"), problem_row(runtime, "sso-login")
    pm = token(runtime, "pm")
    response = client.post(
        f"/api/v1/problems/{merged.id}/merge", json={"into": survivor.id}, headers=pm
    )
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert (body["id"], body["customers"]) == (survivor.id, 3)
    [comment] = sandbox.comments(merged.jira_key)
    assert survivor.jira_key in comment["body"]
    sync.sync_problem(runtime.engine, runtime.settings, merged.id)
    assert len(sandbox.comments(merged.jira_key)) == 1
    assert "|3|3|" in sandbox.issue(survivor.jira_key)["fields"]["description"]
    assert [p["key"] for p in by_key(client, runtime).values()] == ["okta-loop"]


def test_a_note_on_a_merged_problem_becomes_a_comment_on_its_survivors_issue(
    client, runtime, sandbox
):
    """Fault audit: the note was accepted (201) and counted in the survivor's ARR, but the
    merged problem's issue hears only the merge notice, so it never reached Jira."""
    report(client, "T1", "a@acme.com", tag="pain-sso-login")
    report(client, "T2", "b@globex.io", tag="pain-okta-loop")
    survivor, merged = problem_row(runtime, "okta-loop"), problem_row(runtime, "sso-login")
    pm = token(runtime, "pm")
    answer = client.post(
        f"/api/v1/problems/{merged.id}/merge", json={"into": survivor.id}, headers=pm
    )
    assert answer.status_code == 200
    note = client.post(
        f"/api/v1/problems/{merged.id}/notes",
        json={"body": "Blocks the Acme renewal", "arr_at_risk": 5000},
        headers=token(runtime, "agent"),
    )
    assert note.status_code == 201
    on_survivor = [c["body"] for c in sandbox.comments(survivor.jira_key)]
    assert sum("Blocks the Acme renewal" in body for body in on_survivor) == 1
    assert not any(
        "Blocks the Acme renewal" in c["body"] for c in sandbox.comments(merged.jira_key)
    )
    sync.sync_problem(runtime.engine, runtime.settings, survivor.id)
    again = [c["body"] for c in sandbox.comments(survivor.jira_key)]
    assert sum("Blocks the Acme renewal" in body for body in again) == 1


def test_unmerge_restores_the_exact_counts(client, runtime, sandbox):
    report(client, "T1", "a@acme.com", tag="pain-sso-login", company="Acme", mrr=100)
    report(client, "T2", "a@acme.com", tag="pain-okta-loop", company="Acme", mrr=100)
    report(client, "T3", "c@initech.com", tag="pain-okta-loop")
    before = by_key(client, runtime)
    a, b = problem_row(runtime, "sso-login"), problem_row(runtime, "okta-loop")
    pm = token(runtime, "pm")
    merged = client.post(f"/api/v1/problems/{a.id}/merge", json={"into": b.id}, headers=pm)
    assert (merged.get_json()["customers"], merged.get_json()["tickets"]) == (2, 3)
    restored = client.post(f"/api/v1/problems/{a.id}/unmerge", headers=pm)
    assert restored.status_code == 200
    after = by_key(client, runtime)
    fields = ("customers", "accounts", "mrr", "tickets", "first_seen", "last_seen")
    for key in ("sso-login", "okta-loop"):
        assert {f: after[key][f] for f in fields} == {f: before[key][f] for f in fields}


def test_merge_rejects_nonsense(client, runtime, sandbox):
    report(client, "T1", "a@acme.com", tag="pain-a")
    a = problem_row(runtime, "a")
    pm = token(runtime, "pm")
    assert (
        client.post(f"/api/v1/problems/{a.id}/merge", json={"into": a.id}, headers=pm).status_code
        == 400
    )
    assert (
        client.post(f"/api/v1/problems/{a.id}/merge", json={"into": 999}, headers=pm).status_code
        == 404
    )
    assert (
        client.post(f"/api/v1/problems/{a.id}/merge", json={"into": "x"}, headers=pm).status_code
        == 400
    )
    assert (
        client.post(
            f"/api/v1/problems/{a.id}/merge", json={"into": 2}, headers=token(runtime, "agent")
        ).status_code
        == 403
    )


def test_crash_after_create_then_retry_makes_exactly_one_issue(make_settings, sandbox):
    runtime = inline_runtime(make_settings(jira=jira_table(sandbox, min_customers=9)))
    client = create_app(runtime=runtime).test_client()
    report(client, "T1", "a@acme.com")
    problem = problem_row(runtime)
    sandbox.drop_after_commit_next("POST", r"/rest/api/2/issue$")
    settings = make_settings(jira=jira_table(sandbox, min_customers=1))
    with pytest.raises(JiraUnavailable):
        sync.sync_problem(runtime.engine, settings, problem.id)
    assert len(sandbox.issues()) == 1 and problem_row(runtime).jira_key is None
    outcome = sync.sync_problem(runtime.engine, settings, problem.id)
    assert outcome.action == "adopted"
    sync.sync_problem(runtime.engine, settings, problem.id)
    assert len(sandbox.issues()) == 1
    assert problem_row(runtime).jira_key == sandbox.issues()[0]["key"]
    runtime.engine.dispose()


def stale_block(runtime, problem_id: int) -> None:  # type: ignore[no-untyped-def]
    """Make the stored block differ from what voice-router would write: an update is due."""
    with Session(runtime.engine) as session:
        row = session.get(Problem, problem_id)
        row.jira_content_hash = "stale"
        row.jira_sync_due_at = utcnow()
        session.add(row)
        session.commit()


def due_in(runtime, problem_id: int) -> float | None:  # type: ignore[no-untyped-def]
    with Session(runtime.engine) as session:
        due = session.get(Problem, problem_id).jira_sync_due_at
    return None if due is None else (to_utc(due) - utcnow()).total_seconds()


def make_due_now(runtime, problem_id: int) -> None:  # type: ignore[no-untyped-def]
    with Session(runtime.engine) as session:
        row = session.get(Problem, problem_id)
        row.jira_sync_due_at = utcnow()
        session.add(row)
        session.commit()


def test_a_429_waits_its_retry_after_and_success_clears_the_error(client, runtime, sandbox):
    """No new delivery needed: the schedule brings the sync back, and the error goes."""
    report(client, "T1", "a@acme.com")
    report(client, "T2", "b@globex.io", tag="pain-other")
    problem = problem_row(runtime, "other")
    stale_block(runtime, problem.id)
    sandbox.fail_next("PUT", r"/rest/api/2/issue/[^/]+", 429, retry_after=7)
    before = utcnow()
    assert sync_jira(problem.id, runtime) == "retry-scheduled"
    after = utcnow()
    assert by_key(client, runtime)["other"]["jira"]["error"].startswith("rate_limited (retrying)")
    with Session(runtime.engine) as session:  # Retry-After counted from when Jira answered
        due = to_utc(session.get(Problem, problem.id).jira_sync_due_at)
    assert before + timedelta(seconds=7) <= due <= after + timedelta(seconds=7)
    assert sync_jira(problem.id, runtime) == "not-due"  # not before Retry-After
    make_due_now(runtime, problem.id)
    assert sync_jira(problem.id, runtime) == "updated"
    assert by_key(client, runtime)["other"]["jira"]["error"] is None
    assert due_in(runtime, problem.id) is None


def test_a_long_retry_after_is_kept_by_the_schedule(client, runtime, sandbox):
    report(client, "T1", "a@acme.com")
    problem = problem_row(runtime)
    stale_block(runtime, problem.id)
    sandbox.fail_next("GET", r"/rest/api/2/issue/[^/]+", 429, retry_after=120)
    assert sync_jira(problem.id, runtime) == "retry-scheduled"
    assert 119 <= due_in(runtime, problem.id) <= 120
    error = by_key(client, runtime)["sso-login"]["jira"]["error"]
    assert error.startswith("rate_limited (retrying)")


def test_rate_limits_are_not_failures_a_5xx_after_them_waits_30_s_not_an_hour(
    client, runtime, sandbox
):
    """Jira Cloud answers a burst with 429s, then often a 503: the 429s' waits are Jira's
    own (Retry-After) and leave the backoff where it starts."""
    report(client, "T1", "a@acme.com")
    problem = problem_row(runtime)
    stale_block(runtime, problem.id)
    sandbox.fail_next("GET", r"/rest/api/2/issue/[^/]+", 429, times=12, retry_after=5)
    for _ in range(12):
        assert sync_jira(problem.id, runtime) == "retry-scheduled"
        assert due_in(runtime, problem.id) <= 5
        make_due_now(runtime, problem.id)
    sandbox.fail_next("GET", r"/rest/api/2/issue/[^/]+", 503)
    assert sync_jira(problem.id, runtime) == "retry-scheduled"
    assert 29 <= due_in(runtime, problem.id) <= 30
    make_due_now(runtime, problem.id)
    assert sync_jira(problem.id, runtime) == "updated"


def test_503_is_retried_with_growing_backoff(client, runtime, sandbox):
    report(client, "T1", "a@acme.com")
    problem = problem_row(runtime)
    stale_block(runtime, problem.id)
    sandbox.fail_next("GET", r"/rest/api/2/issue/[^/]+", 503, times=2)
    waits = []
    for _ in range(2):
        assert sync_jira(problem.id, runtime) == "retry-scheduled"
        waits.append(due_in(runtime, problem.id))
        make_due_now(runtime, problem.id)
    assert 29 <= waits[0] <= 30 and 59 <= waits[1] <= 60
    assert sync_jira(problem.id, runtime) == "updated"
    assert by_key(client, runtime)["sso-login"]["jira"]["error"] is None


def test_a_timeout_is_transient(client, runtime, sandbox):
    forget_clients()
    report(client, "T1", "a@acme.com", tag="pain-slow")
    problem = problem_row(runtime, "slow")
    with Session(runtime.engine) as session:
        row = session.get(Problem, problem.id)
        row.jira_content_hash = "stale"
        session.add(row)
        session.commit()
    sandbox.delay_next("GET", r"/rest/api/2/issue/[^/]+", 2.0)
    settings = replace(runtime.settings, outbound_timeout_seconds=0.5)
    with pytest.raises(JiraUnavailable, match=r"in time \(within 0.5 s\)"):
        sync.sync_problem(runtime.engine, settings, problem.id)


def test_401_stops_and_shows_the_error_on_the_problem(make_settings, sandbox):
    runtime = inline_runtime(make_settings(jira=jira_table(sandbox, api_token="wrong")))
    client = create_app(runtime=runtime).test_client()
    report(client, "T1", "a@acme.com")
    jira = by_key(client, runtime)["sso-login"]["jira"]
    assert jira["key"] is None and jira["error"].startswith("unauthorized")
    assert sandbox.issues() == []
    runtime.engine.dispose()


def test_400_from_jira_is_recorded_not_retried(make_settings, sandbox):
    runtime = inline_runtime(make_settings(jira=jira_table(sandbox, project="NOPE")))
    client = create_app(runtime=runtime).test_client()
    report(client, "T1", "a@acme.com")
    jira = by_key(client, runtime)["sso-login"]["jira"]
    assert jira["error"].startswith("bad_request")
    assert sandbox.issues() == []
    runtime.engine.dispose()


def test_jira_error_text_is_masked_before_an_agent_reads_it(make_settings, sandbox):
    """A Jira (or a proxy in front of it) whose error echoes the request's headers: the
    stored error, which every agent reads in the API and the UI, is masked as a log line is."""
    credential = base64.b64encode(f"{JIRA_EMAIL}:{JIRA_TOKEN}".encode()).decode()
    echo = f"Request headers: Authorization: Basic {credential}; From: {JIRA_EMAIL}"
    sandbox.fail_next("POST", r"/rest/api/2/issue", 400, body={"errorMessages": [echo]})
    runtime = inline_runtime(make_settings(jira=jira_table(sandbox)))
    client = create_app(runtime=runtime).test_client()
    report(client, "T1", "a@acme.com")
    error = by_key(client, runtime)["sso-login"]["jira"]["error"]
    assert error.startswith("bad_request") and "Authorization: Basic [redacted]" in error
    assert credential not in error and JIRA_EMAIL not in error
    runtime.engine.dispose()


@pytest.mark.slow
def test_sync_runs_in_a_real_rq_worker(make_settings, sandbox, redis_url, tmp_path):

    from tests.support import SECRETS

    settings = make_settings(jira=jira_table(sandbox), redis_url=redis_url)
    runtime = inline_runtime(settings)
    client = create_app(runtime=runtime).test_client()
    for i in range(5):
        report(client, f"T{i}", f"p{i}@acme.com")
    assert sandbox.issues() == []  # the web process only stores and enqueues
    config = tmp_path / "vr.toml"
    config.write_text(
        f'database_url = "{settings.database_url}"\nredis_url = "{redis_url}"\n'
        f'[sources.generic]\nkind = "generic"\nsecret = "{SECRETS["generic"]}"\n'
        f'[jira]\nurl = "{sandbox.url}"\nemail = "bot@example.com"\n'
        f'api_token = "sandbox-token"\n'
    )
    proc = run_cli(config, "worker", "--burst")
    assert proc.returncode == 0, proc.stderr
    assert len(sandbox.issues()) == 1, proc.stderr + proc.stdout
    issue = only_issue(sandbox)
    assert "|5|1|" in issue["fields"]["description"]  # five people, one company
    assert by_key(client, runtime)["sso-login"]["jira"]["key"] == issue["key"]
    runtime.engine.dispose()


def test_impact_field_receives_the_customer_count(make_settings, sandbox):
    runtime = inline_runtime(
        make_settings(jira=jira_table(sandbox, impact_field="customfield_10050"))
    )
    client = create_app(runtime=runtime).test_client()
    report(client, "T1", "a@acme.com")
    report(client, "T2", "b@globex.io")
    assert only_issue(sandbox)["fields"]["customfield_10050"] == 2
    runtime.engine.dispose()


def test_a_burst_becomes_one_trailing_update_per_interval_without_redis(make_settings, sandbox):
    from voice_router.tracker.sync import sync_problem  # noqa: F401  (the path under test)

    runtime = inline_runtime(make_settings(jira=jira_table(sandbox, update_interval_seconds=3600)))
    client = create_app(runtime=runtime).test_client()
    report(client, "T1", "a@acme.com")  # creates the issue at once
    key = only_issue(sandbox)["key"]
    sandbox.reset_calls()
    for i in range(20):
        report(client, f"B{i}", f"b{i}@globex.io")
    assert sandbox.count_calls() == 0  # within the interval: waiting, no call
    assert "|1|1|" in sandbox.issue(key)["fields"]["description"]
    # one sync, an hour after the first (the 20 reports may take a while on a busy machine)
    assert 3500 < due_in(runtime, problem_row(runtime).id) <= 3600
    make_due_now(runtime, problem_row(runtime).id)  # the interval has passed
    runtime.queue.run_due_syncs()
    assert "|21|2|" in sandbox.issue(key)["fields"]["description"]
    assert sandbox.count_calls() == 2  # read the description, write the block
    runtime.engine.dispose()


def test_notes_sync_at_once_even_inside_the_interval(make_settings, sandbox):
    runtime = inline_runtime(make_settings(jira=jira_table(sandbox, update_interval_seconds=3600)))
    client = create_app(runtime=runtime).test_client()
    report(client, "T1", "a@acme.com")
    problem = problem_row(runtime)
    response = client.post(
        f"/api/v1/problems/{problem.id}/notes", json={"body": "Churn risk"}, headers=token(runtime)
    )
    assert response.status_code == 201
    assert len(sandbox.comments(problem.jira_key)) == 1
    runtime.engine.dispose()


def test_rq_signals_for_one_problem_fold_into_one_job_and_a_retry_does_not_block(redis_url):
    from redis import Redis
    from rq.registry import ScheduledJobRegistry

    from workers.queue import RedisQueue

    queue = RedisQueue(redis_url)
    registry = ScheduledJobRegistry(queue=queue.queue)
    queue.signal_sync([7], 2)
    queue.signal_sync([7], 2)  # folded into the pending one
    assert registry.count == 1
    queue.sync_started(7)  # the job runs…
    queue.signal_sync([7], 600)  # …fails, and comes back in ten minutes
    queue.signal_sync([7], 2)  # while a person's note still goes out now
    assert registry.count == 3
    Redis.from_url(redis_url).flushdb()


def test_the_update_interval_paces_changes_but_not_people(make_settings, sandbox):
    runtime = inline_runtime(make_settings(jira=jira_table(sandbox, update_interval_seconds=600)))
    client = create_app(runtime=runtime).test_client()
    report(client, "T1", "a@acme.com")  # first sync at once
    problem_id = problem_row(runtime).id
    assert due_in(runtime, problem_id) is None
    report(client, "T2", "b@globex.io")  # a change: after the interval
    assert 590 < due_in(runtime, problem_id) <= 600
    from voice_router.platform.runtime import mark_sync_due

    mark_sync_due(runtime, [problem_id])  # a person: now, and the pending one goes with it
    assert due_in(runtime, problem_id) is None
    assert "|2|2|" in only_issue(sandbox)["fields"]["description"]
    runtime.engine.dispose()


def test_an_account_import_brings_the_jira_issues_of_its_problems_up_to_date(
    client, runtime, sandbox, tmp_path
):
    """`import-accounts` gives acme.com a name and a new MRR: the problem counting it owes a
    Jira sync, marked with the import, and that sync shows the new revenue and name."""
    from tests.support import SECRETS

    report(client, "T1", "a@acme.com", company="acme.com", mrr=100)
    key = only_issue(sandbox)["key"]
    assert "|1|1|100|1|" in sandbox.issue(key)["fields"]["description"]
    assert problem_row(runtime).jira_sync_due_at is None
    csv_file = tmp_path / "accounts.csv"
    csv_file.write_text("domain,name,plan,mrr\nacme.com,Acme Corp,Business,1200\n")
    config = tmp_path / "vr.toml"
    config.write_text(
        f'database_url = "{runtime.settings.database_url}"\n'
        f'[sources.generic]\nkind = "generic"\nsecret = "{SECRETS["generic"]}"\n'
        f'[jira]\nurl = "{sandbox.url}"\nemail = "bot@example.com"\n'
        'api_token = "sandbox-token"\nproject = "PROD"\nupdate_interval_seconds = 0\n'
    )
    proc = run_cli(config, "import-accounts", str(csv_file))
    assert proc.returncode == 0, proc.stderr
    assert "Jira issues of 1 problem(s) will show the new revenue" in proc.stdout
    assert problem_row(runtime).jira_sync_due_at is not None
    runtime.queue.run_due_syncs()
    description = sandbox.issue(key)["fields"]["description"]
    assert "|1|1|1,200|1|" in description and "Acme Corp" in description
    assert problem_row(runtime).jira_sync_due_at is None
