"""The configured Jira project's id, asked of Jira once and kept.

Jira sends its version events (`jira:version_released`, `_updated`, `_unreleased`) to a
site's webhooks for every project on the site, and names the project only by its id
(`version.projectId`), where the configuration names it by key (`[jira].project`). Each such
event used to cost a `fixVersion = <id>` search, whatever project the version was in. The
id is read once (`GET /project/{key}`) and kept in a `setting` row named for the key
(`jira_project_id:<key>`), so a changed `[jira].project` is looked up afresh; a version of
another project then costs no call at all (tracker/events.py, tracker/releases.py).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy.engine import Engine
from sqlmodel import Session

from voice_router.models import Setting
from voice_router.platform.db import session_scope
from voice_router.platform.settings import Settings
from voice_router.platform.upsert import insert_ignore

if TYPE_CHECKING:  # a worker's batches read `known_id` and never load the Jira library
    from integrations.jira.client import JiraClient

PREFIX = "jira_project_id:"


def _key(settings: Settings) -> str:
    return f"{PREFIX}{settings.jira.project.strip().upper()}"[:100]


def known_id(session: Session, settings: Settings) -> str | None:
    """The project's id, if it has been looked up; None before the first look-up."""
    row = session.get(Setting, _key(settings))
    return row.value if row is not None else None


def project_id(engine: Engine, settings: Settings, client: JiraClient) -> str:
    """The project's id, from the database, else from Jira (once; JiraError propagates)."""
    with Session(engine) as session:
        known = known_id(session, settings)
    if known is not None:
        return known
    found = str(client.project(settings.jira.project).get("id") or "")
    with session_scope(engine) as session:
        insert_ignore(session, Setting, {"key": _key(settings), "value": found})
    return found


def is_other(version_project: str | None, ours: str | None) -> bool:
    """Whether a version event is about another project's version: only when both ids are
    known (an event without `projectId` is looked up, as before)."""
    return bool(version_project and ours and version_project != ours)
