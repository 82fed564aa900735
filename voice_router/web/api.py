"""JSON API, /api/v1: parse input, call the core, serialise."""

from __future__ import annotations

from flask import Blueprint, jsonify, request
from sqlmodel import Session

from voice_router import problems
from voice_router.errors import BadRequest
from voice_router.web.auth import require_role
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
