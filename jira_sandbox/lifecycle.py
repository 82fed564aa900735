"""Issue changes: create, edit, transition, comment, delete. Each emits the event Jira would.

Changes made through REST are emitted with `via_api=True`; changes a "person" makes through
the sandbox's Python API with `via_api=False`.
"""

from __future__ import annotations

import copy
from typing import Any

from . import catalog, changelog, payloads, richtext
from .editing import Draft, apply_operations, operations
from .errors import NOT_ON_SCREEN, JiraError, field_errors
from .state import Account, Comment, Event, Issue, SandboxState


def _emit(
    state: SandboxState, name: str, payload: dict[str, Any], via_api: bool, issue: Issue
) -> Event:
    event = Event(name, payloads.encode(payload), via_api, issue.key, copy.deepcopy(issue))
    state.emit(event)
    return event


def _emit_issue_event(
    state: SandboxState,
    name: str,
    type_name: str,
    issue: Issue,
    actor: Account,
    items: list[dict[str, Any]],
    via_api: bool,
) -> Event:
    """The webhook event `name` (`issue_event_type_name` `type_name`) for `items` changed."""
    payload = payloads.issue_event(state, name, issue, actor, items, type_name)
    return _emit(state, name, payload, via_api, issue)


def create_issue(
    state: SandboxState,
    fields: Any,
    update: Any,
    actor: Account,
    *,
    via_api: bool = True,
    api_version: str = "2",
) -> Issue:
    if not isinstance(fields, dict):
        raise JiraError(400, "Can not deserialize instance of java.util.LinkedHashMap")
    with state.lock:
        fields = dict(fields)
        project_ref = fields.pop("project", None)
        type_ref = fields.get("issuetype")
        errors: dict[str, str] = {}
        ref = (
            project_ref.get("id", project_ref.get("key")) if isinstance(project_ref, dict) else None
        )
        project = state.project(ref) if ref is not None else None
        if project is None:
            errors["project"] = "Specify a valid project ID or key"
        if type_ref is None:
            errors["issuetype"] = "Specify an issue type"
        if "summary" not in fields:
            errors["summary"] = "You must specify a summary of the issue."
        ops = operations(fields, update)
        try:
            draft = apply_operations(
                state, Draft(), ops, project.id if project else -1, api_version
            )
        except JiraError as exc:
            if exc.messages:
                raise
            draft = None
            errors = {**exc.errors, **errors}
        if errors or draft is None or project is None:
            raise field_errors(errors)
        now = state.now()
        issue = Issue(
            id=state.next_id("issue"),
            key=state.next_issue_key(project),
            project_id=project.id,
            issuetype_id=draft.issuetype_id,
            summary=draft.summary,
            created=now,
            updated=now,
            reporter_id=actor.account_id,
            status_changed=now,
        )
        draft.apply_to(issue)
        state.issues[issue.id] = issue
        for body in draft.new_comments:
            _add_comment(state, issue, body, actor, via_api)
        state.reindex(issue)
        items = changelog.diff(state, Draft(issuetype_id=issue.issuetype_id), Draft.of(issue))
        status = issue.status
        items.append(changelog.item("Status", "status", (None, None), (status.id, status.name)))
        _emit_issue_event(
            state, "jira:issue_created", "issue_created", issue, actor, items, via_api
        )
        return issue


def edit_issue(
    state: SandboxState,
    issue: Issue,
    fields: Any,
    update: Any,
    actor: Account,
    *,
    via_api: bool = True,
    api_version: str = "2",
) -> Event | None:
    """Apply an edit; None when nothing changed (Jira sends no webhook then)."""
    with state.lock:
        ops = operations(fields, update)
        if any(fid == "project" for fid, _, _ in ops):
            raise field_errors({"project": NOT_ON_SCREEN.format("project")})
        before = Draft.of(issue)
        after = apply_operations(state, before, ops, issue.project_id, api_version)
        items = changelog.diff(state, before, after)
        if not items and not after.new_comments:
            return None
        after.apply_to(issue)
        issue.updated = state.now()
        for body in after.new_comments:
            _add_comment(state, issue, body, actor, via_api)
        state.reindex(issue)
        type_name = "issue_updated" if items else "issue_commented"
        return _emit_issue_event(
            state, "jira:issue_updated", type_name, issue, actor, items, via_api
        )


def transition(
    state: SandboxState,
    issue: Issue,
    target: catalog.Status,
    actor: Account,
    *,
    resolution: str | None = None,
    comments: list[Any] | None = None,
    via_api: bool = True,
) -> Event:
    with state.lock:
        if target.category is catalog.DONE:
            found = catalog.find_named(catalog.RESOLUTIONS, resolution or "Done")
            if found is None:
                raise field_errors({"resolution": f"Resolution '{resolution}' is not valid."})
            new_resolution: str | None = found.id
        elif resolution is not None:
            raise field_errors({"resolution": NOT_ON_SCREEN.format("resolution")})
        else:
            new_resolution = None
        old_status, old_resolution = issue.status, issue.resolution_id
        now = state.now()
        issue.status_id = target.id
        issue.resolution_id = new_resolution
        if new_resolution != old_resolution:
            issue.resolution_date = now if new_resolution else None
        if old_status.category is not target.category:
            issue.status_changed = now
        issue.updated = now
        for body in comments or []:
            _add_comment(state, issue, body, actor, via_api)
        state.reindex(issue)
        items = changelog.workflow(old_status, target, old_resolution, new_resolution)
        return _emit_issue_event(
            state, "jira:issue_updated", "issue_generic", issue, actor, items, via_api
        )


def _add_comment(
    state: SandboxState, issue: Issue, body: Any, actor: Account, via_api: bool
) -> Comment:
    now = state.now()
    comment = Comment(state.next_id("comment"), issue.id, body, actor.account_id, now, now)
    state.comments.append(comment)
    payload = payloads.comment_event(state, "comment_created", issue, comment)
    _emit(state, "comment_created", payload, via_api, issue)
    return comment


def add_comment(
    state: SandboxState,
    issue: Issue,
    body: Any,
    actor: Account,
    *,
    via_api: bool = True,
    api_version: str = "2",
) -> Comment:
    richtext.check_comment(body, api_version, state.deployment)
    with state.lock:
        comment = _add_comment(state, issue, body, actor, via_api)
        issue.updated = comment.created
        state.reindex(issue)
        return comment


def delete_issue(state: SandboxState, issue: Issue, actor: Account, *, via_api: bool) -> Event:
    with state.lock:
        payload = payloads.issue_event(state, "jira:issue_deleted", issue, actor)
        state.reindex(issue, deleted=True)
        del state.issues[issue.id]
        state.comments = [c for c in state.comments if c.issue_id != issue.id]
        state.remote_links = [r for r in state.remote_links if r.issue_id != issue.id]
        state.issue_links = [
            link for link in state.issue_links if issue.id not in (link.inward_id, link.outward_id)
        ]
        return _emit(state, "jira:issue_deleted", payload, via_api, issue)
