"""Issues and what hangs off them: comments and remote links (transitions: routes_workflow)."""

from __future__ import annotations

from typing import Any

from flask import request

from . import lifecycle, linking, render
from . import permissions as perm
from .context import (
    actor,
    api_base,
    api_blueprint,
    api_version,
    flag,
    json_object,
    locked_issue,
    may,
    state,
)
from .errors import JiraError, field_errors
from .issue_json import issue_json, parse_field_spec

bp = api_blueprint("jira_issues")

Answer = tuple[Any, int]


def _check_create(fields: Any) -> None:
    """A project the caller cannot browse does not exist for them; Create issues is needed."""
    s = state()
    ref = fields.get("project") if isinstance(fields, dict) else None
    ref = ref.get("id", ref.get("key")) if isinstance(ref, dict) else None
    project = s.project(ref) if ref is not None else None
    if project is None:
        return  # lifecycle.create_issue answers Jira's "Specify a valid project ID or key"
    who = actor().account_id
    if not s.permissions.has(who, project.key, perm.BROWSE):
        raise field_errors({"project": "Specify a valid project ID or key"})
    s.permissions.require(who, project.key, perm.CREATE)


@bp.post("/issue")
def create_issue() -> Answer:
    body = json_object()
    s = state()
    _check_create(body.get("fields"))
    issue = lifecycle.create_issue(
        s, body.get("fields"), body.get("update"), actor(), api_version=api_version()
    )
    return {"id": str(issue.id), "key": issue.key, "self": f"{api_base()}/issue/{issue.id}"}, 201


@bp.get("/issue/<issue_ref>")
def get_issue(issue_ref: str) -> dict[str, Any]:
    with locked_issue(issue_ref) as (s, issue):
        spec = parse_field_spec(request.args.getlist("fields"), "*all")
        return issue_json(api_base(), s, issue, spec)


@bp.put("/issue/<issue_ref>")
def edit_issue(issue_ref: str) -> Answer:
    body = json_object()
    with locked_issue(issue_ref, perm.EDIT) as (s, issue):
        if not flag("notifyUsers", default=True):
            may(issue, perm.ADMIN_PROJECT)
        if isinstance(body.get("update"), dict) and "comment" in body["update"]:
            may(issue, perm.COMMENT)
        lifecycle.edit_issue(
            s, issue, body.get("fields"), body.get("update"), actor(), api_version=api_version()
        )
        if flag("returnIssue"):
            return issue_json(api_base(), s, issue), 200
    return "", 204


@bp.delete("/issue/<issue_ref>")
def delete_issue(issue_ref: str) -> Answer:
    with locked_issue(issue_ref, perm.DELETE) as (s, issue):
        lifecycle.delete_issue(s, issue, actor(), via_api=True)
    return "", 204


# -- comments ----------------------------------------------------------------------------


@bp.get("/issue/<issue_ref>/comment")
def comments(issue_ref: str) -> dict[str, Any]:
    with locked_issue(issue_ref) as (s, issue):
        found = [render.comment(api_base(), s, c) for c in s.issue_comments(issue.id)]
    if request.args.get("orderBy") == "-created":  # "created" and "+created": oldest first
        found.reverse()
    start = max(0, request.args.get("startAt", 0, type=int))
    limit = max(0, request.args.get("maxResults", 5000, type=int))
    page = found[start : start + limit]
    return {"startAt": start, "maxResults": limit, "total": len(found), "comments": page}


@bp.post("/issue/<issue_ref>/comment")
def add_comment(issue_ref: str) -> Answer:
    body = json_object()
    with locked_issue(issue_ref, perm.COMMENT) as (s, issue):
        comment = lifecycle.add_comment(
            s, issue, body.get("body"), actor(), api_version=api_version()
        )
        return render.comment(api_base(), s, comment), 201


@bp.get("/issue/<issue_ref>/comment/<comment_id>")
def get_comment(issue_ref: str, comment_id: str) -> dict[str, Any]:
    with locked_issue(issue_ref) as (s, issue):
        found = next((c for c in s.issue_comments(issue.id) if str(c.id) == comment_id), None)
        if found is None:
            raise JiraError(404, "Can not find a comment for the id: " + comment_id)
        return render.comment(api_base(), s, found)


# -- remote links ------------------------------------------------------------------------


@bp.get("/issue/<issue_ref>/remotelink")
def remote_links(issue_ref: str) -> Any:
    with locked_issue(issue_ref) as (s, issue):
        links = s.issue_remote_links(issue.id)
        global_id = request.args.get("globalId")
        if global_id is not None:
            match = next((r for r in links if r.global_id == global_id), None)
            if match is None:
                raise JiraError(404, "No remote link with the given globalId was found.")
            return render.remote_link(api_base(), s, match)
        return [render.remote_link(api_base(), s, r) for r in links]


@bp.post("/issue/<issue_ref>/remotelink")
def add_remote_link(issue_ref: str) -> Answer:
    body = json_object()
    with locked_issue(issue_ref, perm.LINK) as (s, issue):
        link, created = linking.upsert_remote_link(s, issue, body)
        return {"id": link.id, "self": f"{api_base()}/issue/{issue.key}/remotelink/{link.id}"}, (
            201 if created else 200
        )


@bp.delete("/issue/<issue_ref>/remotelink")
def delete_remote_link_by_global_id(issue_ref: str) -> Answer:
    global_id = request.args.get("globalId")
    if not global_id:
        raise JiraError(400, "The globalId parameter is required.")
    with locked_issue(issue_ref, perm.LINK) as (s, issue):
        if not any(r.global_id == global_id for r in s.issue_remote_links(issue.id)):
            raise JiraError(404, "No remote link with the given globalId was found.")
        linking.delete_remote_links(s, issue, keep=lambda r: r.global_id != global_id)
    return "", 204


@bp.get("/issue/<issue_ref>/remotelink/<link_id>")
def remote_link(issue_ref: str, link_id: str) -> dict[str, Any]:
    with locked_issue(issue_ref) as (s, issue):
        return render.remote_link(api_base(), s, linking.find_remote_link(s, issue, link_id))


@bp.delete("/issue/<issue_ref>/remotelink/<link_id>")
def delete_remote_link(issue_ref: str, link_id: str) -> Answer:
    with locked_issue(issue_ref, perm.LINK) as (s, issue):
        linking.find_remote_link(s, issue, link_id)
        linking.delete_remote_links(s, issue, keep=lambda r: str(r.id) != link_id)
    return "", 204
