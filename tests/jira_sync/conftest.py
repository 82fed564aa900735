"""A Jira sandbox per test, and settings pointing voice-router at it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
import requests
from sqlmodel import Session, select

from integrations.jira.errors import JiraUnavailable
from jira_sandbox import JiraSandbox
from tests.support import (
    JIRA_EMAIL,
    JIRA_TOKEN,
    fresh_sandbox,
    generic_delivery,
    inline_runtime,
    post_signed,
)
from voice_router.models import Problem
from voice_router.platform.clock import utcnow
from voice_router.tracker import create, sync
from voice_router.web import create_app

EMAIL, TOKEN = JIRA_EMAIL, JIRA_TOKEN


def file_by_hand(sandbox: JiraSandbox, summary: str, description: str, **fields: Any) -> str:
    """An issue filed through REST as a person would (or as a create whose answer was lost
    leaves one), with `fields` besides; its key."""
    response = requests.post(
        f"{sandbox.url}/rest/api/2/issue",
        json={
            "fields": {
                "project": {"key": "PROD"},
                "issuetype": {"name": "Bug"},
                "summary": summary,
                "description": description,
                **fields,
            }
        },
        auth=(EMAIL, TOKEN),
        timeout=5,
    )
    assert response.status_code == 201, response.text
    key: str = response.json()["key"]
    return key


def jira_table(sandbox: JiraSandbox, **overrides: object) -> dict[str, object]:
    return {
        "url": sandbox.url,
        "email": EMAIL,
        "api_token": TOKEN,
        "project": "PROD",
        "labels": ["voice-router"],
        "update_interval_seconds": 0,  # tests look at each change; pacing has its own tests
        **overrides,
    }


@pytest.fixture
def settings(make_settings, sandbox):
    return make_settings(jira=jira_table(sandbox), base_url="https://vr.example")


@pytest.fixture
def runtime(settings):
    rt = inline_runtime(settings)
    yield rt
    rt.engine.dispose()


class Clock:
    """One clock for the sandbox (its search index lag, `created`, `updated`) and for
    voice-router's create timing: the lag is stepped through without sleeping."""

    def __init__(self) -> None:
        self.now = utcnow()

    def __call__(self):  # type: ignore[no-untyped-def]
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def clock(monkeypatch) -> Clock:  # type: ignore[no-untyped-def]
    clock = Clock()
    monkeypatch.setattr(create, "utcnow", clock)
    return clock


@pytest.fixture
def jira(request, clock) -> Iterator[JiraSandbox]:  # type: ignore[no-untyped-def]
    """A sandbox on the test clock; `index_lag` and `deployment` by indirect parameters."""
    with fresh_sandbox(EMAIL, TOKEN, "PROD", clock=clock, **getattr(request, "param", {})) as box:
        yield box


def one_problem(make_settings, jira: JiraSandbox, **jira_options):  # type: ignore[no-untyped-def]
    """A reported problem below `min_customers` (no issue yet), and settings under which it
    gets one (a Data Center sandbox is reached with a personal access token)."""
    options = {"auth": "token"} if jira.state.deployment == "datacenter" else {}
    options.update(jira_options)
    waiting = inline_runtime(make_settings(jira=jira_table(jira, min_customers=9, **options)))
    client = create_app(runtime=waiting).test_client()
    body = generic_delivery("T1", "a@acme.com", ["pain-sso-login"])
    assert post_signed(client, "generic", body).status_code == 202
    with Session(waiting.engine) as session:
        problem_id = session.exec(select(Problem.id)).one()
    settings = make_settings(jira=jira_table(jira, **options), base_url="https://vr.example")
    return waiting, settings, problem_id


def drive(engine, settings, problem_id, clock: Clock, step: float) -> list[str]:  # type: ignore[no-untyped-def]
    """Sync until the problem has its issue, as the job runner would: a transient error
    comes back after `step` seconds, a sync waiting on Jira's search after the `retry_in`
    it asked for."""
    actions = []
    for _ in range(200):
        try:
            outcome = sync.sync_problem(engine, settings, problem_id)
        except JiraUnavailable:
            actions.append("unavailable")
            clock.advance(step)
            continue
        actions.append(outcome.action)
        if outcome.action != "confirming":
            return actions
        assert outcome.retry_in is not None and outcome.retry_in > 0
        clock.advance(outcome.retry_in)
    raise AssertionError(f"no end: {actions[-10:]}")


def problem_row(engine, problem_id: int) -> Problem:  # type: ignore[no-untyped-def]
    with Session(engine, expire_on_commit=False) as session:
        return session.get(Problem, problem_id)


def label(engine, problem_id: int) -> str:  # type: ignore[no-untyped-def]
    """The problem's per-problem label, in its install's spelling."""
    from voice_router.problems.issue_labels import install_of, problem_label

    return problem_label(problem_id, install_of(engine))


def labels_naming(labels, problem_id: int) -> list[str]:  # type: ignore[no-untyped-def]
    """The per-problem labels among `labels` that name the problem, in any spelling."""
    import re

    return [str(x) for x in labels if re.fullmatch(rf"vr-problem-{problem_id}(-[a-z0-9]+)?", x)]
