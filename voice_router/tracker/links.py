"""Linking a person's existing issue to a problem, unlinking it, and taking voice-router's
marks off an issue it no longer keeps.

One issue belongs to one problem: linking an issue another problem holds is refused (409,
naming that problem), and `problem.jira_key` is unique in the database. A linked issue stays
its owner's: voice-router adds its labels and its impact block, and never writes its summary,
the rest of its description or its other fields. Unlinking (or linking another issue) takes
the block and the per-problem label off again — nothing else — in the problem's next sync, so
no request waits on Jira for it and it is retried like any other sync.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from integrations.jira.client import JiraClient
from integrations.jira.errors import JiraNotFound, JiraUnauthorized
from integrations.jira.render import has_block, unsplice
from voice_router.models import Problem
from voice_router.platform.clock import utcnow
from voice_router.platform.db import session_scope
from voice_router.platform.errors import Conflict, NotFound
from voice_router.platform.jira_client import client_for
from voice_router.platform.settings import Settings
from voice_router.problems.handover import repost_notes
from voice_router.problems.issue_labels import install_of, labels_of
from voice_router.tracker.rows import (
    detach_keys,
    holder_of,
    with_detach,
)

log = logging.getLogger(__name__)
NOTIFY_HINT = (
    " ([jira].notify_watchers = false sends notifyUsers=false, which Jira allows only to Jira "
    "or project administrators: give the account Administer projects, or set it to true)"
)


def _refuse_held(holder: Problem, key: str) -> Conflict:
    return Conflict(
        f"{key} is already linked to problem {holder.id} ({holder.title}); "
        f"merge the two problems instead"
    )


def link_issue(engine: Engine, settings: Settings, problem_id: int, key: str) -> Problem:
    """Link an existing issue (checked to exist in Jira) instead of creating one."""
    with session_scope(engine) as session:
        if session.get(Problem, problem_id) is None:
            raise NotFound(f"no problem {problem_id}")
        holder = holder_of(session, key.upper(), problem_id)
        if holder is not None:  # refused before asking Jira
            raise _refuse_held(holder, key.upper())
    issue = client_for(settings.jira, settings.outbound_timeout_seconds).get_issue(
        key, fields="status"
    )
    try:
        with session_scope(engine) as session:
            problem = session.get(Problem, problem_id)
            if problem is None:
                raise NotFound(f"no problem {problem_id}")
            holder = holder_of(session, issue.key, problem_id)
            if holder is not None:
                raise _refuse_held(holder, issue.key)
            if problem.jira_key == issue.key:
                return problem
            keep = [k for k in detach_keys(problem) if k != issue.key]
            problem.jira_detach_keys = " ".join(keep) or None
            if problem.jira_key is not None:
                problem.jira_detach_keys = with_detach(problem, problem.jira_key)
                repost_notes(session, problem_id)
            problem.jira_key, problem.jira_url = issue.key, issue.url
            problem.jira_issue_id = issue.id
            problem.jira_status = (issue.status or "")[:100] or None
            problem.jira_person_issue = True
            problem.jira_content_hash = problem.jira_remote_link_at = None
            problem.jira_create_sent_at = problem.jira_unlinked_at = None
            problem.jira_error = None
            session.add(problem)
            session.flush()
    except sa.exc.IntegrityError as exc:  # linked elsewhere at this very moment
        raise Conflict(f"{issue.key} is already linked to another problem") from exc
    log.info("jira.linked", extra={"problem_id": problem_id, "issue": issue.key})
    return problem


def unlink_issue(engine: Engine, problem_id: int) -> str:
    """Forget the problem's issue (returns its key); the problem's next sync takes the block
    and the per-problem label off it. No new issue is created for the problem by itself."""
    with session_scope(engine) as session:
        problem = session.get(Problem, problem_id)
        if problem is None:
            raise NotFound(f"no problem {problem_id}")
        key = problem.jira_key
        if key is None:
            raise Conflict(f"problem {problem_id} has no Jira issue linked")
        problem.jira_detach_keys = with_detach(problem, key)
        problem.jira_key = problem.jira_url = problem.jira_status = None
        problem.jira_issue_id = None
        problem.jira_status_category = problem.jira_resolution = None
        problem.jira_content_hash = problem.jira_remote_link_at = None
        problem.jira_create_sent_at = None
        problem.jira_person_issue = False
        problem.jira_unlinked_at = utcnow()
        problem.jira_error = None
        session.add(problem)
    log.info("jira.unlinked", extra={"problem_id": problem_id, "issue": key})
    return key


def edit(
    client: JiraClient,
    key: str,
    fields: dict[str, Any] | None,
    update: dict[str, Any] | None,
    notify: bool,
) -> None:
    """Edit an issue; a refused `notifyUsers=false` says which setting asked for it."""
    try:
        client.edit_issue(key, fields=fields, update=update, notify=notify)
    except JiraUnauthorized as exc:
        if notify or exc.status != 403:
            raise
        raise JiraUnauthorized(exc.message + NOTIFY_HINT, exc.status) from exc


def take_off(client: JiraClient, key: str, labels: Iterable[str], notify: bool) -> bool:
    """Remove voice-router's block and `labels` from the issue, nothing else; False when the
    issue is gone."""
    try:
        issue = client.get_issue(key, fields="description,labels")
    except JiraNotFound:
        return False
    fields = {"description": unsplice(issue.description)} if has_block(issue.description) else {}
    gone = [{"remove": label} for label in labels if label in issue.labels]
    update = {"labels": gone} if gone else None
    if fields or update:
        edit(client, key, fields, update, notify)
    return True


def detach_pending(
    engine: Engine, settings: Settings, client: JiraClient, problem: Problem
) -> None:
    """Take voice-router's marks off each issue the problem let go of, then forget it."""
    labels = labels_of(problem.id, install_of(engine))
    for key in detach_keys(problem):
        take_off(client, key, labels, settings.jira.notify_watchers)
        with session_scope(engine) as session:
            row = session.get(Problem, problem.id)
            if row is None:
                return
            left = [k for k in detach_keys(row) if k != key]
            row.jira_detach_keys = " ".join(left) or None
            session.add(row)
        log.info("jira.detached", extra={"problem_id": problem.id, "issue": key})
