"""Applying what Jira tells us (webhook deliveries and reconcile results) to problems."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlmodel import Session

from voice_router.closing import shipping
from voice_router.models import Setting
from voice_router.platform.settings import Settings
from voice_router.tracker.project import is_other, known_id, may_hold_linked

log = logging.getLogger(__name__)
RELEASE_PREFIX = "jira_release:"  # a `setting` row per version (released, renamed ...) to apply


@dataclass
class JiraOutcome:
    transitions: list[shipping.Transition] = field(default_factory=list)
    touched: set[int] = field(default_factory=set)
    releases_owed: bool = False  # a released version to look up in Jira, after the batch


def state_from_issue_json(issue: dict[str, Any], at: datetime) -> shipping.IssueState:
    fields = issue.get("fields") or {}
    status = fields.get("status") or {}
    resolution = fields.get("resolution") or {}
    versions = fields.get("fixVersions") or []
    return shipping.IssueState(
        status_name=status.get("name"),
        status_category=(status.get("statusCategory") or {}).get("key"),
        resolution=resolution.get("name") if isinstance(resolution, dict) else None,
        fix_versions_released=tuple(bool(v.get("released")) for v in versions),
        at=at,
        fix_version_names=tuple(str(v.get("name") or "") for v in versions),
    )


def apply_issue_state(
    session: Session,
    settings: Settings,
    key: str,
    state: shipping.IssueState,
    outcome: JiraOutcome,
    issue_id: str | None = None,
    labels: tuple[str, ...] = (),
) -> None:
    for problem in shipping.problems_for_issue(session, key, issue_id, labels):
        transition = shipping.apply_state(session, settings, problem, state)
        outcome.touched.add(problem.id)
        if transition is not None:
            outcome.transitions.append(transition)


def apply_event(session: Session, settings: Settings, event: Any, outcome: JiraOutcome) -> None:
    """Route one parsed Jira webhook event (see integrations.jira.webhook)."""
    from integrations.jira import webhook

    if isinstance(event, webhook.IssueUpdated):
        if not shipping.touches_status(event.changed_fields):
            return  # description, labels, our own block: nothing about shipping
        state = shipping.IssueState(
            status_name=event.status_name,
            status_category=event.status_category,
            resolution=event.resolution,
            fix_versions_released=tuple(v.released for v in event.fix_versions),
            at=event.timestamp,
            fix_version_names=tuple(v.name for v in event.fix_versions),
        )
        if not shipping.readable(settings, state):
            # Applied, its time would outrank the reconcile pass's reading of the same
            # change, which carries the category: left to that pass instead.
            log.info("jira.event_unreadable", extra={"issue": event.issue_key})
            return
        apply_issue_state(
            session, settings, event.issue_key, state, outcome, event.issue_id, event.labels
        )
    elif isinstance(event, webhook.IssueDeleted):
        outcome.touched |= set(shipping.unlink_deleted(session, event.issue_key, event.timestamp))
    elif (
        isinstance(event, webhook.VersionReleased)
        and settings.jira.shipped_when == "released"
        and settings.jira.url
    ):
        _owe_ours(session, settings, event, outcome)
    elif isinstance(event, webhook.VersionChanged) and settings.jira.url:
        # Renamed, or unreleased: its issues' states are read again, as for a release, so
        # the drafts name the version as Jira does now (and, with shipped_when = "released",
        # a problem whose only released version was unreleased is no longer shipped).
        _owe_ours(session, settings, event, outcome)


def _owe_ours(session: Session, settings: Settings, event: Any, outcome: JiraOutcome) -> None:
    """Owe the version's look-up, unless it is the version of a project that holds no
    problem's issue (Jira sends every project's version events): known by the ids kept in
    tracker/project.py, or, before an id is known, by the release job, which looks it up
    once (the event's id goes with it). A project a person linked an issue in is ours too."""
    if is_other(event.project_id, known_id(session, settings)) and not may_hold_linked(
        session, settings, event.project_id
    ):
        log.info(
            "jira.release.other_project",
            extra={"version_id": event.version_id, "project_id": event.project_id},
        )
        return
    owe_release(session, event.version_id, event.timestamp, event.project_id)
    outcome.releases_owed = True


def owe_release(
    session: Session, version_id: str, released_at: datetime, project_id: str | None = None
) -> None:
    """Record, in the caller's transaction, that this version's issues are still to be read
    and applied, as of `released_at` (voice_router/tracker/releases.py searches Jira for
    them, outside any batch): a release, a rename, an unrelease. A version already owed is
    owed as of the later of the two events (the look-up reads Jira as it is by then). Only
    a number goes into that search: another version id is logged and dropped. `project_id`,
    the version's project as the event named it, lets the job skip another project's."""
    if not version_id.isdigit() or len(version_id) > 20:
        log.warning("jira.release.ignored", extra={"reason": "version id is not a number"})
        return
    key = f"{RELEASE_PREFIX}{version_id}"
    row = session.get(Setting, key)
    if row is None:
        record = {"released_at": released_at.isoformat(), "attempts": 0, "due": ""}
        if project_id is not None:
            record["project_id"] = project_id
        session.add(Setting(key=key, value=json.dumps(record)))
        return
    record = json.loads(row.value)
    if released_at > datetime.fromisoformat(str(record["released_at"])):
        row.value = json.dumps({**record, "released_at": released_at.isoformat()})
        session.add(row)
