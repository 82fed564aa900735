"""Issues and what hangs off them: comments, remote links, transitions."""

from __future__ import annotations

from typing import Any

from flask import request

from . import catalog, lifecycle, linking, render
from .context import api_base, api_blueprint, api_version, flag, json_body, state
from .errors import NOT_ON_SCREEN, JiraError, field_errors
from .issue_json import issue_json, parse_field_spec

bp = api_blueprint("jira_issues")

Answer = tuple[Any, int]


def _body_dict() -> dict[str, Any]:
    body = json_body()
    if not isinstance(body, dict):
        raise JiraError(400, "Can not deserialize instance of java.util.LinkedHashMap")
    return body


@bp.post("/issue")
def create_issue() -> Answer:
    body = _body_dict()
    s = state()
    issue = lifecycle.create_issue(
        s, body.get("fields"), body.get("update"), s.bot, api_version=api_version()
    )
    return {"id": str(issue.id), "key": issue.key, "self": f"{api_base()}/issue/{issue.id}"}, 201


@bp.get("/issue/<issue_ref>")
def get_issue(issue_ref: str) -> dict[str, Any]:
    s = state()
    with s.lock:
        issue = s.get_issue(issue_ref)
        spec = parse_field_spec(request.args.getlist("fields"), "*all")
        return issue_json(api_base(), s, issue, spec)


@bp.put("/issue/<issue_ref>")
def edit_issue(issue_ref: str) -> Answer:
    body = _body_dict()
    s = state()
    with s.lock:
        issue = s.get_issue(issue_ref)
        lifecycle.edit_issue(
            s, issue, body.get("fields"), body.get("update"), s.bot, api_version=api_version()
        )
        if flag("returnIssue"):
            return issue_json(api_base(), s, issue), 200
    return "", 204


@bp.delete("/issue/<issue_ref>")
def delete_issue(issue_ref: str) -> Answer:
    s = state()
    with s.lock:
        lifecycle.delete_issue(s, s.get_issue(issue_ref), s.bot, via_api=True)
    return "", 204


# -- comments ----------------------------------------------------------------------------


@bp.get("/issue/<issue_ref>/comment")
def comments(issue_ref: str) -> dict[str, Any]:
    s = state()
    with s.lock:
        issue = s.get_issue(issue_ref)
        found = [render.comment(api_base(), s, c) for c in s.issue_comments(issue.id)]
    start = max(0, request.args.get("startAt", 0, type=int))
    limit = max(0, request.args.get("maxResults", 5000, type=int))
    page = found[start : start + limit]
    return {"startAt": start, "maxResults": limit, "total": len(found), "comments": page}


@bp.post("/issue/<issue_ref>/comment")
def add_comment(issue_ref: str) -> Answer:
    body = _body_dict()
    s = state()
    with s.lock:
        issue = s.get_issue(issue_ref)
        comment = lifecycle.add_comment(s, issue, body.get("body"), s.bot)
        return render.comment(api_base(), s, comment), 201


@bp.get("/issue/<issue_ref>/comment/<comment_id>")
def get_comment(issue_ref: str, comment_id: str) -> dict[str, Any]:
    s = state()
    with s.lock:
        issue = s.get_issue(issue_ref)
        found = next((c for c in s.issue_comments(issue.id) if str(c.id) == comment_id), None)
        if found is None:
            raise JiraError(404, "Can not find a comment for the id: " + comment_id)
        return render.comment(api_base(), s, found)


# -- remote links ------------------------------------------------------------------------


@bp.get("/issue/<issue_ref>/remotelink")
def remote_links(issue_ref: str) -> Any:
    s = state()
    with s.lock:
        issue = s.get_issue(issue_ref)
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
    body = _body_dict()
    s = state()
    with s.lock:
        issue = s.get_issue(issue_ref)
        link, created = linking.upsert_remote_link(s, issue, body)
        return {"id": link.id, "self": f"{api_base()}/issue/{issue.key}/remotelink/{link.id}"}, (
            201 if created else 200
        )


@bp.delete("/issue/<issue_ref>/remotelink")
def delete_remote_link_by_global_id(issue_ref: str) -> Answer:
    global_id = request.args.get("globalId")
    if not global_id:
        raise JiraError(400, "The globalId parameter is required.")
    s = state()
    with s.lock:
        issue = s.get_issue(issue_ref)
        if not any(r.global_id == global_id for r in s.issue_remote_links(issue.id)):
            raise JiraError(404, "No remote link with the given globalId was found.")
        linking.delete_remote_links(s, issue, keep=lambda r: r.global_id != global_id)
    return "", 204


@bp.get("/issue/<issue_ref>/remotelink/<link_id>")
def remote_link(issue_ref: str, link_id: str) -> dict[str, Any]:
    s = state()
    with s.lock:
        issue = s.get_issue(issue_ref)
        return render.remote_link(api_base(), s, linking.find_remote_link(s, issue, link_id))


@bp.delete("/issue/<issue_ref>/remotelink/<link_id>")
def delete_remote_link(issue_ref: str, link_id: str) -> Answer:
    s = state()
    with s.lock:
        issue = s.get_issue(issue_ref)
        linking.find_remote_link(s, issue, link_id)
        linking.delete_remote_links(s, issue, keep=lambda r: str(r.id) != link_id)
    return "", 204


# -- transitions -------------------------------------------------------------------------


def available(current: catalog.Status) -> list[catalog.Status]:
    """Every project uses one workflow with a global transition into each other status."""
    return [st for st in catalog.STATUSES if st.id != current.id]


@bp.get("/issue/<issue_ref>/transitions")
def transitions(issue_ref: str) -> dict[str, Any]:
    s = state()
    with s.lock:
        issue = s.get_issue(issue_ref)
        options = available(issue.status)
    wanted = request.args.get("transitionId")
    return {
        "expand": "transitions",
        "transitions": [
            {
                "id": st.transition_id,
                "name": st.name,
                "to": render.status(api_base(), st),
                "hasScreen": False,
                "isGlobal": True,
                "isInitial": False,
                "isAvailable": True,
                "isConditional": False,
                "looped": False,
            }
            for st in options
            if wanted is None or st.transition_id == wanted
        ],
    }


@bp.post("/issue/<issue_ref>/transitions")
def do_transition(issue_ref: str) -> Answer:
    body = _body_dict()
    ref = body.get("transition")
    tid = str(ref.get("id")) if isinstance(ref, dict) and ref.get("id") is not None else None
    if tid is None:
        raise JiraError(400, "Missing 'transition' identifier")
    s = state()
    with s.lock:
        issue = s.get_issue(issue_ref)
        target = next((st for st in available(issue.status) if st.transition_id == tid), None)
        if target is None:
            raise JiraError(400, f"Transition id '{tid}' is not valid for this issue.")
        fields = dict(body.get("fields") or {})
        res = fields.pop("resolution", None)
        res_name = res.get("name", res.get("id")) if isinstance(res, dict) else None
        if res_name is not None and target.category is not catalog.DONE:
            raise field_errors({"resolution": NOT_ON_SCREEN.format("resolution")})
        if res_name is not None and catalog.find_named(catalog.RESOLUTIONS, res_name) is None:
            raise field_errors({"resolution": f"Resolution '{res_name}' is not valid."})
        if fields:
            lifecycle.edit_issue(s, issue, fields, None, s.bot, api_version=api_version())
        notes = [
            op["add"].get("body")
            for op in (body.get("update") or {}).get("comment", [])
            if isinstance(op, dict) and isinstance(op.get("add"), dict)
        ]
        lifecycle.transition(s, issue, target, s.bot, resolution=res_name, comments=notes)
    return "", 204
