"""The reconcile pass's look for fix versions renamed or unreleased while their webhook was
lost (`jira:version_updated`, `jira:version_unreleased`). Neither changes an issue's
`updated`, so the pass's search for what changed never sees them, and the drafts would name
the old version (or, with `shipped_when = "released"`, a problem would stay shipped) for good.

So each pass reads the project's versions (one call) and compares them with what problems
store (`problem.jira_fix_version`: the released versions' names, else all of them, joined by
", "; a name may hold ", " itself, so the text is read as any run of the project's names): a
stored name the project no longer has, a released name that is now unreleased, a shipped
problem (under "released") whose names are all unreleased, or names all unreleased of which
one was released at the last pass (the released ones were all the text named: the issue's
other versions are missing from it), and the problem's issue is read again by its label, its
state applied just after the last one (tracker/released.py). The released names seen are
kept for the next pass (`setting` row `jira_versions_released:<key>`), written with the
pass's results so a pass that failed midway leaves them as they were.

Only problems whose issue is in the configured project are looked at: the versions read are
that project's, and the search by label is restricted to it, so another project's issue
(linked by a person) would be searched again on every pass and never found."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from itertools import islice
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from integrations.jira.client import JiraClient
from voice_router.models import Problem, Setting
from voice_router.platform.settings import Settings
from voice_router.problems.issue_labels import install_of
from voice_router.tracker.released import in_project, labelled_states

SEEN_PREFIX = "jira_versions_released:"
READINGS = 64  # ways of reading one text as names, at most (names holding ", " are rare)


@dataclass
class VersionsChanged:
    found: list[tuple[dict[str, Any], datetime]] = field(default_factory=list)
    released: list[str] | None = None  # the project's released names now (None: not read)


def find_changed(
    engine: Engine,
    settings: Settings,
    client: JiraClient,
    fields: str,
    updated_at: Callable[[dict[str, Any]], datetime],
) -> VersionsChanged:
    """The issues of problems whose stored fix version Jira's versions no longer bear out,
    each with the time its state is to be applied at. Jira is asked outside any transaction."""
    project = settings.jira.project
    with Session(engine) as session:
        stored = session.exec(
            select(Problem.id, Problem.jira_fix_version, Problem.status, Problem.jira_event_at)
            .where(col(Problem.jira_key).is_not(None), in_project(project))
            .where(col(Problem.jira_fix_version).is_not(None))
        ).all()
        before = _seen(session, settings)
    if not stored:
        return VersionsChanged()
    released = {
        " ".join(str(v.get("name") or "").split()): bool(v.get("released"))
        for v in client.project_versions(project)
        if isinstance(v, dict)
    }
    must_be_released = settings.jira.shipped_when == "released"
    stale = {
        problem_id: at
        for problem_id, text, status, at in stored
        if not _borne_out(text or "", released, before, must_be_released and status == "shipped")
    }
    now_released = sorted(name for name, done in released.items() if done)
    if not stale:
        return VersionsChanged([], now_released)
    found = labelled_states(settings, client, install_of(engine), stale, "", fields, updated_at)
    return VersionsChanged(found, now_released)


def remember(session: Session, settings: Settings, changed: VersionsChanged) -> None:
    """Keep the released names this pass saw, for the next pass (in the pass's transaction)."""
    if changed.released is None:
        return
    key = f"{SEEN_PREFIX}{settings.jira.project.strip().upper()}"[:100]
    value = json.dumps(changed.released)
    row = session.get(Setting, key)
    if row is None:
        session.add(Setting(key=key, value=value))
    elif row.value != value:
        row.value = value
        session.add(row)


def _seen(session: Session, settings: Settings) -> frozenset[str]:
    row = session.get(Setting, f"{SEEN_PREFIX}{settings.jira.project.strip().upper()}"[:100])
    return frozenset(json.loads(row.value)) if row is not None else frozenset()


def _readings(pieces: list[str], known: dict[str, bool], start: int = 0) -> Iterator[list[str]]:
    """Each way of reading pieces[start:] as names the project has, joined by ", "."""
    if start == len(pieces):
        yield []
        return
    for end in range(start + 1, len(pieces) + 1):
        name = ", ".join(pieces[start:end])
        if name in known:
            for rest in _readings(pieces, known, end):
                yield [name, *rest]


def _borne_out(
    text: str, released: dict[str, bool], before: frozenset[str], shipped_by_release: bool
) -> bool:
    """Whether the project's versions (name -> released) can still give `text`; `before`:
    the names released at the last pass."""
    readings = islice(_readings(text.split(", "), released), READINGS)
    return any(_bears(names, released, before, shipped_by_release) for names in readings)


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
