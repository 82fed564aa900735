"""One reconcile pass: ask Jira what changed on our issues since the last pass and apply it
as the webhooks would have. With every Jira webhook lost, problems still ship within one
reconcile interval. What a pass ships is sent on the messages lane, never here: the pass
runs on Jira's lane, and a helpdesk that hangs must not hold up Jira's work (jobs.reconcile
signals that lane; `voice-router reconcile` sends itself). The same issues are swept for a problem's
label on two issues (duplicates.py) before their states are applied, so a duplicate
being closed is never taken for the problem's own issue."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy.engine import Engine
from sqlmodel import Session

from voice_router.models import Setting
from voice_router.platform.clock import to_utc, utcnow
from voice_router.platform.db import session_scope
from voice_router.platform.settings import Settings
from voice_router.problems.issue_labels import install_of
from voice_router.tracker import create, duplicates, search, versions
from voice_router.tracker.events import JiraOutcome, apply_issue_state, state_from_issue_json
from voice_router.tracker.project import linked_elsewhere
from voice_router.tracker.released import apply_released, find_released

if TYPE_CHECKING:
    from integrations.jira.client import JiraClient

log = logging.getLogger(__name__)
CURSOR_KEY = "jira_reconcile_cursor"
OVERLAP = timedelta(minutes=2)
FIRST_LOOKBACK = timedelta(days=30)
FIELDS = "status,resolution,fixVersions,labels,updated,created"


@dataclass
class ReconcileResult:
    issues_seen: int = 0
    transitions: list[str] = field(default_factory=list)
    shipped: set[int] = field(default_factory=set)
    duplicates: list[int] = field(default_factory=list)  # problems whose duplicates settled


def _cursor(session: Session) -> datetime | None:
    row = session.get(Setting, CURSOR_KEY)
    return to_utc(datetime.fromisoformat(row.value)) if row else None


def _updated_at(issue: dict[str, Any]) -> datetime:
    raw = (issue.get("fields") or {}).get("updated")
    if isinstance(raw, str):
        try:
            return to_utc(datetime.strptime(raw, "%Y-%m-%dT%H:%M:%S.%f%z"))
        except ValueError:
            pass
    return utcnow()


def _id_of(issue: dict[str, Any]) -> str | None:
    return str(issue["id"]) if issue.get("id") is not None else None


def _lost_creates(
    engine: Engine, settings: Settings, client: JiraClient, issues: list[dict[str, Any]]
) -> list[int]:
    """Issues labelled for a merged problem whose create answer was lost (the sweep passes
    merged problems by): each goes to the problem's survivor, or is closed as a duplicate of
    the survivor's issue (create.settle_lost_create)."""
    install = install_of(engine)
    named = {p for issue in issues for p in duplicates.problems_labelled(issue, install)}
    return [
        problem_id
        for problem_id in create.merged_lost_creates(engine, named)
        if create.settle_lost_create(engine, settings, client, problem_id, install) is not None
    ]


def jql_since(settings: Settings, since: datetime, now: datetime, everywhere: bool = False) -> str:
    """Relative minutes keep the query independent of the Jira user's time zone.
    `everywhere`: in every project, for problems linked to another project's issue."""
    minutes = int((now - since + OVERLAP).total_seconds() // 60) + 1
    label = settings.jira.labels[0] if settings.jira.labels else "voice-router"
    where = "" if everywhere else f'project = "{settings.jira.project}" AND '
    return f'{where}labels = "{label}" AND updated >= "-{minutes}m" ORDER BY updated ASC'


def _linked_elsewhere(session: Session, settings: Settings) -> bool:
    """Whether a problem holds an issue in another project than `[jira].project` (a person
    linked it): its webhooks lost, only a search beyond the project would catch it up."""
    return session.exec(linked_elsewhere(settings).limit(1)).first() is not None


def reconcile(
    engine: Engine, settings: Settings, progress: Callable[[int], None] | None = None
) -> ReconcileResult:
    """`progress` hears how many issues each page of Jira's answer brought."""
    from voice_router.platform.jira_client import client_for

    result = ReconcileResult()
    now = utcnow()
    if settings.jira.url:
        with Session(engine) as session:
            since = _cursor(session) or now - FIRST_LOOKBACK
            everywhere = _linked_elsewhere(session, settings)
        client = client_for(settings.jira, settings.outbound_timeout_seconds)
        jql = jql_since(settings, since, now, everywhere)
        issues = search.search_all(client, jql, FIELDS, progress=progress)
        released = find_released(engine, settings, client, FIELDS, _updated_at)
        changed = versions.find_changed(engine, settings, client, FIELDS, _updated_at)
        released += changed.found
        result.issues_seen = len(issues) + len(released)
        result.duplicates = duplicates.sweep(engine, settings, client, issues)
        result.duplicates += _lost_creates(engine, settings, client, issues)
        outcome = JiraOutcome()
        with session_scope(engine) as session:
            for issue in issues:
                state = state_from_issue_json(issue, _updated_at(issue))
                labels = tuple((issue.get("fields") or {}).get("labels") or ())
                key = issue.get("key", "")
                apply_issue_state(session, settings, key, state, outcome, _id_of(issue), labels)
            apply_released(session, settings, released, outcome)
            versions.remember(session, settings, changed)
            row = session.get(Setting, CURSOR_KEY) or Setting(key=CURSOR_KEY, value="")
            row.value = now.isoformat()
            session.add(row)
        result.transitions = [f"{t.problem_id}:{t.before}->{t.after}" for t in outcome.transitions]
        result.shipped = {t.problem_id for t in outcome.transitions}
    log.info(
        "reconcile.done",
        extra={"issues": result.issues_seen, "transitions": len(result.transitions)},
    )
    return result
