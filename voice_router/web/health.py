"""Liveness and readiness."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, jsonify

from voice_router.web.context import runtime

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():  # type: ignore[no-untyped-def]
    return jsonify({"status": "ok"})


@bp.get("/readyz")
def readyz():  # type: ignore[no-untyped-def]
    rt = runtime()
    checks: dict[str, str] = {}
    try:
        with rt.engine.connect() as connection:
            connection.execute(sa.text("SELECT 1"))
        checks["database"] = "ok"
    except Exception as exc:
        checks["database"] = f"unreachable: {type(exc).__name__}"
    try:
        checks["queue"] = "ok" if rt.queue.ping() else "unreachable"
    except Exception as exc:
        checks["queue"] = f"unreachable: {type(exc).__name__}"
    ready = all(value == "ok" for value in checks.values())
    return jsonify({"ready": ready, "checks": checks}), 200 if ready else 503
