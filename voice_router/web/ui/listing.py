"""GET /: the problem list, sortable and filterable like GET /api/v1/problems."""

from __future__ import annotations

from flask import render_template, request
from flask.typing import ResponseReturnValue

from voice_router.platform.db import reading
from voice_router.problems import listing
from voice_router.web.auth import require_role
from voice_router.web.context import runtime
from voice_router.web.params import query_int
from voice_router.web.ui.access import current_caller, signed_in
from voice_router.web.ui.pages import bp
from voice_router.web.ui.sparkline import daily_new_tickets, sparkline

PAGE_SIZE = 50
MAX_PAGE = 10_000_000 // PAGE_SIZE + 1  # the API's largest offset, in pages
SORT_LABELS = {"impact": "Impact", "mrr": "MRR", "recent": "Most recent"}
STATUS_LABELS = {
    "open": "Open",
    "in_progress": "In progress",
    "shipped": "Shipped",
    "wont_fix": "Won't fix",
    "regressed": "Regressed",
}


@bp.get("/")
@require_role("agent", signed_in)
def problem_list() -> ResponseReturnValue:
    sort = request.args.get("sort") or "impact"
    status = request.args.get("status") or None
    q = (request.args.get("q") or "").strip()
    page = query_int("page", 1, 1, MAX_PAGE, f"a whole number from 1 to {MAX_PAGE}")
    with reading(runtime().engine) as session:
        found = listing.list_problems(
            session,
            sort=sort,
            status=status,
            q=q or None,
            limit=PAGE_SIZE + 1,
            offset=(page - 1) * PAGE_SIZE,
        )
        shown = found[:PAGE_SIZE]
        daily = daily_new_tickets(session, [p["id"] for p in shown])
    return render_template(
        "ui/problems.html",
        caller=current_caller(),
        problems=shown,
        sparks={pid: sparkline(counts) for pid, counts in daily.items()},
        sort=sort,
        status=status or "",
        q=q,
        page=page,
        more=len(found) > PAGE_SIZE,
        sort_labels=SORT_LABELS,
        status_labels=STATUS_LABELS,
    )
