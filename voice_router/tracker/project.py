"""Jira projects' ids, asked of Jira once and kept.

Jira sends its version events (`jira:version_released`, `_updated`, `_unreleased`) to a
site's webhooks for every project on the site, and names the project only by its id
(`version.projectId`), where the configuration names it by key (`[jira].project`), and a
problem linked to a person's issue in another project knows that project by the issue's key.
Each such event used to cost a `fixVersion = <id>` search, whatever project the version was
in. A project's id is read once (`GET /project/{key}`) and kept in a `setting` row named for
the key (`jira_project_id:<key>`), so a changed `[jira].project` is looked up afresh; a
version of a project that holds no problem's issue then costs no call at all
(tracker/events.py, tracker/releases.py).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import SelectOfScalar

from voice_router.models import Problem, Setting
from voice_router.platform.db import session_scope
from voice_router.platform.settings import Settings
from voice_router.platform.upsert import insert_ignore

if TYPE_CHECKING:  # a worker's batches read `known_id` and never load the Jira library
    from integrations.jira.client import JiraClient

PREFIX = "jira_project_id:"


def _key(project: str) -> str:
    return f"{PREFIX}{project.strip().upper()}"[:100]


def known_id(session: Session, settings: Settings, project: str | None = None) -> str | None:
    """The id of `project` (a key; `[jira].project` by default), if it has been looked up;
    None before the first look-up."""
    row = session.get(Setting, _key(project or settings.jira.project))
    return row.value if row is not None else None


def project_id(
    engine: Engine, settings: Settings, client: JiraClient, project: str | None = None
) -> str:
    """The id of `project` (`[jira].project` by default), from the database, else from Jira
    (once; JiraError propagates)."""
    project = project or settings.jira.project
    with Session(engine) as session:
        known = known_id(session, settings, project)
    if known is not None:
        return known
    found = str(client.project(project).get("id") or "")
    with session_scope(engine) as session:
        insert_ignore(session, Setting, {"key": _key(project), "value": found})
    return found


def is_other(version_project: str | None, ours: str | None) -> bool:
    """Whether a version event is about another project's version: only when both ids are
    known (an event without `projectId` is looked up, as before)."""
    return bool(version_project and ours and version_project != ours)


def in_project(project: str) -> ColumnElement[bool]:
    """Problems whose issue is in the configured `project` (a key; an id cannot be told
    from an issue's key, and lets all pass)."""
    if project.strip().isdigit():
        return sa.true()
    return col(Problem.jira_key).startswith(f"{project.strip().upper()}-", autoescape=True)


def linked_elsewhere(settings: Settings) -> SelectOfScalar[str | None]:
    """The issue keys of problems (not merged away) whose issue is in another project than
    `[jira].project`: a person linked it."""
    return (
        select(col(Problem.jira_key))
        .where(
            col(Problem.jira_key).is_not(None),
            col(Problem.merged_into_id).is_(None),
            sa.not_(in_project(settings.jira.project)),
        )
        .distinct()
    )


def linked_projects(session: Session, settings: Settings) -> list[str]:
    """The keys of the other projects that hold a problem's issue, none in most installs."""
    keys = session.exec(linked_elsewhere(settings)).all()
    return sorted({key.rsplit("-", 1)[0].strip().upper() for key in keys if key})


def may_hold_linked(session: Session, settings: Settings, version_project: str) -> bool:
    """Whether a version of the project with id `version_project` (another than ours) may
    hold a linked problem's issue: that project's id is known to be it, or not known yet
    (the release job looks it up, releases.py). No linked issue, no: the version is dropped
    at once, as before there were links."""
    for project in linked_projects(session, settings):
        known = known_id(session, settings, project)
        if known is None or known == version_project:
            return True
    return False
