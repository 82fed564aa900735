"""The cached meaning vector of each problem (table `problemvector`), recomputed when the
problem's ticket count has moved since (new pain points arrived, or some were removed):
a suggestions call reads every vector in one query and recomputes only the stale ones."""

from __future__ import annotations

import numpy as np
import sqlalchemy as sa
from sqlmodel import Session, col, select

from voice_router.clock import utcnow
from voice_router.meaning import DIM, text_vector
from voice_router.models import PainPoint, Problem, ProblemVector
from voice_router.tags import title_from_key
from voice_router.upsert import insert_missing

SUBJECTS = 10  # ticket subjects per problem that make its vector (the latest ones)


def load(session: Session) -> dict[int, np.ndarray]:
    """problem id -> its vector (unnormalised), for every problem, stale ones recomputed."""
    rows = session.exec(
        select(
            Problem.id, Problem.key, Problem.tickets, ProblemVector.tickets, ProblemVector.vector
        ).join(ProblemVector, col(ProblemVector.problem_id) == Problem.id, isouter=True)
    ).all()
    found: dict[int, np.ndarray] = {}
    stale: dict[int, tuple[str, int]] = {}
    for pid, key, tickets, cached_tickets, blob in rows:
        if blob is None or cached_tickets != tickets:
            stale[pid] = (key, tickets)
        else:
            found[pid] = np.frombuffer(blob, dtype=np.float32, count=DIM)
    if stale:
        found.update(refresh(session, stale))
    return found


def refresh(session: Session, problems: dict[int, tuple[str, int]]) -> dict[int, np.ndarray]:
    """Recompute and store the vectors of these problems (id -> (key, ticket count))."""
    subjects = _subjects(session, list(problems))
    fresh: dict[int, np.ndarray] = {}
    rows = []
    now = utcnow()
    for pid, (key, tickets) in problems.items():
        name = title_from_key(key)
        fresh[pid] = text_vector([name, name, *subjects.get(pid, [])])  # the name counts twice
        rows.append(
            {
                "problem_id": pid,
                "vector": fresh[pid].tobytes(),
                "tickets": tickets,
                "updated_at": now,
            }
        )
    ids = list(problems)
    for start in range(0, len(ids), 500):
        session.execute(
            sa.delete(ProblemVector).where(
                col(ProblemVector.problem_id).in_(ids[start : start + 500])
            )
        )
    insert_missing(session, ProblemVector, rows)
    session.commit()
    return fresh


def _subjects(session: Session, problem_ids: list[int]) -> dict[int, list[str]]:
    """Up to SUBJECTS distinct subjects of each problem's active pain points, latest first."""
    found: dict[int, list[str]] = {}
    for start in range(0, len(problem_ids), 500):
        chunk = problem_ids[start : start + 500]
        ranked = (
            select(
                PainPoint.problem_id,
                PainPoint.subject,
                sa.func.row_number()
                .over(partition_by=PainPoint.problem_id, order_by=col(PainPoint.id).desc())
                .label("n"),
            )
            .where(col(PainPoint.problem_id).in_(chunk), col(PainPoint.removed_at).is_(None))
            .where(col(PainPoint.subject).is_not(None))
            .subquery()
        )
        query = select(ranked.c.problem_id, ranked.c.subject).where(ranked.c.n <= SUBJECTS * 2)
        for pid, subject in session.exec(query).all():
            mine = found.setdefault(pid, [])
            if subject not in mine and len(mine) < SUBJECTS:
                mine.append(subject)
    return found
