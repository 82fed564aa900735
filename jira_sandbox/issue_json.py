"""The issue representation (IssueBean), with Jira's `fields=` selection rules."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from . import catalog, render, richtext
from .state import Issue, SandboxState


def issue_fields(api: str, state: SandboxState, issue: Issue) -> dict[str, Any]:
    res = catalog.find_named(catalog.RESOLUTIONS, issue.resolution_id or "")
    reporter = render.user(api, state.account(issue.reporter_id))
    comments = [render.comment(api, state, c) for c in state.issue_comments(issue.id)]
    project = state.projects[issue.project_id]
    fields: dict[str, Any] = {
        "statuscategorychangedate": render.ts(issue.status_changed or issue.created),
        "issuetype": render.issuetype(api, render._issuetype(issue)),
        "timespent": None,
        "project": render.project(api, project),
        "fixVersions": [render.version(api, state.versions[v]) for v in issue.fix_version_ids],
        "aggregatetimespent": None,
        "resolution": render.resolution(api, res) if res else None,
        "resolutiondate": render.ts(issue.resolution_date),
        "workratio": -1,
        "watches": {
            "self": f"{api}/issue/{issue.key}/watchers",
            "watchCount": 1,
            "isWatching": True,
        },
        "lastViewed": None,
        "created": render.ts(issue.created),
        "priority": render.priority(api, render._priority(issue)),
        "labels": list(issue.labels),
        "versions": [],
        "issuelinks": [
            render.issue_link(api, state, link, issue.id)
            for link in state.issue_links
            if issue.id in (link.inward_id, link.outward_id)
        ],
        "assignee": render.user(api, state.account(issue.assignee_id)),
        "updated": render.ts(issue.updated),
        "status": render.status(api, issue.status),
        "components": [],
        "description": richtext.for_version(issue.description, richtext.version_of(api)),
        "summary": issue.summary,
        "creator": reporter,
        "reporter": reporter,
        "subtasks": [],
        "environment": None,
        "duedate": None,
        "comment": {
            "comments": comments,
            "self": f"{api}/issue/{issue.id}/comment",
            "maxResults": len(comments),
            "total": len(comments),
            "startAt": 0,
        },
        "votes": {"self": f"{api}/issue/{issue.key}/votes", "votes": 0, "hasVoted": False},
    }
    for fid in sorted(catalog.NUMBER_CUSTOM_FIELDS):
        fields[fid] = issue.custom.get(fid)
    return fields


def parse_field_spec(values: Iterable[str] | None, default: str) -> list[str]:
    """`fields` arrives as repeated params and/or comma-separated lists."""
    spec = [p.strip() for v in (values or []) for p in str(v).split(",") if p.strip()]
    return spec or [default]


def select_fields(fields: dict[str, Any], spec: list[str]) -> dict[str, Any] | None:
    """Apply Jira's `fields` rules; None means "ids only" (the search default)."""
    wanted = {s for s in spec if not s.startswith("-")}
    excluded = {s[1:] for s in spec if s.startswith("-")}
    if "*all" in wanted:
        chosen = dict(fields)
    elif "*navigable" in wanted:
        chosen = {k: v for k, v in fields.items() if k != "comment"}
    else:
        chosen = {k: v for k, v in fields.items() if k in wanted}
        if not chosen and wanted <= {"id", "key"}:
            return None if "key" not in wanted else {}
    return {k: v for k, v in chosen.items() if k not in excluded}


def issue_json(
    api: str, state: SandboxState, issue: Issue, spec: list[str] | None = None
) -> dict[str, Any]:
    fields = select_fields(issue_fields(api, state, issue), spec or ["*all"])
    if fields is None:
        return {"id": str(issue.id)}
    return {
        "expand": render.ISSUE_EXPAND,
        "id": str(issue.id),
        "self": f"{api}/issue/{issue.id}",
        "key": issue.key,
        "fields": fields,
    }
