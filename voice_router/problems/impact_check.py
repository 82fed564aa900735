"""`voice-router recompute`: every problem's stored impact held against a recount from its
pain points, drift reported and (with fix) replaced by the recount.

Problems go in chunks, each in its own transaction with its problems (and those they are
merged into) locked, so a batch being processed meanwhile is either wholly in the stored
counts and the recount or in neither, and never reported as drift.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from voice_router.models import Problem
from voice_router.problems import impact, impact_recount

CHUNK = 200


@dataclass(frozen=True)
class Drift:
    problem_id: int
    key: str
    differences: list[str]


def problem_ids(engine: Engine) -> list[int]:
    with Session(engine) as session:
        return list(session.exec(select(Problem.id).order_by(col(Problem.id))).all())


def recompute_all(
    engine: Engine, fix: bool, progress: Callable[[int], object] | None = None
) -> list[Drift]:
    """Drift of every problem (fixed, with `fix`); `progress` gets the problems done."""
    ids = problem_ids(engine)
    found: list[Drift] = []
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        with Session(engine) as session:
            found += _chunk(session, chunk, fix)
            if fix:
                session.commit()
        if progress is not None:
            progress(len(chunk))
    return found


def _chunk(session: Session, chunk: list[int], fix: bool) -> list[Drift]:
    parents, locked = impact.lock_owners(session, chunk)
    problems = {pid: locked[pid] for pid in chunk if pid in locked}
    children = impact.children_of(parents)
    groups = {pid: impact.group_of(pid, children) for pid in problems}
    recounted = impact_recount.recount(session, groups)
    stored = impact_recount.stored(session, list(problems))
    drift = []
    for pid, problem in problems.items():
        differences = stored[pid].differences(recounted[pid])
        if differences:
            drift.append(Drift(pid, problem.key, differences))
    if fix and drift:
        wrong = {d.problem_id: problems[d.problem_id] for d in drift}
        impact_recount.store(session, wrong, recounted)
    return drift
