"""Workflow: the transitions an issue offers, and performing one (with its screen's fields,
field operations and comments, validated as an edit is)."""

from __future__ import annotations

from typing import Any

from flask import request

from . import catalog, editing, lifecycle, render, richtext
from . import permissions as perm
from .context import (
    actor,
    api_base,
    api_blueprint,
    api_version,
    json_object,
    locked_issue,
    may,
    state,
)
from .errors import NOT_ON_SCREEN, JiraError, field_errors

bp = api_blueprint("jira_workflow")

Answer = tuple[Any, int]


def _note(operation: Any) -> Any:
    """The body of one `{"add": {"body": ...}}` comment operation, checked as Jira does."""
    add = operation.get("add") if isinstance(operation, dict) else None
    body = add.get("body") if isinstance(add, dict) else None
    problem = richtext.comment_problem(body, api_version(), state().deployment)
    if problem is not None:
        raise field_errors({"comment": problem})
    return body


# -- transitions -------------------------------------------------------------------------


def available(current: catalog.Status) -> list[catalog.Status]:
    """Every project uses one workflow with a global transition into each other status."""
    return [st for st in catalog.STATUSES if st.id != current.id]


@bp.get("/issue/<issue_ref>/transitions")
def transitions(issue_ref: str) -> dict[str, Any]:
    with locked_issue(issue_ref) as (s, issue):
        options = available(issue.status)
        project = s.projects[issue.project_id].key
        if not s.permissions.has(actor().account_id, project, perm.TRANSITION):
            options = []  # Jira lists no transitions to a user who may not transition
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
    body = json_object()
    ref = body.get("transition")
    tid = str(ref.get("id")) if isinstance(ref, dict) and ref.get("id") is not None else None
    if tid is None:
        raise JiraError(400, "Missing 'transition' identifier")
    editing.operations(body.get("fields"), body.get("update"))  # shapes; a field in both
    with locked_issue(issue_ref, perm.TRANSITION) as (s, issue):
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
        update = dict(body.get("update") or {})
        notes = [_note(op) for op in update.pop("comment", [])]
        if notes:
            may(issue, perm.COMMENT)
        if fields or update:
            lifecycle.edit_issue(s, issue, fields, update, actor(), api_version=api_version())
        lifecycle.transition(s, issue, target, actor(), resolution=res_name, comments=notes)
    return "", 204
