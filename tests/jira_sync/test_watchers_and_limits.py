"""`[jira].notify_watchers = false` sends `notifyUsers=false` on block rewrites (which Jira
allows only to administrators: a refusal says so in `jira.error`), and descriptions stay
within Jira's 32,767 characters, lists trimmed with "and N more"."""

from __future__ import annotations

import pytest
from sqlmodel import Session, select

from integrations.jira.render import BEGIN, END, jira_length
from tests.jira_sync.conftest import file_by_hand, jira_table
from tests.support import by_key, generic_delivery, inline_runtime, post_signed, token
from voice_router.models import Problem
from voice_router.web import create_app

pytestmark = pytest.mark.usefixtures("jira_openapi_check")

EDIT = r"/rest/api/2/issue/[^/]+"


def report(client, ticket, email, company=None):  # type: ignore[no-untyped-def]
    body = generic_delivery(ticket, email, ["pain-sso-login"], company=company, mrr=100)
    assert post_signed(client, "generic", body).status_code == 202


def running(make_settings, sandbox, **jira):  # type: ignore[no-untyped-def]
    runtime = inline_runtime(
        make_settings(jira=jira_table(sandbox, **jira), base_url="https://vr.example")
    )
    return runtime, create_app(runtime=runtime).test_client()


def edits(sandbox) -> list[str]:  # type: ignore[no-untyped-def]
    return [c.query for c in sandbox.calls if c.method == "PUT"]


def test_by_default_block_rewrites_notify_watchers(make_settings, sandbox):
    runtime, client = running(make_settings, sandbox)
    report(client, "T1", "a@acme.com")
    report(client, "T2", "b@globex.io")
    assert edits(sandbox) == [""]
    runtime.engine.dispose()


def test_notify_watchers_false_sends_notify_users_false_for_an_administrator(
    make_settings, sandbox
):
    sandbox.grant("ADMINISTER_PROJECTS", project="PROD")
    runtime, client = running(make_settings, sandbox, notify_watchers=False)
    report(client, "T1", "a@acme.com")
    report(client, "T2", "b@globex.io")
    assert edits(sandbox) == ["notifyUsers=false"]
    key = by_key(client, runtime)["sso-login"]["jira"]["key"]
    assert "|2|2|" in sandbox.issue(key)["fields"]["description"]
    runtime.engine.dispose()


def test_notify_watchers_false_without_admin_rights_is_a_clear_jira_error(make_settings, sandbox):
    runtime, client = running(make_settings, sandbox, notify_watchers=False)
    report(client, "T1", "a@acme.com")  # creating notifies no one: allowed
    report(client, "T2", "b@globex.io")  # the rewrite is refused
    jira = by_key(client, runtime)["sso-login"]["jira"]
    assert jira["key"] is not None
    assert jira["error"].startswith("unauthorized: To discard the user notification")
    assert "[jira].notify_watchers = false" in jira["error"]
    assert "Administer projects" in jira["error"]
    runtime.engine.dispose()


def test_a_wrong_token_is_not_blamed_on_notify_watchers(make_settings, sandbox):
    runtime, client = running(make_settings, sandbox, notify_watchers=False, api_token="wrong")
    report(client, "T1", "a@acme.com")
    error = by_key(client, runtime)["sso-login"]["jira"]["error"]
    assert error.startswith("unauthorized") and "notify_watchers" not in error
    runtime.engine.dispose()


def their_issue(sandbox, description: str) -> str:  # type: ignore[no-untyped-def]
    return file_by_hand(sandbox, "Filed by hand", description)


def test_a_long_description_of_theirs_gets_a_shortened_block_within_the_limit(
    make_settings, sandbox
):
    runtime, client = running(make_settings, sandbox, min_customers=50)
    for i in range(9):
        report(client, f"T{i}", f"p{i}@company{i}.example", company=f"Company {i}")
    theirs = ("Repro notes. " * 2460)[:31950]
    key = their_issue(sandbox, theirs)
    with Session(runtime.engine) as session:
        problem_id = session.exec(select(Problem.id)).one()
    response = client.post(
        f"/api/v1/problems/{problem_id}/jira", json={"key": key}, headers=token(runtime, "pm")
    )
    assert response.status_code == 200

    description = sandbox.issue(key)["fields"]["description"]
    assert jira_length(description) <= 32767
    assert description.startswith(theirs.rstrip()) and description.endswith(END)
    block = description[description.index(BEGIN) :]
    assert "more accounts" in block and "more tickets" in block  # shortened to fit
    assert block.count("\n* ") < 12  # the whole block: 5 + 5 lines, and 2 "more" lines
    assert by_key(client, runtime)["sso-login"]["jira"]["error"] is None
    runtime.engine.dispose()


def test_a_description_that_leaves_no_room_is_an_error_not_a_cut(make_settings, sandbox):
    runtime, client = running(make_settings, sandbox, min_customers=50)
    report(client, "T1", "a@acme.com")
    theirs = "x" * 32700
    key = their_issue(sandbox, theirs)
    with Session(runtime.engine) as session:
        problem_id = session.exec(select(Problem.id)).one()
    client.post(
        f"/api/v1/problems/{problem_id}/jira", json={"key": key}, headers=token(runtime, "pm")
    )
    assert sandbox.issue(key)["fields"]["description"] == theirs
    error = by_key(client, runtime)["sso-login"]["jira"]["error"]
    assert error.startswith("too_long")
    runtime.engine.dispose()


def test_a_long_note_becomes_a_comment_within_the_limit(make_settings, sandbox):
    runtime, client = running(make_settings, sandbox)
    report(client, "T1", "a@acme.com")
    with Session(runtime.engine) as session:
        problem = session.exec(select(Problem)).one()
    body = "{code}[~jane]|*_!" * 588  # 9,996 characters, nearly every one escaped
    response = client.post(
        f"/api/v1/problems/{problem.id}/notes", json={"body": body}, headers=token(runtime)
    )
    assert response.status_code == 201
    [comment] = sandbox.comments(problem.jira_key)
    assert jira_length(comment["body"]) <= 32767
    assert BEGIN not in comment["body"]
    runtime.engine.dispose()
