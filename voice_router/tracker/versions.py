"""The reconcile pass's look for fix versions renamed or unreleased while their webhook was
lost (`jira:version_updated`, `jira:version_unreleased`). Neither changes an issue's
`updated`, so the pass's search for what changed never sees them, and the drafts would name
the old version (or, with `shipped_when = "released"`, a problem would stay shipped) for good.

So each pass reads the project's versions (one call) and compares them with what problems
store (`problem.jira_fix_version`: the released versions' names, else all of them, joined by
", "): a stored name the project no longer has, a released name that is now unreleased, or a
shipped problem (under "released") whose names are all unreleased, and the problem's issue is
read again by its label, its state applied just after the last one (tracker/released.py).
A problem whose issue is in another project, or whose version's name holds ", ", is read
again each pass: one search per 50 such problems, and nothing changes."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from integrations.jira.client import JiraClient
from voice_router.models import Problem
from voice_router.platform.settings import Settings
from voice_router.problems.issue_labels import install_of
from voice_router.tracker.released import labelled_states


def find_changed(
    engine: Engine,
    settings: Settings,
    client: JiraClient,
    fields: str,
    updated_at: Callable[[dict[str, Any]], datetime],
) -> list[tuple[dict[str, Any], datetime]]:
    """The issues of problems whose stored fix version Jira's versions no longer bear out,
    each with the time its state is to be applied at. Jira is asked outside any transaction."""
    with Session(engine) as session:
        stored = session.exec(
            select(Problem.id, Problem.jira_fix_version, Problem.status, Problem.jira_event_at)
            .where(col(Problem.jira_key).is_not(None))
            .where(col(Problem.jira_fix_version).is_not(None))
        ).all()
    if not stored:
        return []
    released = {
        " ".join(str(v.get("name") or "").split()): bool(v.get("released"))
        for v in client.project_versions(settings.jira.project)
        if isinstance(v, dict)
    }
    must_be_released = settings.jira.shipped_when == "released"
    stale = {
        problem_id: at
        for problem_id, text, status, at in stored
        if not _borne_out(text or "", released, must_be_released and status == "shipped")
    }
    if not stale:
        return []
    return labelled_states(settings, client, install_of(engine), stale, "", fields, updated_at)


def _borne_out(text: str, released: dict[str, bool], shipped_by_release: bool) -> bool:
    """Whether the project's versions (name -> released) can still give `text`."""
    names = [text] if text in released else text.split(", ")
    if any(name not in released for name in names):
        return False  # renamed (or deleted, or in another project)
    now_released = [released[name] for name in names]
    if any(now_released) and not all(now_released):
        return False  # it named the released ones, and one is released no more
    return all(now_released) or not shipped_by_release
