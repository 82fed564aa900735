"""Released Jira versions, applied outside the inbox's transactions.

Jira's `jira:version_released` names a version, not the issues it fixes: finding them takes
a search. Processing must not wait on Jira (a batch holds SQLite's write lock, and every
webhook waits for that lock), so it only records that the release is owed — a `setting` row
`jira_release:<version id>`, committed with the batch (`tracker.events.owe_release`) — and
the job `apply_releases` (workers/jobs.py) searches Jira and applies what it finds, each
release in a transaction of its own after its search. A search that fails is tried again
later, with the Jira syncs' backoff (`schedule.jira_backoff`); the row stays until it is
applied, so a crash or restart of either runtime loses nothing.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from voice_router.models import Setting
from voice_router.platform import schedule
from voice_router.platform.clock import to_utc, utcnow
from voice_router.platform.db import session_scope
from voice_router.platform.settings import Settings
from voice_router.tracker.events import RELEASE_PREFIX as PREFIX
from voice_router.tracker.events import JiraOutcome, apply_issue_state, state_from_issue_json
from voice_router.tracker.project import is_other, linked_projects, project_id

if TYPE_CHECKING:  # workers import this module at start-up; the Jira library, when used
    from integrations.jira.client import JiraClient

log = logging.getLogger(__name__)

FIELDS = "status,resolution,fixVersions,labels,updated"


@dataclass
class ReleasesApplied:
    applied: int = 0
    retrying: int = 0
    outcome: JiraOutcome = field(default_factory=JiraOutcome)

    @property
    def shipped(self) -> set[int]:
        return {transition.problem_id for transition in self.outcome.transitions}


def _owed(session: Session) -> list[Setting]:
    statement = select(Setting).where(col(Setting.key).startswith(PREFIX))
    return list(session.exec(statement.order_by(col(Setting.key))).all())


def _is_due(record: dict[str, object], now: datetime) -> bool:
    due = record.get("due")
    return not due or to_utc(datetime.fromisoformat(str(due))) <= now


def any_due(engine: Engine) -> bool:
    now = utcnow()
    with Session(engine) as session:
        return any(_is_due(json.loads(row.value), now) for row in _owed(session))


def apply_due(engine: Engine, settings: Settings) -> ReleasesApplied:
    """Search Jira for each due release's issues and apply their states, one release at a
    time; a release whose search fails is due again after a backoff."""
    from integrations.jira.errors import JiraBadRequest, JiraError, JiraNotFound
    from voice_router.platform.jira_client import client_for
    from voice_router.tracker.search import search_all

    result = ReleasesApplied()
    now = utcnow()
    with Session(engine) as session:
        due = [(row.key, json.loads(row.value)) for row in _owed(session)]
    for key, record in due:
        if not _is_due(record, now):
            continue
        version_id = key.removeprefix(PREFIX)
        try:
            # made (serverInfo read) once per process
            client = client_for(settings.jira, settings.outbound_timeout_seconds)
            if _other_project(engine, settings, client, record):
                _drop(engine, key)
                continue
            issues = search_all(client, f"fixVersion = {version_id}", FIELDS)
        except (JiraBadRequest, JiraNotFound) as exc:
            # Jira refuses the search for good (the version was deleted or merged before we
            # looked): retried hourly for ever before, and said only at INFO (fault audit).
            _give_up(engine, key, exc)
            continue
        except JiraError as exc:
            _retry_later(engine, key, record, exc)
            result.retrying += 1
            continue
        released_at = to_utc(datetime.fromisoformat(str(record["released_at"])))
        outcome = JiraOutcome()
        with session_scope(engine) as session:
            for issue in issues:
                state = state_from_issue_json(issue, released_at)
                apply_issue_state(session, settings, issue.get("key", ""), state, outcome)
            schedule.sync_due(session, settings, outcome.touched)
            session.execute(sa.delete(Setting).where(col(Setting.key) == key))
        result.outcome.touched |= outcome.touched
        result.outcome.transitions += outcome.transitions
        result.applied += 1
        log.info("jira.release.applied", extra={"version_id": version_id, "issues": len(issues)})
    return result


def _other_project(
    engine: Engine, settings: Settings, client: JiraClient, record: dict[str, object]
) -> bool:
    """Whether the event named the version of a project that holds no problem's issue:
    neither `[jira].project` nor a project a person linked an issue in (each project's id is
    asked of Jira the first time only, tracker/project.py)."""
    from integrations.jira.errors import JiraBadRequest, JiraNotFound

    named = str(record.get("project_id") or "") or None
    if named is None:
        return False  # an event without `projectId`: looked up, as before
    try:
        ours = project_id(engine, settings, client)
    except (JiraBadRequest, JiraNotFound):
        return False  # the project cannot be read: its versions are looked up, as before
    if not is_other(named, ours) or named in _linked_ids(engine, settings, client):
        return False
    log.info("jira.release.other_project", extra={"project_id": named})
    return True


def _linked_ids(engine: Engine, settings: Settings, client: JiraClient) -> set[str]:
    """The ids of the other projects holding a problem's issue (a person linked it); one
    Jira no longer shows is left out, and asked again at its project's next version."""
    from integrations.jira.errors import JiraBadRequest, JiraNotFound

    with Session(engine) as session:
        projects = linked_projects(session, settings)
    found = set()
    for project in projects:
        try:
            found.add(project_id(engine, settings, client, project))
        except (JiraBadRequest, JiraNotFound):
            log.info("jira.release.project_unreadable", extra={"project": project})
    return found


def _drop(engine: Engine, key: str) -> None:
    with session_scope(engine) as session:
        session.execute(sa.delete(Setting).where(col(Setting.key) == key))


def _give_up(engine: Engine, key: str, exc: Exception) -> None:
    _drop(engine, key)
    log.warning(
        "jira.release.given_up",
        extra={"version_id": key.removeprefix(PREFIX), "error": str(exc)[:500]},
    )


def _retry_later(engine: Engine, key: str, record: dict[str, object], exc: Exception) -> None:
    attempts = int(str(record.get("attempts") or 0)) + 1
    wait = schedule.jira_backoff(attempts)
    updated = {**record, "attempts": attempts, "due": (utcnow() + wait).isoformat()}
    with session_scope(engine) as session:
        row = session.get(Setting, key)
        if row is not None:
            row.value = json.dumps(updated)
    level = logging.INFO if getattr(exc, "transient", False) else logging.WARNING
    log.log(
        level,
        "jira.release.retry",
        extra={"version_id": key.removeprefix(PREFIX), "wait": wait.total_seconds(),
               "error": type(exc).__name__},
    )  # fmt: skip
