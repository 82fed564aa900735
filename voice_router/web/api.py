"""JSON API, /api/v1: parse input, call the core, serialise. Every route is described in
the OpenAPI document through its spectree models (voice_router.web.schemas)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify, request
from flask.typing import ResponseReturnValue
from spectree import Response as Responses

from voice_router.closing import notify, shipping
from voice_router.models import Problem
from voice_router.platform.db import reading
from voice_router.platform.errors import BadRequest, Conflict, NotFound, ServiceUnavailable
from voice_router.problems import listing, merging
from voice_router.web import downloads, schemas
from voice_router.web.auth import caller, require_role
from voice_router.web.context import messages_later, runtime, sync_later
from voice_router.web.openapi import api_spec

bp = Blueprint("api", __name__, url_prefix="/api/v1")

ERRORS = {
    "HTTP_400": schemas.ErrorOut,
    "HTTP_401": schemas.ErrorOut,
    "HTTP_403": schemas.ErrorOut,
    "HTTP_404": schemas.ErrorOut,
}
# Routes that a well-formed request can still meet refused for the state things are in now
# (already merged, not merged, no issue linked, Jira not configured): 409.
CONFLICTS = {**ERRORS, "HTTP_409": schemas.ErrorOut}


def _json_object() -> dict[str, Any]:
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise BadRequest("send a JSON object")
    return data


def _problem_response(problem_id: int) -> Response:
    with reading(runtime().engine) as session:
        return jsonify(listing.problem_detail(session, problem_id))


@bp.get("/problems")
@require_role("agent")
@api_spec.validate(
    query=schemas.ProblemsQuery,
    resp=Responses(HTTP_200=schemas.ProblemList, **ERRORS),
    tags=["problems"],
)
def list_problems() -> ResponseReturnValue:
    """Problems ranked by impact, MRR or recency (role: agent)."""
    query = schemas.ProblemsQuery.model_validate(request.args.to_dict())
    with reading(runtime().engine) as session:
        found = listing.list_problems(
            session,
            sort=query.sort,
            status=query.status,
            q=query.q or None,
            limit=query.limit,
            offset=query.offset,
        )
    return jsonify({"problems": found})


@bp.get("/problems/<int:problem_id>")
@require_role("agent")
@api_spec.validate(resp=Responses(HTTP_200=schemas.ProblemDetail, **ERRORS), tags=["problems"])
def get_problem(problem_id: int) -> ResponseReturnValue:
    """One problem with its pain points and business notes (role: agent)."""
    return _problem_response(problem_id)


@bp.patch("/problems/<int:problem_id>")
@require_role("pm")
@api_spec.validate(
    json=schemas.TitleIn,
    resp=Responses(HTTP_200=schemas.ProblemDetail, **ERRORS),
    tags=["problems"],
)
def rename_problem(problem_id: int) -> ResponseReturnValue:
    """Rename a problem; the new title reaches the summary of the Jira issue voice-router
    created for it, never a person's linked issue (role: pm)."""
    merging.rename(runtime().engine, problem_id, _json_object().get("title"), caller().name)
    sync_later([problem_id])
    return _problem_response(problem_id)


@bp.post("/problems/<int:problem_id>/notes")
@require_role("agent")
@api_spec.validate(
    json=schemas.NoteIn, resp=Responses(HTTP_201=schemas.NoteOut, **ERRORS), tags=["notes"]
)
def add_note(problem_id: int) -> ResponseReturnValue:
    """Add a business note; it appears once as a comment on the Jira issue (role: agent)."""
    data = _json_object()
    note = merging.add_note(
        runtime().engine, problem_id, data.get("body"), data.get("arr_at_risk"), caller().name
    )
    sync_later(merging.issue_owners(runtime().engine, problem_id))
    return jsonify(listing.note_json(note)), 201


@bp.post("/problems/<int:problem_id>/merge")
@require_role("pm")
@api_spec.validate(
    json=schemas.MergeIn,
    resp=Responses(HTTP_200=schemas.ProblemDetail, **CONFLICTS),
    tags=["merge"],
)
def merge(problem_id: int) -> ResponseReturnValue:
    """Fold this problem into another; returns the survivor (role: pm)."""
    into = _json_object().get("into")
    if not isinstance(into, int) or isinstance(into, bool):
        raise BadRequest("into must be a problem id")
    sync_later(merging.merge(runtime().engine, problem_id, into))
    if shipping.owe_after_merge(runtime().engine, runtime().settings, problem_id):
        messages_later()
    return _problem_response(into)


@bp.post("/problems/<int:problem_id>/unmerge")
@require_role("pm")
@api_spec.validate(resp=Responses(HTTP_200=schemas.ProblemDetail, **CONFLICTS), tags=["merge"])
def unmerge(problem_id: int) -> ResponseReturnValue:
    """Undo a merge; counts are recomputed from the unchanged pain points (role: pm)."""
    sync_later(merging.unmerge(runtime().engine, problem_id))
    return _problem_response(problem_id)


@bp.get("/problems/<int:problem_id>/suggestions")
@require_role("agent")
@api_spec.validate(resp=Responses(HTTP_200=schemas.SuggestionList, **ERRORS), tags=["merge"])
def suggestions(problem_id: int) -> ResponseReturnValue:
    """Likely duplicates of this problem, each with the reasons (role: agent)."""
    from voice_router.problems import impact
    from voice_router.problems.suggestions import suggest

    with reading(runtime().engine) as session:
        if session.get(Problem, problem_id) is None:
            raise NotFound(f"no problem {problem_id}")
        found = suggest(session, problem_id)
        trends = impact.trends(session, [s.problem_id for s in found])
        items = [
            {
                "problem": listing.problem_json(
                    session.get_one(Problem, s.problem_id), trends[s.problem_id]
                ),
                "score": round(s.score, 3),
                "reasons": list(s.reasons),
            }
            for s in found
        ]
    return jsonify({"suggestions": items})


@bp.post("/problems/<int:problem_id>/jira")
@require_role("pm")
@api_spec.validate(
    json=schemas.JiraKeyIn,
    resp=Responses(HTTP_200=schemas.ProblemDetail, **CONFLICTS),
    tags=["jira"],
)
def link_jira(problem_id: int) -> ResponseReturnValue:
    """Link an existing Jira issue instead of creating one; voice-router adds its labels
    and its impact block to it and leaves the rest alone. An issue another problem holds
    is refused with 409 naming that problem (merge the two instead) (role: pm)."""
    from integrations.jira.errors import JiraError
    from voice_router.tracker import links

    rt = runtime()
    key = _json_object().get("key")
    if not isinstance(key, str) or not key.strip():
        raise BadRequest("key must be a Jira issue key such as PROD-12")
    if not rt.settings.jira.url:
        raise Conflict("Jira is not configured ([jira].url is empty)")
    try:
        links.link_issue(rt.engine, rt.settings, problem_id, key.strip())
    except JiraError as exc:
        if exc.transient:
            raise ServiceUnavailable(f"Jira is unavailable: {exc.message}") from exc
        raise BadRequest(f"Jira says: {exc.message}") from exc
    sync_later([problem_id])
    return _problem_response(problem_id)


@bp.delete("/problems/<int:problem_id>/jira")
@require_role("pm")
@api_spec.validate(resp=Responses(HTTP_200=schemas.ProblemDetail, **CONFLICTS), tags=["jira"])
def unlink_jira(problem_id: int) -> ResponseReturnValue:
    """Unlink the problem's Jira issue: its next sync takes voice-router's impact block and
    per-problem label off the issue, nothing else, and no new issue is created for the
    problem by itself (role: pm)."""
    from voice_router.tracker import links

    links.unlink_issue(runtime().engine, problem_id)
    sync_later([problem_id])
    return _problem_response(problem_id)


@bp.get("/problems/<int:problem_id>/notify")
@require_role("agent")
@api_spec.validate(resp=Responses(HTTP_200=schemas.NotifyOut, **ERRORS), tags=["notify"])
def notify_list(problem_id: int) -> ResponseReturnValue:
    """Customers to tell, one per customer with their latest ticket and agent (role: agent)."""
    with reading(runtime().engine) as session:
        return jsonify(notify.notify_json(session, problem_id))


@bp.get("/problems/<int:problem_id>/notify.csv")
@require_role("agent")
@api_spec.validate(resp=Responses("HTTP_200", **ERRORS), tags=["notify"])
def notify_csv(problem_id: int) -> ResponseReturnValue:
    """The notify list as CSV, grouped by agent (role: agent)."""
    return downloads.notify_csv(problem_id)


@bp.post("/problems/<int:problem_id>/notify/mark-sent")
@require_role("agent")
@api_spec.validate(
    json=schemas.MarkSentIn,
    resp=Responses(HTTP_200=schemas.MarkSentOut, **ERRORS),
    tags=["notify"],
)
def notify_mark_sent(problem_id: int) -> ResponseReturnValue:
    """Flag customers as told (role: agent)."""
    emails = _json_object().get("customer_emails")
    return jsonify(notify.mark_sent(runtime().engine, problem_id, emails, caller().name))
