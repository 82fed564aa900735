"""Impact counted from scratch: what `impact_recount.recompute` stores and what
`voice-router recompute --check` holds the stored counts against.

For a merge group it is the problem's columns (customers, accounts, mrr, tickets, first and
last seen), the tallies of `impactmember` and the new tickets per day of `impactday`, all
from the group's active pain points.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

import sqlalchemy as sa
from sqlmodel import Session, col, select

from voice_router.models import ImpactDay, ImpactMember, PainPoint, Problem
from voice_router.platform.clock import to_utc, utcnow
from voice_router.platform.upsert import insert_many
from voice_router.problems import trend_days
from voice_router.problems.impact import (
    Impact,
    _owner_chunks,
    children_of,
    group_impact,
    group_of,
    lock_owners,
)

Members = dict[tuple[str, int], int]


@dataclass
class Counts:
    """Everything stored about one group's impact."""

    impact: Impact = field(default_factory=Impact)
    members: Members = field(default_factory=dict)
    days: dict[date, int] = field(default_factory=dict)
    row: Problem | None = None  # stored counts only: the row, for its copy of the trends

    def differences(self, other: Counts) -> list[str]:
        """What differs from `other` (the recount), named without personal data."""
        found = []
        for name in ("customers", "accounts", "tickets", "mrr", "first_seen", "last_seen"):
            mine, theirs = getattr(self.impact, name), getattr(other.impact, name)
            if isinstance(mine, datetime) and isinstance(theirs, datetime):
                mine, theirs = to_utc(mine), to_utc(theirs)
            if mine != theirs:
                found.append(f"{name} {_shown(mine)} (recount {_shown(theirs)})")
        if self.members != other.members:
            found.append("customer and account tallies")
        if self.days != other.days:
            found.append("new tickets per day (trends)")
        if self.row is not None:
            wrong = trend_days.drift(self.row, other.days, utcnow().date())
            if wrong:
                found.append(wrong)
        return found


def _shown(value: object) -> str:
    return to_utc(value).isoformat() if isinstance(value, datetime) else str(value)


def recount(session: Session, groups: Mapping[int, Sequence[int]]) -> dict[int, Counts]:
    """owner -> its counts, from the active pain points of its group."""
    counts = {owner: Counts(impact) for owner, impact in group_impact(session, groups).items()}
    ticket = (PainPoint.source, PainPoint.ticket_id)
    for owners in _owner_chunks(groups):
        active = sa.and_(
            col(PainPoint.problem_id) == owners.c.member, col(PainPoint.removed_at).is_(None)
        )
        for kind, column in (("c", col(PainPoint.customer_id)), ("a", col(PainPoint.account_id))):
            rows = session.exec(
                select(owners.c.owner, column, sa.func.count())
                .select_from(owners)
                .join(PainPoint, active)
                .where(column.is_not(None))
                .group_by(owners.c.owner, column)
            ).all()
            for owner, member, n in rows:
                counts[owner].members[(kind, member)] = n  # type: ignore[index]  # no nulls: where
        firsts = session.exec(
            select(owners.c.owner, sa.func.min(PainPoint.reported_at))
            .select_from(owners)
            .join(PainPoint, active)
            .group_by(owners.c.owner, *ticket)
        ).all()
        for owner, first in firsts:
            day = to_utc(first).date()
            days = counts[owner].days
            days[day] = days.get(day, 0) + 1
    return counts


def stored(session: Session, owners: Sequence[int]) -> dict[int, Counts]:
    """owner -> the counts stored for it now."""
    counts: dict[int, Counts] = defaultdict(Counts)
    for start in range(0, len(owners), 500):
        chunk = list(owners[start : start + 500])
        for p in session.exec(select(Problem).where(col(Problem.id).in_(chunk))):
            counts[p.id].impact = Impact(
                p.customers, p.accounts, p.tickets, p.mrr, p.first_seen, p.last_seen
            )
            counts[p.id].row = p
        for m in session.exec(select(ImpactMember).where(col(ImpactMember.owner_id).in_(chunk))):
            if m.n:
                counts[m.owner_id].members[(m.kind, m.member_id)] = m.n
        for d in session.exec(select(ImpactDay).where(col(ImpactDay.owner_id).in_(chunk))):
            if d.tickets:
                counts[d.owner_id].days[d.day] = d.tickets
    return {owner: counts[owner] for owner in owners}


def store(session: Session, problems: Mapping[int, Problem], counts: Mapping[int, Counts]) -> None:
    """Replace what is stored for these problems (locked by the caller) with `counts`."""
    owners = list(problems)
    for start in range(0, len(owners), 500):
        chunk = owners[start : start + 500]
        for model in (ImpactMember, ImpactDay):
            session.execute(sa.delete(model).where(col(model.owner_id).in_(chunk)))
    members = [
        {"owner_id": owner, "kind": kind, "member_id": member, "n": n}
        for owner in owners
        for (kind, member), n in counts[owner].members.items()
    ]
    days = [
        {"owner_id": owner, "day": day, "tickets": n}
        for owner in owners
        for day, n in counts[owner].days.items()
    ]
    # One statement a table (COPY on PostgreSQL): an executemany was an INSERT a row, each
    # firing the table's statement-level reference check, 2 s for a merge of problems of
    # 9,000 and 5,000 pain points (`bench/merges.py`).
    for model, rows in ((ImpactMember, members), (ImpactDay, days)):
        insert_many(session, sa.insert(model.__table__), rows)  # type: ignore[union-attr]  # SQLModel leaves __table__ undeclared
    now = utcnow()
    for owner, problem in problems.items():
        found = counts[owner].impact
        problem.customers, problem.accounts = found.customers, found.accounts
        problem.tickets, problem.mrr = found.tickets, found.mrr
        problem.first_seen, problem.last_seen = found.first_seen, found.last_seen
        ordinals = {day.toordinal(): n for day, n in counts[owner].days.items()}
        trend_days.store(problem, ordinals, now.date())
        problem.updated_at = now
        session.add(problem)


def recompute(session: Session, problem_ids: Iterable[int]) -> None:
    """Count each problem (and the problems it was merged into) afresh from its pain points
    and store the counts, tallies and new tickets per day: after a merge, an unmerge, or
    `voice-router recompute --fix`. Processing keeps them by difference (`impact_delta`), and
    an account import sums MRR again from the tallies (`impact_delta.apply`)."""
    parents, problems = lock_owners(session, problem_ids)
    if not problems:
        return
    children = children_of(parents)
    groups = {pid: group_of(pid, children) for pid in problems}
    store(session, problems, recount(session, groups))
