"""Two issues carrying one problem's label: keep one, settle the others.

create.py makes this all but impossible, yet a search index slower than its confirm
window, a database restored from a backup or a person copying labels can still produce it.
Reconcile reads the per-problem labels (`vr-problem-N-<install>`, this install's only:
problems/issue_labels.py) of the issues it fetches; where one
is on several issues, or on an issue its problem does not point at, it searches that label and
settles it here:

- the survivor is the issue a person linked to the problem, else the oldest (by `created`);
- the problem points at the survivor (before anything else, so that closing a duplicate can
  never be read as the problem's own issue being closed) and syncs to it;
- each other issue is linked to the survivor as a duplicate (it "duplicates" the survivor),
  gets one comment saying so, is closed with resolution Duplicate where the workflow offers a
  transition into the done category, and loses voice-router's block and per-problem label —
  which marks it settled, so a later pass leaves it alone.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from integrations.jira.client import JiraClient
from integrations.jira.errors import JiraBadRequest, JiraError, JiraNotFound, JiraUnauthorized
from voice_router.models import Problem
from voice_router.platform import schedule
from voice_router.platform.db import session_scope
from voice_router.platform.settings import Settings
from voice_router.problems.handover import repost_notes
from voice_router.problems.issue_labels import install_of, labelled, labels_of, problem_label
from voice_router.tracker import search
from voice_router.tracker.comments import comment_once
from voice_router.tracker.links import take_off
from voice_router.tracker.rows import holder_of, load, problem_url

log = logging.getLogger(__name__)

LINK_TYPE = "Duplicate"
RESOLUTION = "Duplicate"


def problems_labelled(issue: dict[str, Any], install: str) -> list[int]:
    return labelled((issue.get("fields") or {}).get("labels") or [], install)


def sweep(
    engine: Engine, settings: Settings, client: JiraClient, issues: Iterable[dict[str, Any]]
) -> list[int]:
    """Settle every problem whose label these issues show out of place; returns their ids."""
    keys: dict[int, set[str]] = {}
    install = install_of(engine)
    for issue in issues:
        for problem_id in problems_labelled(issue, install):
            keys.setdefault(problem_id, set()).add(str(issue.get("key")))
    if not keys:
        return []
    with Session(engine) as session:
        rows = {
            p.id: p for p in session.exec(select(Problem).where(col(Problem.id).in_(list(keys))))
        }
    settled = []
    for problem_id, seen in sorted(keys.items()):
        problem = rows.get(problem_id)
        if problem is None or (len(seen) < 2 and problem.jira_key in seen):
            continue
        if problem.merged_into_id is not None:
            continue  # its issue is the survivor's now, or carries the merge notice
        if problem.jira_key is None and problem.jira_unlinked_at is not None:
            continue  # a person unlinked it; the sync takes the label off
        label = problem_label(problem_id, install)
        found = search.labelled(client, settings.jira.project, label)
        try:
            if settle(engine, settings, client, problem_id, found, install):
                settled.append(problem_id)
        except JiraError as exc:
            if exc.transient:
                raise
            log.warning(
                "jira.duplicates.refused",
                extra={"problem_id": problem_id, "reason": exc.reason, "error": exc.message},
            )
    return settled


def settle(
    engine: Engine,
    settings: Settings,
    client: JiraClient,
    problem_id: int,
    found: list[dict[str, Any]],
    install: str,
) -> bool:
    """Keep one of the issues `found` (carrying the problem's label, oldest first) and the
    problem's own issue; settle the others. True when anything changed."""
    problem = load(engine, problem_id)
    if problem is None:
        return False
    with Session(engine) as session:
        found = [i for i in found if holder_of(session, i["key"], problem_id) is None]
    keys: list[str] = [i["key"] for i in found]
    current = problem.jira_key
    if current is not None and current not in keys:
        try:  # the search may not show the label on it yet
            own = client.get_issue(current, fields="created,labels,status")
            found = sorted(
                [*found, {"key": own.key, "id": own.id, "fields": own.extra}],
                key=search.created_order,
            )
            keys = [i["key"] for i in found]
        except JiraNotFound:
            pass
    if not keys:
        return False
    survivor = current if problem.jira_person_issue and current in keys else keys[0]
    others = [k for k in keys if k != survivor]
    if not others and current == survivor:
        return False
    if current != survivor:
        point_at(engine, settings, problem_id, survivor, client.browse_url(survivor))
    for key in others:
        close_duplicate(settings, client, problem_id, key, survivor, install)
    log.info(
        "jira.duplicates.settled",
        extra={"problem_id": problem_id, "issue": survivor, "duplicates": others},
    )
    return True


def point_at(engine: Engine, settings: Settings, problem_id: int, key: str, url: str) -> None:
    with session_scope(engine) as session:
        problem = session.get(Problem, problem_id)
        if problem is None or problem.jira_key == key:
            return
        if holder_of(session, key, problem_id) is not None:
            return
        if problem.jira_key is not None:
            repost_notes(session, problem_id)
            problem.jira_person_issue = False
        problem.jira_key, problem.jira_url = key, url
        problem.jira_issue_id = (
            None  # the issue's next event names it (shipping.problems_for_issue)
        )
        problem.jira_status = problem.jira_status_category = problem.jira_resolution = None
        problem.jira_content_hash = problem.jira_remote_link_at = None
        problem.jira_create_sent_at = problem.jira_unlinked_at = None
        session.add(problem)
        session.flush()
        schedule.sync_due(session, settings, [problem_id], urgent=True)


def close_duplicate(
    settings: Settings,
    client: JiraClient,
    problem_id: int,
    key: str,
    survivor: str,
    install: str,
) -> None:
    """Link, comment, close where the workflow allows, then take voice-router's block and
    label off (the last step: an issue without the label is settled)."""
    try:
        client.link_issues(LINK_TYPE, inward_key=key, outward_key=survivor)  # key duplicates
    except (JiraBadRequest, JiraNotFound, JiraUnauthorized) as exc:
        log.warning("jira.duplicates.not_linked", extra={"issue": key, "error": exc.message})
    marker = f"voice-router: duplicate of {survivor}."
    comment_once(
        client,
        key,
        marker,
        f"{marker} Both issues were made for one problem "
        f"([voice-router problem #{problem_id}|{problem_url(settings.base_url, problem_id)}]"
        f"); {survivor} is kept and carries its impact from now on.",
    )
    _close(client, key)
    take_off(client, key, labels_of(problem_id, install), settings.jira.notify_watchers)
    log.info("jira.duplicates.closed", extra={"issue": key, "survivor": survivor})


def _close(client: JiraClient, key: str) -> None:
    issue = client.get_issue(key, fields="status")
    if issue.status_category == "done":
        return
    into_done = [
        t
        for t in client.transitions(key)
        if ((t.get("to") or {}).get("statusCategory") or {}).get("key") == "done"
    ]
    if not into_done:
        log.info("jira.duplicates.not_closed", extra={"issue": key})
        return
    transition = str(into_done[0]["id"])
    try:
        client.transition(key, transition, {"resolution": {"name": RESOLUTION}})
    except JiraBadRequest:  # no resolution on that transition's screen, or no Duplicate
        try:
            client.transition(key, transition)
        except JiraBadRequest as exc:
            log.info("jira.duplicates.not_closed", extra={"issue": key, "error": exc.message})
