"""JSON API, /api/v1: parse input, call the core, serialise."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, request
from sqlmodel import Session

from voice_router import merging, notify, problems
from voice_router.errors import BadRequest, ServiceUnavailable
from voice_router.web.auth import caller, require_role
from voice_router.web.context import runtime

bp = Blueprint("api", __name__, url_prefix="/api/v1")


def _int_arg(name: str, default: int) -> int:
    raw = request.args.get(name)
    if raw is None:
        return default
    try:
        return int(raw)
    except ValueError:
        raise BadRequest(f"{name} must be a whole number") from None


@bp.get("/problems")
@require_role("agent")
def list_problems():  # type: ignore[no-untyped-def]
    with Session(runtime().engine) as session:
        found = problems.list_problems(
            session,
            sort=request.args.get("sort", "impact"),
            status=request.args.get("status") or None,
            q=request.args.get("q") or None,
            limit=_int_arg("limit", 100),
            offset=_int_arg("offset", 0),
        )
    return jsonify({"problems": found})


@bp.get("/problems/<int:problem_id>")
@require_role("agent")
def get_problem(problem_id: int):  # type: ignore[no-untyped-def]
    with Session(runtime().engine) as session:
        return jsonify(problems.problem_detail(session, problem_id))


def _json_object() -> dict:
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise BadRequest("send a JSON object")
    return data


def _problem_response(problem_id: int):  # type: ignore[no-untyped-def]
    with Session(runtime().engine) as session:
        return jsonify(problems.problem_detail(session, problem_id))


def _sync_later(problem_ids: list[int]) -> None:
    rt = runtime()
    if rt.settings.jira.url:
        rt.queue.enqueue_sync(problem_ids)


@bp.post("/problems/<int:problem_id>/notes")
@require_role("agent")
def add_note(problem_id: int):  # type: ignore[no-untyped-def]
    data = _json_object()
    note = merging.add_note(
        runtime().engine, problem_id, data.get("body"), data.get("arr_at_risk"), caller().name
    )
    _sync_later([problem_id])
    return jsonify(problems.note_json(note)), 201


@bp.post("/problems/<int:problem_id>/merge")
@require_role("pm")
def merge(problem_id: int):  # type: ignore[no-untyped-def]
    into = _json_object().get("into")
    if not isinstance(into, int) or isinstance(into, bool):
        raise BadRequest("into must be a problem id")
    _sync_later(merging.merge(runtime().engine, problem_id, into))
    return _problem_response(into)


@bp.post("/problems/<int:problem_id>/unmerge")
@require_role("pm")
def unmerge(problem_id: int):  # type: ignore[no-untyped-def]
    _sync_later(merging.unmerge(runtime().engine, problem_id))
    return _problem_response(problem_id)


@bp.post("/problems/<int:problem_id>/jira")
@require_role("pm")
def link_jira(problem_id: int):  # type: ignore[no-untyped-def]
    from integrations.jira.errors import JiraError, JiraNotFound
    from voice_router import jira_sync

    rt = runtime()
    key = _json_object().get("key")
    if not isinstance(key, str) or not key.strip():
        raise BadRequest("key must be a Jira issue key such as PROD-12")
    if not rt.settings.jira.url:
        raise BadRequest("Jira is not configured ([jira].url is empty)")
    with Session(rt.engine) as session:
        problems.problem_detail(session, problem_id, pain_point_limit=0)  # 404 if missing
    try:
        jira_sync.link_issue(rt.engine, rt.settings, problem_id, key.strip())
    except JiraNotFound as exc:
        raise BadRequest(f"Jira says: {exc.message}") from exc
    except JiraError as exc:
        if exc.transient:
            raise ServiceUnavailable(f"Jira is unavailable: {exc.message}") from exc
        raise BadRequest(f"Jira says: {exc.message}") from exc
    _sync_later([problem_id])
    return _problem_response(problem_id)


@bp.get("/problems/<int:problem_id>/notify")
@require_role("agent")
def notify_list(problem_id: int):  # type: ignore[no-untyped-def]
    with Session(runtime().engine) as session:
        return jsonify(notify.notify_json(session, problem_id))


@bp.get("/problems/<int:problem_id>/notify.csv")
@require_role("agent")
def notify_csv(problem_id: int):  # type: ignore[no-untyped-def]
    with Session(runtime().engine) as session:
        text = notify.notify_csv(session, problem_id)
    return Response(
        text,
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="problem-{problem_id}-notify.csv"'},
    )


@bp.post("/problems/<int:problem_id>/notify/mark-sent")
@require_role("agent")
def notify_mark_sent(problem_id: int):  # type: ignore[no-untyped-def]
    emails = _json_object().get("customer_emails")
    return jsonify(notify.mark_sent(runtime().engine, problem_id, emails, caller().name))
