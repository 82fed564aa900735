"""Files the API and the UI both hand out, each behind its own sign-in."""

from __future__ import annotations

from flask import Response

from voice_router.closing.notify_csv import notify_csv as notify_list_csv
from voice_router.platform.db import reading
from voice_router.web.context import runtime


def notify_csv(problem_id: int) -> Response:
    """The notify list as a CSV attachment, grouped by agent."""
    with reading(runtime().engine) as session:
        text = notify_list_csv(session, problem_id)
    return Response(
        text,
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="problem-{problem_id}-notify.csv"'},
    )
