"""The reconcile pass's look for fix versions released while their webhook was lost
(`shipped_when = "released"`). Releasing a version changes no issue's `updated`, so the
pass's search for what changed never sees it; and an issue's `updated` is older than the
webhook that marked it Done, so a state stamped with it would be dropped as stale. So the
problems still `in_progress` whose issues Jira has Done are looked up by their labels,
among the issues in a released version, and each state is stamped just after the last one
applied: it wins over what is known, and any later event still wins over it. Each issue is
searched for in its own project: a problem linked to another project's issue (by a person)
is caught up as the configured project's are."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from integrations.jira.client import JiraClient
from voice_router.models import Problem
from voice_router.platform.clock import to_utc
from voice_router.platform.settings import Settings
from voice_router.problems.issue_labels import install_of, labels_of, problem_of
from voice_router.tracker import search
from voice_router.tracker.events import JiraOutcome, apply_issue_state, state_from_issue_json

log = logging.getLogger(__name__)
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
    state is to be applied at; searched in the project of each problem's issue. Jira is
    asked outside any transaction: on SQLite a write transaction holds the lock every
    webhook waits for."""
    if settings.jira.shipped_when != "released":
        return []
    with Session(engine) as session:
        waiting = session.exec(
            select(Problem.id, Problem.jira_key, Problem.jira_event_at).where(
                Problem.status == "in_progress",
                col(Problem.merged_into_id).is_(None),
                col(Problem.jira_key).is_not(None),
                Problem.jira_status_category == "done",
            )
        ).all()
    install = install_of(engine)
    found = []
    for project, applied_at in by_project(settings, waiting).items():
        with unless_gone(settings, project):
            found += labelled_states(
                settings,
                client,
                install,
                applied_at,
                "fixVersion in releasedVersions()",
                fields,
                updated_at,
                project,
            )
    return found


def project_of(settings: Settings, key: str) -> str:
    """The project to look for issue `key` in: `[jira].project` for its own issues (and for
    every issue when it is given by id, which cannot be told from a key), else the key's
    own project (an issue a person linked)."""
    configured = settings.jira.project.strip()
    own = key.rsplit("-", 1)[0].strip().upper()
    return configured if configured.isdigit() or own == configured.upper() else own


def by_project(
    settings: Settings, rows: Iterable[tuple[int, str | None, datetime | None]]
) -> dict[str, dict[int, datetime | None]]:
    """(problem id, issue key, time of its last state applied), grouped by the project each
    issue is in (`project_of`), the configured project first."""
    grouped: dict[str, dict[int, datetime | None]] = {}
    for problem_id, key, at in rows:
        grouped.setdefault(project_of(settings, key or ""), {})[problem_id] = at
    configured = settings.jira.project.strip()
    return dict(sorted(grouped.items(), key=lambda item: (item[0] != configured, item[0])))


@contextmanager
def unless_gone(settings: Settings, project: str) -> Iterator[None]:
    """Skip, with a warning, the look at a linked issue's project that Jira will not show
    any more (deleted, or the permission taken away), rather than fail the whole pass on
    every pass; a Jira that does not answer fails it as before, and so does the configured
    project."""
    from integrations.jira.errors import JiraBadRequest, JiraNotFound

    try:
        yield
    except (JiraBadRequest, JiraNotFound) as exc:
        if project == settings.jira.project.strip():
            raise
        log.warning("reconcile.project_unreadable", extra={"project": project, "error": str(exc)})


def labelled_states(
    settings: Settings,
    client: JiraClient,
    install: str,
    applied_at: dict[int, datetime | None],
    condition: str,
    fields: str,
    updated_at: Callable[[dict[str, Any]], datetime],
    project: str,
) -> list[tuple[dict[str, Any], datetime]]:
    """The issues of these problems in `project` (by their labels in `install`'s spelling
    and the old one, 50 problems to a search) that also meet the JQL `condition` (or all of
    them, with none), each with its state's time: just after the last state applied to its
    problem (`applied_at`), so what Jira says now wins over it."""
    found = []
    ids = sorted(applied_at)
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        labels = ", ".join(f'"{label}"' for i in chunk for label in labels_of(i, install))
        jql = f'project = "{project}" AND labels in ({labels})'
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
