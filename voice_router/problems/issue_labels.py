"""The per-problem label voice-router puts on each issue it keeps, spelled in one place
(the tracker writes and searches it; closing reads it off an event).

Labels name the install as well as the problem: `vr-problem-<id>-<install>`. Two installs
pointed at one Jira project (staging and production, two teams) each have a problem 1, and
with `vr-problem-1` alone each adopted the other's issue when it searched before a create
and when reconcile swept for duplicates. The install's name is made once, at random, and
kept in the database (`setting` row `jira_install`), so every process of an install, and
every restart, uses the same one.

Issues labelled before installs were named carry `vr-problem-<id>` (`legacy_label`). Such a
label is never searched for or swept again, since it may be another install's; it is still
recognised on an issue this install already holds by key or id, and taken off with the
install's own label.
"""

from __future__ import annotations

import re
import secrets
import string
from collections.abc import Iterable

from sqlalchemy.engine import Engine
from sqlmodel import Session

from voice_router.models import Setting
from voice_router.platform.db import session_scope
from voice_router.platform.upsert import insert_ignore

INSTALL_KEY = "jira_install"
PREFIX = "vr-problem-"
_ALPHABET = string.ascii_lowercase + string.digits
_OURS = re.compile(rf"^{PREFIX}(\d+)-([a-z0-9]+)$")
_LEGACY = re.compile(rf"^{PREFIX}(\d+)$")


def install_name(session: Session) -> str:
    """This install's name (six lowercase letters and digits), made the first time it is
    asked for; two processes asking at once get the same one."""
    row = session.get(Setting, INSTALL_KEY)
    if row is None:
        name = "".join(secrets.choice(_ALPHABET) for _ in range(6))
        insert_ignore(session, Setting, {"key": INSTALL_KEY, "value": name})
        row = session.get(Setting, INSTALL_KEY, populate_existing=True)
        assert row is not None  # inserted, or inserted by another process first
    return row.value


def install_of(engine: Engine) -> str:
    """This install's name, read outside a write transaction once it exists: every Jira
    sync asks, and on SQLite a write transaction holds the lock each webhook waits for."""
    with Session(engine) as session:
        row = session.get(Setting, INSTALL_KEY)
        if row is not None:
            return row.value
    with session_scope(engine) as session:
        return install_name(session)


def problem_label(problem_id: int, install: str) -> str:
    return f"{PREFIX}{problem_id}-{install}"


def legacy_label(problem_id: int) -> str:
    """The label of issues made before installs were named."""
    return f"{PREFIX}{problem_id}"


def labels_of(problem_id: int, install: str) -> tuple[str, str]:
    """Every label that marks an issue as this problem's: the install's, then the old one."""
    return problem_label(problem_id, install), legacy_label(problem_id)


def labelled(labels: Iterable[object], install: str) -> list[int]:
    """The problems these labels name in the install's own spelling (never the old one:
    that may be another install's)."""
    found = (_OURS.match(str(label)) for label in labels)
    return [int(m.group(1)) for m in found if m and m.group(2) == install]


def problem_of(label: object, install: str) -> int | None:
    """The problem a label names, in the install's spelling or the old one."""
    text = str(label)
    ours, legacy = _OURS.match(text), _LEGACY.match(text)
    if ours and ours.group(2) == install:
        return int(ours.group(1))
    return int(legacy.group(1)) if legacy else None


def others(labels: Iterable[object], problem_id: int, install: str) -> list[str]:
    """Labels of other problems of this install (or old labels of other problems) on an
    issue `problem_id` holds: left by a merge that handed the issue over, or an unmerge
    that gave it back. One issue, one problem: they come off."""
    found = []
    for label in labels:
        named = problem_of(label, install)
        if named is not None and named != problem_id:
            found.append(str(label))
    return found
