"""Every side effect of a sync is confirmed or tried again until it is done — fields and
block, labels, the remote link, notes, the regression and merge notices — and a sync is
"unchanged" (no call at all) only when all of them are in place. Answers lost after Jira
acted never make a second comment or link."""

from __future__ import annotations

import pytest
import requests
from sqlmodel import Session, select

from integrations.jira.errors import JiraRateLimited, JiraUnavailable
from tests.jira_sync.conftest import EMAIL, TOKEN, jira_table, label
from tests.support import generic_delivery, inline_runtime, post_signed, token
from voice_router.models import Problem
from voice_router.platform.clock import utcnow
from voice_router.tracker import sync
from voice_router.web import create_app
from workers.jobs import sync_jira

pytestmark = pytest.mark.usefixtures("jira_openapi_check")

REMOTE_LINK = r"/rest/api/2/issue/[^/]+/remotelink"
COMMENT = r"/rest/api/2/issue/[^/]+/comment"


def report(client, ticket, email, tag="pain-sso-login"):  # type: ignore[no-untyped-def]
    body = generic_delivery(ticket, email, [tag])
    assert post_signed(client, "generic", body).status_code == 202


def row(runtime, key="sso-login") -> Problem:  # type: ignore[no-untyped-def]
    with Session(runtime.engine, expire_on_commit=False) as session:
        return session.exec(select(Problem).where(Problem.key == key)).one()


def update(runtime, problem_id: int, **values) -> None:  # type: ignore[no-untyped-def]
    with Session(runtime.engine) as session:
        problem = session.get(Problem, problem_id)
        for name, value in values.items():
            setattr(problem, name, value)
        session.add(problem)
        session.commit()


def unchanged_without_a_call(runtime, sandbox, problem_id: int) -> None:  # type: ignore[no-untyped-def]
    sandbox.reset_calls()
    outcome = sync.sync_problem(runtime.engine, runtime.settings, problem_id)
    assert outcome.action == "unchanged" and sandbox.count_calls() == 0


def test_a_remote_link_that_met_a_429_is_retried_until_it_is_there(client, runtime, sandbox):
    sandbox.fail_next("POST", REMOTE_LINK, 429, retry_after=0)
    report(client, "T1", "a@acme.com")  # created; the link is refused for now
    problem = row(runtime)
    assert problem.jira_key is not None and sandbox.remote_links(problem.jira_key) == []
    assert problem.jira_error.startswith("rate_limited (retrying)")

    update(runtime, problem.id, jira_sync_due_at=utcnow())
    assert sync_jira(problem.id, runtime) == "updated"  # the link, nothing else was owed

    [link] = sandbox.remote_links(problem.jira_key)
    assert link["object"]["url"] == f"https://vr.example/problems/{problem.id}"
    assert row(runtime).jira_error is None
    unchanged_without_a_call(runtime, sandbox, problem.id)


def test_a_remote_link_whose_answer_was_lost_is_not_added_twice(client, runtime, sandbox):
    sandbox.drop_after_commit_next("POST", REMOTE_LINK)
    report(client, "T1", "a@acme.com")
    problem = row(runtime)
    update(runtime, problem.id, jira_sync_due_at=utcnow())
    sync_jira(problem.id, runtime)
    assert len(sandbox.remote_links(problem.jira_key)) == 1  # same globalId: updated, not added


def test_an_issue_linked_back_before_keeps_its_one_remote_link(client, runtime, sandbox):
    """Issues created before remote links were tracked carry one without a globalId."""
    report(client, "T1", "a@acme.com")
    problem = row(runtime)
    [link] = sandbox.remote_links(problem.jira_key)
    requests.delete(
        f"{sandbox.url}/rest/api/2/issue/{problem.jira_key}/remotelink/{link['id']}",
        auth=(EMAIL, TOKEN),
        timeout=5,
    ).raise_for_status()
    requests.post(
        f"{sandbox.url}/rest/api/2/issue/{problem.jira_key}/remotelink",
        json={"object": {"url": link["object"]["url"], "title": "voice-router problem"}},
        auth=(EMAIL, TOKEN),
        timeout=5,
    ).raise_for_status()
    update(runtime, problem.id, jira_remote_link_at=None)  # as after the migration

    assert sync.sync_problem(runtime.engine, runtime.settings, problem.id).action == "unchanged"
    assert len(sandbox.remote_links(problem.jira_key)) == 1
    unchanged_without_a_call(runtime, sandbox, problem.id)


def test_labels_a_person_removed_come_back_with_the_next_block_rewrite(client, runtime, sandbox):
    report(client, "T1", "a@acme.com")
    problem = row(runtime)
    sandbox.edit(problem.jira_key, {"labels": ["triaged"]}, send=False)
    report(client, "T2", "b@globex.io")
    labels = set(sandbox.issue(problem.jira_key)["fields"]["labels"])
    assert labels == {"triaged", "voice-router", label(runtime.engine, problem.id)}


def test_a_block_rewrite_that_failed_is_not_unchanged(client, runtime, sandbox):
    report(client, "T1", "a@acme.com")
    problem = row(runtime)
    sandbox.fail_next("PUT", r"/rest/api/2/issue/[^/]+", 503)
    report(client, "T2", "b@globex.io")
    assert "|1|1|" in sandbox.issue(problem.jira_key)["fields"]["description"]
    update(runtime, problem.id, jira_sync_due_at=utcnow())
    assert sync_jira(problem.id, runtime) == "updated"
    assert "|2|2|" in sandbox.issue(problem.jira_key)["fields"]["description"]
    unchanged_without_a_call(runtime, sandbox, problem.id)


def test_a_note_whose_comment_answer_was_lost_is_posted_once(client, runtime, sandbox):
    report(client, "T1", "a@acme.com")
    problem = row(runtime)
    sandbox.drop_after_commit_next("POST", COMMENT)
    response = client.post(
        f"/api/v1/problems/{problem.id}/notes", json={"body": "Churn risk"}, headers=token(runtime)
    )
    assert response.status_code == 201
    update(runtime, problem.id, jira_sync_due_at=utcnow())
    sync_jira(problem.id, runtime)
    assert [c["body"].count("Churn risk") for c in sandbox.comments(problem.jira_key)] == [1]
    unchanged_without_a_call(runtime, sandbox, problem.id)


def test_a_regression_notice_whose_answer_was_lost_is_posted_once(client, runtime, sandbox):
    report(client, "T1", "a@acme.com")
    problem = row(runtime)
    update(runtime, problem.id, status="regressed", regressed_at=utcnow())
    sandbox.drop_after_commit_next("POST", COMMENT)
    with pytest.raises(JiraUnavailable):
        sync.sync_problem(runtime.engine, runtime.settings, problem.id)
    assert row(runtime).regression_noticed_at is None

    sync.sync_problem(runtime.engine, runtime.settings, problem.id)

    notices = [c for c in sandbox.comments(problem.jira_key) if "reported this" in c["body"]]
    assert len(notices) == 1
    assert row(runtime).regression_noticed_at is not None
    unchanged_without_a_call(runtime, sandbox, problem.id)


def test_a_merge_notice_whose_answer_was_lost_is_posted_once(client, runtime, sandbox):
    report(client, "T1", "a@acme.com", tag="pain-sso-login")
    report(client, "T2", "b@globex.io", tag="pain-okta-loop")
    merged, survivor = row(runtime, "sso-login"), row(runtime, "okta-loop")
    sandbox.drop_after_commit_next("POST", COMMENT)
    response = client.post(
        f"/api/v1/problems/{merged.id}/merge",
        json={"into": survivor.id},
        headers=token(runtime, "pm"),
    )
    assert response.status_code == 200
    update(runtime, merged.id, jira_sync_due_at=utcnow())
    sync_jira(merged.id, runtime)
    notices = [c for c in sandbox.comments(merged.jira_key) if "merged this problem" in c["body"]]
    assert len(notices) == 1 and survivor.jira_key in notices[0]["body"]


def test_a_rate_limited_create_makes_nothing_and_leaves_no_create_pending(make_settings, sandbox):
    runtime = inline_runtime(make_settings(jira=jira_table(sandbox, min_customers=9)))
    client = create_app(runtime=runtime).test_client()
    report(client, "T1", "a@acme.com")
    settings = make_settings(jira=jira_table(sandbox))
    problem = row(runtime)
    sandbox.fail_next("POST", r"/rest/api/2/issue", 429, retry_after=0)
    with pytest.raises(JiraRateLimited):
        sync.sync_problem(runtime.engine, settings, problem.id)
    assert row(runtime).jira_create_sent_at is None
    assert sync.sync_problem(runtime.engine, settings, problem.id).action == "created"
    runtime.engine.dispose()
