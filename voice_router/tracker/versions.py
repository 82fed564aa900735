"""The reconcile pass's look for fix versions renamed or unreleased while their webhook was
lost (`jira:version_updated`, `jira:version_unreleased`). Neither changes an issue's
`updated`, so the pass's search for what changed never sees them, and the drafts would name
the old version (or, with `shipped_when = "released"`, a problem would stay shipped) for good.

So each pass reads the versions of the issues' projects and compares them with what problems
store (`problem.jira_fix_version`: the released versions' names, else all of them, one a
line, closing/fix_versions.py): a stored name the project no longer has, a released name
that is now unreleased, a shipped problem (under "released") whose names are all
unreleased, or names all unreleased of which one was released at the last pass (the
released ones were all the text named: the issue's other versions are missing from it),
and the problem's issue is read again by its label, its state applied just after the last
one (tracker/released.py). The released names seen are kept for the next pass (`setting`
row `jira_versions_released:<key>`), written with the pass's results so a pass that failed
midway leaves them as they were. A value stored before the names were kept one a line
(joined by ", ") is one name the project does not have, unless it is one: its issue is read
again once, and the names are stored anew.

Each project that holds a problem's issue is read (one call each a pass): the configured
one, and the projects of issues a person linked, whose versions are their own; each issue is
searched for by label in its own project."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session, col

from integrations.jira.client import JiraClient
from voice_router.closing.fix_versions import names_of
from voice_router.models import Problem, Setting
from voice_router.platform.settings import Settings
from voice_router.problems.issue_labels import install_of
from voice_router.tracker.released import by_project, labelled_states, unless_gone

SEEN_PREFIX = "jira_versions_released:"


@dataclass
class VersionsChanged:
    found: list[tuple[dict[str, Any], datetime]] = field(default_factory=list)
    released: dict[str, list[str]] = field(default_factory=dict)  # per project read: names


def find_changed(
    engine: Engine,
    settings: Settings,
    client: JiraClient,
    fields: str,
    updated_at: Callable[[dict[str, Any]], datetime],
) -> VersionsChanged:
    """The issues of problems whose stored fix version Jira's versions no longer bear out,
    each with the time its state is to be applied at: one read of the versions of each
    project that holds a problem's issue. Jira is asked outside any transaction."""
    with Session(engine) as session:
        stored = session.execute(
            sa.select(
                col(Problem.id),
                col(Problem.jira_key),
                col(Problem.jira_fix_version),
                col(Problem.status),
                col(Problem.jira_event_at),
            )
            .where(col(Problem.jira_key).is_not(None))
            .where(col(Problem.jira_fix_version).is_not(None))
        ).all()
        projects = by_project(settings, ((row[0], row[1], row[4]) for row in stored))
        before = {project: _seen(session, project) for project in projects}
    texts = {problem_id: (text or "", status) for problem_id, _, text, status, _ in stored}
    must_be_released = settings.jira.shipped_when == "released"
    changed = VersionsChanged()
    install = install_of(engine) if projects else ""
    for project, applied_at in projects.items():
        with unless_gone(settings, project):
            released = {
                " ".join(str(v.get("name") or "").split()): bool(v.get("released"))
                for v in client.project_versions(project)
                if isinstance(v, dict)
            }
            stale = {
                problem_id: at
                for problem_id, at in applied_at.items()
                if not _borne_out(
                    texts[problem_id][0],
                    released,
                    before[project],
                    must_be_released and texts[problem_id][1] == "shipped",
                )
            }
            if stale:
                changed.found += labelled_states(
                    settings, client, install, stale, "", fields, updated_at, project
                )
            changed.released[project] = sorted(name for name, done in released.items() if done)
    return changed


def remember(session: Session, settings: Settings, changed: VersionsChanged) -> None:
    """Keep the released names this pass saw, for the next pass (in the pass's transaction)."""
    for project, names in changed.released.items():
        key = _seen_key(project)
        value = json.dumps(names)
        row = session.get(Setting, key)
        if row is None:
            session.add(Setting(key=key, value=value))
        elif row.value != value:
            row.value = value
            session.add(row)


def _seen_key(project: str) -> str:
    return f"{SEEN_PREFIX}{project.strip().upper()}"[:100]


def _seen(session: Session, project: str) -> frozenset[str]:
    row = session.get(Setting, _seen_key(project))
    return frozenset(json.loads(row.value)) if row is not None else frozenset()


def _borne_out(
    text: str, released: dict[str, bool], before: frozenset[str], shipped_by_release: bool
) -> bool:
    """Whether the project's versions (name -> released) can still give `text`; `before`:
    the names released at the last pass."""
    names = names_of(text)
    if not all(name in released for name in names):
        return False
    return _bears(names, released, before, shipped_by_release)


def _bears(
    names: list[str], released: dict[str, bool], before: frozenset[str], shipped_by_release: bool
) -> bool:
    now_released = [released[name] for name in names]
    if all(now_released):
        return True
    if any(now_released):
        return False  # it named the released ones, and one is released no more
    if before.intersection(names):
        return False  # it named the released ones, and they are released no more
    return not shipped_by_release
