"""Remote links, issue links and versions."""

from __future__ import annotations

from datetime import date
from typing import Any

from . import catalog, payloads
from . import permissions as perm
from .errors import JiraError, field_errors
from .state import Account, Event, Issue, IssueLink, Project, RemoteLink, SandboxState, Version


def upsert_remote_link(state: SandboxState, issue: Issue, body: Any) -> tuple[RemoteLink, bool]:
    """Create a remote link, or update the one with the same `globalId`; True if created."""
    if not isinstance(body, dict):
        raise JiraError(400, "Can not deserialize instance of RemoteIssueLink")
    obj = body.get("object")
    if not isinstance(obj, dict):
        raise field_errors({"object": "'object' is required."})
    errors = {k: f"'{k}' is required." for k in ("url", "title") if not obj.get(k)}
    if errors:
        raise field_errors(errors)
    global_id = body.get("globalId")
    with state.lock:
        existing = next(
            (
                r
                for r in state.issue_remote_links(issue.id)
                if global_id is not None and r.global_id == global_id
            ),
            None,
        )
        link = existing or RemoteLink(state.next_id("remotelink"), issue.id, {})
        link.object = dict(obj)
        link.global_id = global_id
        link.application = body.get("application")
        link.relationship = body.get("relationship")
        if existing is None:
            state.remote_links.append(link)
        issue.updated = state.now()
        state.reindex(issue)
        return link, existing is None


def find_remote_link(state: SandboxState, issue: Issue, link_id: str) -> RemoteLink:
    link = next((r for r in state.issue_remote_links(issue.id) if str(r.id) == link_id), None)
    if link is None:
        raise JiraError(404, "Remote link does not exist.")
    return link


def delete_remote_links(state: SandboxState, issue: Issue, keep: Any) -> None:
    with state.lock:
        state.remote_links = [r for r in state.remote_links if r.issue_id != issue.id or keep(r)]
        issue.updated = state.now()
        state.reindex(issue)


def link_issues(state: SandboxState, body: Any, actor: Account) -> IssueLink:
    """Browse projects on both issues and Link issues on the outward one are needed; Jira
    answers 404 for either (Atlassian's description of `POST /issueLink`)."""
    if not isinstance(body, dict):
        raise JiraError(400, "Can not deserialize instance of LinkIssueRequestJsonBean")
    type_ref = body.get("type") or {}
    ref = type_ref.get("id", type_ref.get("name")) if isinstance(type_ref, dict) else None
    kind = catalog.find_named(catalog.LINK_TYPES, ref) if ref is not None else None
    if kind is None:
        raise JiraError(404, f"No issue link type with name '{ref}' found.")
    with state.lock:
        sides = []
        for side in ("inwardIssue", "outwardIssue"):
            value = body.get(side)
            key = value.get("key", value.get("id")) if isinstance(value, dict) else None
            issue = state.find_issue(key) if key is not None else None
            project = state.projects[issue.project_id].key if issue is not None else ""
            if issue is None or not state.permissions.has(actor.account_id, project, perm.BROWSE):
                raise JiraError(404, "Issue Does Not Exist")
            sides.append(issue)
        outward = sides[1]
        state.permissions.require(
            actor.account_id,
            state.projects[outward.project_id].key,
            perm.LINK,
            key=outward.key,
            status=404,
        )
        link = IssueLink(state.next_id("issuelink"), kind.id, sides[0].id, sides[1].id)
        state.issue_links.append(link)
        now = state.now()
        for issue in sides:
            issue.updated = now
            state.reindex(issue)
        return link


def create_version(
    state: SandboxState,
    project: Project,
    name: str,
    *,
    released: bool = False,
    release_date: date | None = None,
    description: str = "",
    via_api: bool = False,
) -> tuple[Version, Event]:
    with state.lock:
        if any(v.name == name for v in state.project_versions(project.id)):
            raise field_errors({"name": "A version with this name already exists in this project."})
        version = Version(
            state.next_id("version"),
            project.id,
            name,
            description,
            released,
            release_date=release_date or (state.now().date() if released else None),
        )
        state.versions[version.id] = version
        return version, _version_event(state, "jira:version_created", version, via_api)


def release_version(state: SandboxState, version: Version, *, via_api: bool = False) -> Event:
    with state.lock:
        version.released = True
        version.release_date = version.release_date or state.now().date()
        return _version_event(state, "jira:version_released", version, via_api)


def unrelease_version(state: SandboxState, version: Version, *, via_api: bool = False) -> Event:
    with state.lock:
        version.released = False
        return _version_event(state, "jira:version_unreleased", version, via_api)


def rename_version(
    state: SandboxState, version: Version, name: str, *, via_api: bool = False
) -> Event:
    with state.lock:
        taken = [v for v in state.project_versions(version.project_id) if v is not version]
        if any(v.name == name for v in taken):
            raise field_errors({"name": "A version with this name already exists in this project."})
        version.name = name
        return _version_event(state, "jira:version_updated", version, via_api)


def _version_event(state: SandboxState, name: str, version: Version, via_api: bool) -> Event:
    event = Event(name, payloads.encode(payloads.version_event(state, name, version)), via_api)
    state.emit(event)
    return event
