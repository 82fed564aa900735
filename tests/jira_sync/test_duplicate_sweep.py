"""Two issues carrying one problem's label are settled by reconcile: the oldest (or the one a
person linked) is kept, each other one is linked to it as a duplicate, commented once,
closed where the workflow allows, and loses voice-router's block and label; the problem
points at the survivor. Searches lag 0, 5 and 30 s here, on the sandbox's test clock."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.jira_sync.conftest import (
    drive,
    file_by_hand,
    label,
    labels_naming,
    one_problem,
    problem_row,
)
from tests.support import inline_runtime, token
from voice_router.tracker import create, sync
from voice_router.tracker.reconcile import reconcile
from voice_router.web import create_app

pytestmark = pytest.mark.usefixtures("jira_openapi_check")

LAGS = [{"index_lag": 0}, {"index_lag": 5}, {"index_lag": 30}]


def file_issue(jira, labels: list[str], summary: str = "SSO login") -> str:  # type: ignore[no-untyped-def]
    """An issue made through REST as the API user (as a create whose answer was lost is)."""
    return file_by_hand(jira, summary, "made twice", labels=labels)


def labels_of(jira, key: str) -> set[str]:  # type: ignore[no-untyped-def]
    return set(jira.issue(key)["fields"]["labels"])


def assert_settled_as_duplicate(jira, key: str, survivor: str, problem_id: int) -> None:  # type: ignore[no-untyped-def]
    fields = jira.issue(key)["fields"]
    [link] = fields["issuelinks"]
    assert link["type"]["name"] == "Duplicate"
    assert link["outwardIssue"]["key"] == survivor  # the duplicate "duplicates" the survivor
    [comment] = [c for c in jira.comments(key) if "duplicate of" in c["body"]]
    assert survivor in comment["body"]
    assert fields["status"]["statusCategory"]["key"] == "done"
    assert fields["resolution"]["name"] == "Duplicate"
    assert not labels_naming(fields["labels"], problem_id)
    assert "voice-router-begin" not in (fields["description"] or "")


@pytest.mark.parametrize("jira", LAGS, indirect=True, ids=lambda p: f"lag{p['index_lag']}")
def test_reconcile_keeps_the_oldest_and_settles_the_other(make_settings, jira, clock):
    waiting, settings, problem_id = one_problem(make_settings, jira)
    runtime = inline_runtime(settings)
    assert sync.sync_problem(runtime.engine, settings, problem_id).action == "created"
    [first] = [i["key"] for i in jira.issues()]
    clock.advance(60)
    second = file_issue(jira, ["voice-router", label(runtime.engine, problem_id)])
    lag = jira.state.search_lag
    if lag:
        assert reconcile(runtime.engine, settings).duplicates == []  # not searchable yet
        clock.advance(lag)

    assert reconcile(runtime.engine, settings).duplicates == [problem_id]

    assert_settled_as_duplicate(jira, second, first, problem_id)
    assert label(runtime.engine, problem_id) in labels_of(jira, first)
    assert problem_row(runtime.engine, problem_id).jira_key == first
    jira.reset_calls()
    clock.advance(lag + 1)
    assert reconcile(runtime.engine, settings).duplicates == []  # settled once
    assert jira.count_calls("POST") == jira.count_calls("PUT") == 0
    runtime.engine.dispose()
    waiting.engine.dispose()


@pytest.mark.parametrize("jira", LAGS[1:], indirect=True, ids=lambda p: f"lag{p['index_lag']}")
def test_a_problem_pointing_at_the_younger_issue_moves_to_the_oldest_with_its_notes(
    make_settings, jira, clock
):
    """The older issue was invisible to the search before the create (no create intent:
    a restored database, say); reconcile finds both once the index catches up."""
    waiting, settings, problem_id = one_problem(make_settings, jira)
    runtime = inline_runtime(settings)
    older = file_issue(jira, ["voice-router", label(runtime.engine, problem_id)])
    clock.advance(1)
    assert sync.sync_problem(runtime.engine, settings, problem_id).action == "created"
    younger = problem_row(runtime.engine, problem_id).jira_key
    assert younger != older
    client = create_app(runtime=runtime).test_client()
    note = client.post(
        f"/api/v1/problems/{problem_id}/notes",
        json={"body": "Renewal at risk"},
        headers=token(runtime),
    )
    assert note.status_code == 201
    assert len(jira.comments(younger)) == 1
    clock.advance(jira.state.search_lag)

    assert reconcile(runtime.engine, settings).duplicates == [problem_id]
    runtime.queue.run_due_syncs()

    row = problem_row(runtime.engine, problem_id)
    assert row.jira_key == older and row.jira_content_hash is not None
    assert_settled_as_duplicate(jira, younger, older, problem_id)
    assert "voice-router-begin" in jira.issue(older)["fields"]["description"]
    assert [c["body"] for c in jira.comments(older) if "Renewal at risk" in c["body"]]
    assert jira.remote_links(older)[0]["object"]["url"].endswith(f"/problems/{problem_id}")
    sync.sync_problem(runtime.engine, settings, problem_id)
    notes = [c for c in jira.comments(older) if "Renewal at risk" in c["body"]]
    assert len(notes) == 1
    clock.advance(jira.state.search_lag + 1)
    reconcile(runtime.engine, settings)  # reads the duplicate, closed as Duplicate
    assert problem_row(runtime.engine, problem_id).status == "open"  # not the problem's issue
    runtime.engine.dispose()
    waiting.engine.dispose()


@pytest.mark.parametrize("jira", [{"index_lag": 30}], indirect=True)
def test_a_persons_linked_issue_survives_even_when_younger(make_settings, jira, clock):
    waiting, settings, problem_id = one_problem(make_settings, jira)
    runtime = inline_runtime(settings)
    orphan = file_issue(jira, ["voice-router", label(runtime.engine, problem_id)])
    clock.advance(5)
    theirs = file_issue(jira, ["customer-login"], summary="Login broken for Oscorp (Jane)")
    client = create_app(runtime=runtime).test_client()
    response = client.post(
        f"/api/v1/problems/{problem_id}/jira", json={"key": theirs}, headers=token(runtime, "pm")
    )
    assert response.status_code == 200, response.get_json()
    clock.advance(30)

    assert reconcile(runtime.engine, settings).duplicates == [problem_id]

    assert problem_row(runtime.engine, problem_id).jira_key == theirs
    assert_settled_as_duplicate(jira, orphan, theirs, problem_id)
    fields = jira.issue(theirs)["fields"]
    assert fields["summary"] == "Login broken for Oscorp (Jane)"
    assert fields["status"]["statusCategory"]["key"] != "done"
    runtime.engine.dispose()
    waiting.engine.dispose()


@pytest.mark.parametrize("jira", [{"index_lag": 0}], indirect=True)
def test_without_transition_rights_the_duplicate_is_linked_and_unlabelled_but_left_open(
    make_settings, jira, clock
):
    waiting, settings, problem_id = one_problem(make_settings, jira)
    runtime = inline_runtime(settings)
    sync.sync_problem(runtime.engine, settings, problem_id)
    first = problem_row(runtime.engine, problem_id).jira_key
    clock.advance(1)
    second = file_issue(jira, ["voice-router", label(runtime.engine, problem_id)])
    jira.revoke("TRANSITION_ISSUES")

    assert reconcile(runtime.engine, settings).duplicates == [problem_id]

    fields = jira.issue(second)["fields"]
    assert fields["status"]["statusCategory"]["key"] == "new"
    assert fields["issuelinks"][0]["outwardIssue"]["key"] == first
    assert not labels_naming(fields["labels"], problem_id)
    assert reconcile(runtime.engine, settings).duplicates == []
    runtime.engine.dispose()
    waiting.engine.dispose()


@pytest.mark.parametrize("jira", LAGS[1:], indirect=True, ids=lambda p: f"lag{p['index_lag']}")
def test_an_index_slower_than_the_confirm_window_still_ends_with_one_open_issue(
    make_settings, jira, clock, monkeypatch
):
    """The last line of defence: with the window (wrongly) shorter than the lag, a lost
    create answer does produce a second issue, and reconcile settles it."""
    monkeypatch.setattr(create, "CONFIRM_WINDOW", timedelta(seconds=2))
    waiting, settings, problem_id = one_problem(make_settings, jira)
    runtime = inline_runtime(settings)
    jira.drop_after_commit_next("POST", r"/rest/api/2/issue")
    drive(runtime.engine, settings, problem_id, clock, 0.5)
    assert len(jira.issues()) == 2
    clock.advance(jira.state.search_lag)

    assert reconcile(runtime.engine, settings).duplicates == [problem_id]

    own = label(runtime.engine, problem_id)
    carrying = [i for i in jira.issues() if own in i["fields"]["labels"]]
    [kept] = carrying
    assert kept["fields"]["status"]["statusCategory"]["key"] != "done"
    assert kept["key"] == min((i for i in jira.issues()), key=lambda i: int(i["id"]))["key"]
    assert problem_row(runtime.engine, problem_id).jira_key == kept["key"]
    runtime.engine.dispose()
    waiting.engine.dispose()
