"""No second issue for a problem, ever: Jira's search lags (0, 5 and 30 s here) and create
answers get lost. The sandbox's clock and voice-router's create timing share one test clock,
so the lag is stepped through without sleeping; each sync that asks to come back later is
brought back after exactly the wait it asked for."""

from __future__ import annotations

import time
from dataclasses import replace

import pytest
from sqlmodel import Session

from integrations.jira.errors import JiraUnavailable
from tests.jira_sync.conftest import drive, label, one_problem, problem_row
from tests.support import inline_runtime
from voice_router.models import Problem
from voice_router.platform.clock import to_utc, utcnow
from voice_router.platform.jira_client import forget_clients
from voice_router.tracker import create, sync
from workers.jobs import sync_jira

pytestmark = pytest.mark.usefixtures("jira_openapi_check")

CREATE = r"/rest/api/2/issue"


def key_of(engine, problem_id: int) -> str | None:  # type: ignore[no-untyped-def]
    return problem_row(engine, problem_id).jira_key


LAGS = [{"index_lag": 0}, {"index_lag": 5}, {"index_lag": 30}]
LAGS_DC = [{"index_lag": lag, "deployment": "datacenter"} for lag in (0, 5, 30)]


@pytest.mark.parametrize("jira", LAGS + LAGS_DC, indirect=True, ids=lambda p: str(p))
@pytest.mark.parametrize("mode", ["drop", "503"])
@pytest.mark.parametrize("step", [0.5, 30])
def test_a_create_whose_answer_was_lost_gives_exactly_one_issue(
    make_settings, jira, clock, mode, step
):
    runtime, settings, problem_id = one_problem(make_settings, jira)
    jira.drop_after_commit_next("POST", CREATE, mode=mode)

    actions = drive(runtime.engine, settings, problem_id, clock, step)

    [issue] = jira.issues()
    assert jira.count_calls("POST", CREATE) == 1
    assert actions[0] == "unavailable" and actions[-1] == "adopted"
    assert key_of(runtime.engine, problem_id) == issue["key"]
    assert sync.sync_problem(runtime.engine, settings, problem_id).action == "unchanged"
    assert len(jira.issues()) == 1
    runtime.engine.dispose()


@pytest.mark.parametrize("jira", [{"index_lag": 30}], indirect=True)
def test_a_create_whose_answer_trickles_is_cut_off_and_adopted_never_sent_twice(
    make_settings, jira, clock
):
    """A proxy that sends Jira's answer a byte at a time (each within requests' per-read
    timeout) held the sync, and Jira's lane behind it, until the last byte; the create is
    cut off at the client's deadline, and the issue Jira made is found and adopted."""
    forget_clients()
    runtime, settings, problem_id = one_problem(make_settings, jira)
    settings = replace(settings, outbound_timeout_seconds=2.0)
    jira.trickle_next("POST", CREATE, seconds=30)
    started = time.monotonic()
    with pytest.raises(JiraUnavailable, match="in time"):
        sync.sync_problem(runtime.engine, settings, problem_id)
    took = time.monotonic() - started

    actions = drive(runtime.engine, settings, problem_id, clock, 30)

    assert took < 8, took  # the 2 s deadline and slack for a busy machine, not the 30 s
    [issue] = jira.issues()
    assert actions[-1] == "adopted" and jira.count_calls("POST", CREATE) == 1, actions
    assert key_of(runtime.engine, problem_id) == issue["key"]
    runtime.engine.dispose()


@pytest.mark.parametrize("jira", [{"index_lag": 30}], indirect=True)
def test_the_adopted_issue_gets_the_block_labels_and_link_in_the_same_sync(
    make_settings, jira, clock
):
    runtime, settings, problem_id = one_problem(make_settings, jira)
    jira.drop_after_commit_next("POST", CREATE)
    drive(runtime.engine, settings, problem_id, clock, 2)
    [issue] = jira.issues()
    assert label(runtime.engine, problem_id) in issue["fields"]["labels"]
    assert "|1|1|" in issue["fields"]["description"]
    [link] = jira.remote_links(issue["key"])
    assert link["object"]["url"] == f"https://vr.example/problems/{problem_id}"
    runtime.engine.dispose()


@pytest.mark.parametrize("jira", [{"index_lag": 30}], indirect=True)
def test_a_create_that_never_reached_jira_is_sent_again_only_after_the_confirm_window(
    make_settings, jira, clock
):
    runtime, settings, problem_id = one_problem(make_settings, jira)
    jira.fail_next("POST", CREATE, 503)  # refused before anything was made
    started = clock.now

    actions = drive(runtime.engine, settings, problem_id, clock, 2)

    assert actions[-1] == "created" and "confirming" in actions
    assert clock.now - started >= create.CONFIRM_WINDOW
    assert len(jira.issues()) == 1 and jira.count_calls("POST", CREATE) == 2
    runtime.engine.dispose()


@pytest.mark.parametrize("jira", [{"index_lag": 30}], indirect=True)
def test_a_refused_create_made_nothing_and_is_sent_again_at_once(make_settings, jira, clock):
    runtime, settings, problem_id = one_problem(make_settings, jira)
    jira.fail_next("POST", CREATE, 400)

    assert sync.sync_problem(runtime.engine, settings, problem_id).action == "error"
    assert sync.sync_problem(runtime.engine, settings, problem_id).action == "created"
    assert len(jira.issues()) == 1
    runtime.engine.dispose()


def due_in(engine, problem_id: int) -> float | None:  # type: ignore[no-untyped-def]
    with Session(engine) as session:
        due = session.get(Problem, problem_id).jira_sync_due_at
    return None if due is None else (to_utc(due) - utcnow()).total_seconds()


def make_due_now(engine, problem_id: int) -> None:  # type: ignore[no-untyped-def]
    with Session(engine) as session:
        row = session.get(Problem, problem_id)
        row.jira_sync_due_at = utcnow()
        session.add(row)
        session.commit()


@pytest.mark.parametrize("jira", [{"index_lag": 30}], indirect=True)
def test_the_job_reschedules_a_confirming_sync_after_its_wait_without_sleeping(
    make_settings, jira, clock
):
    from tests.support import InlineJobs

    waiting, settings, problem_id = one_problem(make_settings, jira)
    runtime = inline_runtime(settings)
    assert isinstance(runtime.queue, InlineJobs)
    jira.drop_after_commit_next("POST", CREATE)
    make_due_now(runtime.engine, problem_id)
    assert sync_jira(problem_id, runtime) == "retry-scheduled"
    clock.advance(10)
    make_due_now(runtime.engine, problem_id)
    assert sync_jira(problem_id, runtime) == "confirming"  # the index is 20 s behind still
    wait = due_in(runtime.engine, problem_id)
    assert wait is not None and 9 < wait <= 10  # as long again as since the create
    assert "retrying" in (problem_row(runtime.engine, problem_id).jira_error or "")
    clock.advance(20)
    make_due_now(runtime.engine, problem_id)
    assert sync_jira(problem_id, runtime) == "adopted"
    assert len(jira.issues()) == 1 and due_in(runtime.engine, problem_id) is None
    row = problem_row(runtime.engine, problem_id)
    assert (row.jira_error, row.jira_create_sent_at) == (None, None)
    runtime.engine.dispose()
    waiting.engine.dispose()
