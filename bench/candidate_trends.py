"""A candidate cheaper `impact.trends`, for A/B runs of bench/reading.py only (`--candidate`)
— the service never imports this. It stands in for a change proposed to the core (see
docs/benchmarks.md):

1. no inner `GROUP BY problem_id, source, ticket_id`: `uq_painpoint_ticket` (source,
   ticket_id, problem_id) already makes every such group one row, so `min(reported_at)` per
   group is just `reported_at` and one flat aggregate per problem gives the same counts;
2. an index on painpoint (problem_id, removed_at, reported_at), which covers that flat
   query, so it is answered from the index alone (an index-only scan on PostgreSQL once the
   table has been vacuumed).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from voice_router import impact
from voice_router.clock import utcnow
from voice_router.models import PainPoint

INDEX = "ix_bench_painpoint_trends"


def trends(
    session: Session, problem_ids: Sequence[int], now: datetime | None = None
) -> dict[int, tuple[int, int]]:
    if not problem_ids:
        return {}
    now = now or utcnow()
    children = impact.merge_children(session)
    owner = {member: pid for pid in problem_ids for member in impact.group_of(pid, children)}

    def within(newest: int, oldest: int) -> sa.ColumnElement[int]:
        after, before = now - timedelta(days=oldest), now - timedelta(days=newest)
        hit = sa.and_(col(PainPoint.reported_at) >= after, col(PainPoint.reported_at) < before)
        return sa.func.sum(sa.case((hit, 1), else_=0))

    rows = session.exec(
        select(PainPoint.problem_id, within(0, 7), within(7, 14), within(0, 30), within(30, 60))
        .where(
            col(PainPoint.problem_id).in_(list(owner)),
            col(PainPoint.removed_at).is_(None),
            col(PainPoint.reported_at) >= now - timedelta(days=60),
        )
        .group_by(PainPoint.problem_id)
    ).all()
    totals: dict[int, list[int]] = {pid: [0, 0] for pid in problem_ids}
    for member, last7, prior7, last30, prior30 in rows:
        total = totals[owner[member]]
        total[0] += (last7 or 0) - (prior7 or 0)
        total[1] += (last30 or 0) - (prior30 or 0)
    return {pid: (t[0], t[1]) for pid, t in totals.items()}


def apply(engine: Engine) -> None:
    """Create the index (and refresh statistics) and swap `impact.trends` in this process."""
    with engine.begin() as connection:
        connection.execute(
            sa.text(
                f"CREATE INDEX IF NOT EXISTS {INDEX} "
                "ON painpoint (problem_id, removed_at, reported_at)"
            )
        )
        connection.execute(sa.text("ANALYZE painpoint"))
    if engine.dialect.name == "postgresql":
        with engine.connect() as connection:
            connection.execution_options(isolation_level="AUTOCOMMIT").execute(
                sa.text("VACUUM painpoint")
            )
    impact.trends = trends  # problems.list_problems calls it through the module
