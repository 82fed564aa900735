"""The reconcile pass's look for fix versions released while their webhook was lost
(`shipped_when = "released"`). Releasing a version changes no issue's `updated`, so the
pass's search for what changed never sees it; and an issue's `updated` is older than the
webhook that marked it Done, so a state stamped with it would be dropped as stale. So the
problems still `in_progress` whose issues Jira has Done are looked up by their labels,
among the issues in a released version, and each state is stamped just after the last one
applied: it wins over what is known, and any later event still wins over it. Problems whose
issue is in another project are left out (`in_project`)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session, col, select

from integrations.jira.client import JiraClient
from voice_router.models import Problem
from voice_router.platform.clock import to_utc
from voice_router.platform.settings import Settings
from voice_router.problems.issue_labels import install_of, labels_of, problem_of
from voice_router.tracker import search
from voice_router.tracker.events import JiraOutcome, apply_issue_state, state_from_issue_json

CHUNK = 50  # labels in one search
JUST_AFTER = timedelta(microseconds=1)


def find_released(
    engine: Engine,
    settings: Settings,
    client: JiraClient,
    fields: str,
    updated_at: Callable[[dict[str, Any]], datetime],
) -> list[tuple[dict[str, Any], datetime]]:
    """The issues of waiting problems now in a released version, each with the time its
    state is to be applied at. Jira is asked outside any transaction: on SQLite a write
    transaction holds the lock every webhook waits for."""
    if settings.jira.shipped_when != "released":
        return []
    with Session(engine) as session:
        waiting = session.exec(
            select(Problem.id, Problem.jira_event_at).where(
                in_project(settings.jira.project),
                Problem.status == "in_progress",
                col(Problem.merged_into_id).is_(None),
                col(Problem.jira_key).is_not(None),
                Problem.jira_status_category == "done",
            )
        ).all()
    applied_at = {problem_id: at for problem_id, at in waiting}
    return labelled_states(
        settings,
        client,
        install_of(engine),
        applied_at,
        "fixVersion in releasedVersions()",
        fields,
        updated_at,
    )


def in_project(project: str) -> ColumnElement[bool]:
    """Problems whose issue is in the configured `project` (a key; an id cannot be told
    from an issue's key, and lets all pass): the searches by label look there only, so
    another project's issue (one a person linked) was searched for on every pass, and never
    found."""
    if project.strip().isdigit():
        return sa.true()
    return col(Problem.jira_key).startswith(f"{project.strip().upper()}-", autoescape=True)


def labelled_states(
    settings: Settings,
    client: JiraClient,
    install: str,
    applied_at: dict[int, datetime | None],
    condition: str,
    fields: str,
    updated_at: Callable[[dict[str, Any]], datetime],
) -> list[tuple[dict[str, Any], datetime]]:
    """The issues of these problems (by their labels in `install`'s spelling and the old
    one, 50 problems to a search) that also meet the JQL `condition` (or all of them, with
    none), each with its state's time: just after the last state applied to its problem
    (`applied_at`), so what Jira says now wins over it."""
    found = []
    ids = sorted(applied_at)
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        labels = ", ".join(f'"{label}"' for i in chunk for label in labels_of(i, install))
        jql = f'project = "{settings.jira.project}" AND labels in ({labels})'
        if condition:
            jql += f" AND {condition}"
        for issue in search.search_all(client, jql, fields):
            at = updated_at(issue)
            for label in (issue.get("fields") or {}).get("labels") or []:
                problem_id = problem_of(label, install)
                last = applied_at.get(problem_id) if problem_id is not None else None
                if last is not None:
                    at = max(at, to_utc(last) + JUST_AFTER)
            found.append((issue, at))
    return found


def apply_released(
    session: Session,
    settings: Settings,
    found: list[tuple[dict[str, Any], datetime]],
    outcome: JiraOutcome,
) -> None:
    for issue, at in found:
        state = state_from_issue_json(issue, at)
        apply_issue_state(session, settings, issue.get("key", ""), state, outcome)
