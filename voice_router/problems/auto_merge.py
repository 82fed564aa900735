"""Auto-merge (`auto_merge_above`, off by default): after an inbox drain, a job merges the
surest duplicates of the problems that drain touched, without a person. Never in a request.

A suggestion scoring at least the setting is merged: the problem with less impact into the
one with more (merging.survivor_first). Such merges are marked `merged_by = "auto"` and
undone like any merge; a problem whose automatic merge a person undid (`merged_by =
"auto-undone"`) is never merged automatically again, either way round.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from voice_router.models import Problem
from voice_router.platform.errors import Conflict, NotFound
from voice_router.platform.settings import Settings
from voice_router.problems import merging

log = logging.getLogger(__name__)

AUTO = "auto"
UNDONE = "auto-undone"


def run(engine: Engine, settings: Settings, touched: Iterable[int]) -> list[int]:
    """Merge the suggestions for `touched` problems that score `auto_merge_above` or more;
    returns the problems changed (whose Jira issues owe a sync)."""
    threshold = settings.auto_merge_above
    if not threshold:
        return []
    changed: list[int] = []
    for problem_id in sorted(set(touched)):
        for merged_id, survivor_id, value in _sure(engine, problem_id, threshold):
            try:
                changed += merging.merge(engine, merged_id, survivor_id, merged_by=AUTO)
            except (Conflict, NotFound):  # an earlier merge of this pass changed the world
                continue
            log.info(
                "problem.auto_merged",
                extra={"problem_id": merged_id, "into": survivor_id, "score": value},
            )
    return changed


def _sure(engine: Engine, problem_id: int, threshold: float) -> list[tuple[int, int, float]]:
    """(merged, survivor, score) for each suggestion at or above the threshold."""
    from voice_router.problems.suggestions import suggest  # loaded only with auto-merge on

    with Session(engine) as session:
        problem = session.get(Problem, problem_id)
        if problem is None or problem.merged_into_id is not None or problem.merged_by == UNDONE:
            return []
        found = [s for s in suggest(session, problem_id) if s.score >= threshold]
        refused = set(
            session.exec(
                select(Problem.id).where(
                    col(Problem.id).in_([s.problem_id for s in found]), Problem.merged_by == UNDONE
                )
            ).all()
        )
        return [
            (*merging.survivor_first(session, problem_id, s.problem_id), s.score)
            for s in found
            if s.problem_id not in refused
        ]
