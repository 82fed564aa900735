"""Impact of a problem, counted from its active pain points and those of every problem
merged into it:

- customers: distinct people (one person through two helpdesks is one customer);
- accounts: distinct companies (free-mail senders have none);
- mrr: the sum of MRR over those distinct accounts;
- tickets: distinct helpdesk conversations (source + ticket id);
- first_seen / last_seen: the earliest report and the latest event on those tickets;
- trend_7d / trend_30d: tickets first reported in the last 7 (30) days minus those first
  reported in the 7 (30) days before that — positive means the problem is growing.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from voice_router.clock import utcnow
from voice_router.models import Account, PainPoint, Problem


def merge_parents(session: Session) -> dict[int, int]:
    """problem id -> the problem it was merged into, for every merged problem."""
    return dict(
        session.exec(
            select(Problem.id, Problem.merged_into_id).where(
                col(Problem.merged_into_id).is_not(None)
            )
        ).all()
    )


def children_of(parents: dict[int, int]) -> dict[int, list[int]]:
    children: dict[int, list[int]] = defaultdict(list)
    for problem_id, parent_id in parents.items():
        children[parent_id].append(problem_id)
    return children


def merge_children(session: Session) -> dict[int, list[int]]:
    return children_of(merge_parents(session))


def group_of(problem_id: int, children: dict[int, list[int]]) -> list[int]:
    """The problem and every problem merged into it, at any depth."""
    group, todo = [], [problem_id]
    while todo:
        current = todo.pop()
        group.append(current)
        todo.extend(children.get(current, ()))
    return group


def ancestors_in(parents: dict[int, int], problem_ids: Iterable[int]) -> set[int]:
    found: set[int] = set()
    for problem_id in problem_ids:
        current: int | None = problem_id
        while current is not None and current not in found:
            found.add(current)
            current = parents.get(current)
    return found


def ancestors(session: Session, problem_ids: Iterable[int]) -> set[int]:
    """The problems themselves and every problem they were merged into."""
    return ancestors_in(merge_parents(session), problem_ids)


def _owner_chunks(groups: Mapping[int, Sequence[int]], size: int = 400) -> Iterator[sa.Subquery]:
    """(owner, member) rows: each owner with every member of its group, in chunks small
    enough for SQLite's limit on compound SELECTs."""
    rows: list[sa.Select[tuple[int, int]]] = []
    for owner, group in groups.items():
        if rows and len(rows) + len(group) > size:
            yield sa.union_all(*rows).subquery("owners")
            rows = []
        rows += [
            sa.select(sa.literal(owner).label("owner"), sa.literal(member).label("member"))
            for member in group
        ]
    if rows:
        yield (rows[0] if len(rows) == 1 else sa.union_all(*rows)).subquery("owners")


@dataclass(frozen=True)
class Impact:
    """What a group of problems adds up to: distinct customers, accounts and tickets among
    its active pain points, MRR summed over the distinct accounts, first and last report."""

    customers: int = 0
    accounts: int = 0
    tickets: int = 0
    mrr: Decimal = Decimal(0)
    first_seen: datetime | None = None
    last_seen: datetime | None = None


def group_impact(session: Session, groups: Mapping[int, Sequence[int]]) -> dict[int, Impact]:
    """The impact of each group (key -> problem ids), counted the one way the stored
    counts are: `recompute` stores these for each problem's merge group, and the merge
    preview shows them for a group that does not exist yet."""
    found: dict[int, Impact] = {}
    for owners in _owner_chunks(groups):
        counts, mrrs = _impact(session, owners)
        for owner, (customers, accounts_n, tickets, first_seen, last_seen) in counts.items():
            found[owner] = Impact(
                customers, accounts_n, tickets, Decimal(mrrs.get(owner, 0)), first_seen, last_seen
            )
    return {key: found.get(key, Impact()) for key in groups}


def _impact(session: Session, owners: sa.Subquery) -> tuple[dict[int, Any], dict[int, Any]]:
    """owner -> (customers, accounts, tickets, first_seen, last_seen), and owner -> mrr."""
    active = sa.and_(PainPoint.problem_id == owners.c.member, col(PainPoint.removed_at).is_(None))
    ticket = PainPoint.source + sa.literal(":") + PainPoint.ticket_id
    counts = {
        row[0]: tuple(row[1:])
        for row in session.exec(
            select(
                owners.c.owner,
                sa.func.count(sa.distinct(PainPoint.customer_id)),
                sa.func.count(sa.distinct(PainPoint.account_id)),
                sa.func.count(sa.distinct(ticket)),
                sa.func.min(PainPoint.reported_at),
                sa.func.max(PainPoint.last_event_at),
            )
            .select_from(owners)
            .join(PainPoint, active)
            .group_by(owners.c.owner)
        ).all()
    }
    accounts = (
        select(owners.c.owner.label("owner"), PainPoint.account_id.label("account_id"))
        .select_from(owners)
        .join(PainPoint, active)
        .where(col(PainPoint.account_id).is_not(None))
        .distinct()
        .subquery()
    )
    mrrs = dict(
        session.exec(
            select(accounts.c.owner, sa.func.coalesce(sa.func.sum(Account.mrr), 0))
            .select_from(accounts)
            .join(Account, col(Account.id) == accounts.c.account_id)
            .group_by(accounts.c.owner)
        ).all()
    )
    return counts, mrrs


def recompute(session: Session, problem_ids: Iterable[int]) -> None:
    """Store fresh impact counts on each problem (and the problems it was merged into)."""
    parents = merge_parents(session)
    targets = sorted(ancestors_in(parents, problem_ids))
    if not targets:
        return
    statement = select(Problem).where(col(Problem.id).in_(targets)).order_by(col(Problem.id))
    if session.get_bind().dialect.name == "postgresql":
        # Serialise concurrent recomputes of one problem so the last writer sees all rows.
        statement = statement.with_for_update()
    problems = list(session.exec(statement).all())
    if not problems:
        return
    children = children_of(parents)
    impacts = group_impact(
        session, {p.id: group_of(p.id, children) for p in problems if p.id is not None}
    )
    for problem in problems:
        found = impacts.get(problem.id, Impact())  # type: ignore[arg-type]
        problem.customers = found.customers
        problem.accounts = found.accounts
        problem.tickets = found.tickets
        problem.mrr = found.mrr
        problem.first_seen = found.first_seen
        problem.last_seen = found.last_seen
        problem.updated_at = utcnow()
        session.add(problem)


def trends(
    session: Session, problem_ids: Sequence[int], now: datetime | None = None
) -> dict[int, tuple[int, int]]:
    """problem id -> (trend_7d, trend_30d). A ticket counts once per problem, at its report
    (one row per (source, ticket, problem) by the unique constraint, so one flat aggregate
    per problem, answered from the (problem_id, removed_at, reported_at) index). One ticket
    tagged for two problems that were later merged counts for each."""
    if not problem_ids:
        return {}
    now = now or utcnow()
    children = merge_children(session)
    owner = {member: pid for pid in problem_ids for member in group_of(pid, children)}

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
