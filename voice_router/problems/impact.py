"""Impact of a problem, counted from its active pain points and those of every problem
merged into it:

- customers: distinct people (one person through two helpdesks is one customer);
- accounts: distinct companies (free-mail senders have none);
- mrr: the sum of MRR over those distinct accounts;
- tickets: distinct helpdesk conversations (source + ticket id);
- first_seen / last_seen: the earliest report and the latest event on those tickets;
- trend_7d / trend_30d: tickets first reported in the last 7 (30) days minus those first
  reported in the 7 (30) days before that — positive means the problem is growing. A
  ticket counts once per group, as in `tickets`, on the day of its earliest report there.

Processing keeps these by difference (`impact_delta`); `recompute` counts them afresh
(`impact_recount`), and `voice-router recompute --check` compares the two.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import Select

from voice_router.models import Account, Customer, ImpactDay, PainPoint, Problem
from voice_router.platform.clock import to_utc, utcnow
from voice_router.problems import trend_days


def merge_parents(session: Session) -> dict[int, int]:
    """problem id -> the problem it was merged into, for every merged problem."""
    return dict(
        session.exec(  # type: ignore[arg-type]  # the query drops null parents
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


def merge_group(session: Session, problem_id: int) -> list[int]:
    """The problem and every problem merged into it, at any depth, as the database has them."""
    return group_of(problem_id, merge_children(session))


def active_in(group: Sequence[int]) -> tuple[sa.ColumnElement[bool], ...]:
    """Where-clauses for the pain points of a merge group that were not removed."""
    return (col(PainPoint.problem_id).in_(list(group)), col(PainPoint.removed_at).is_(None))


def group_reports(group: Sequence[int]) -> Select[PainPoint, Customer, Account]:
    """A query for the standing pain points of a merge group, each with its customer and
    its account (None for a free-mail sender); the caller orders and limits."""
    statement: Select[PainPoint, Customer, Account] = _with_customers(
        select(PainPoint, Customer, Account), group
    )
    return statement


def group_report_rows(group: Sequence[int], *columns: Any) -> sa.Select[Any]:
    """`group_reports` as plain rows of `columns` (of PainPoint, Customer and Account), no
    ORM objects: a notify list reads thousands of them."""
    statement: sa.Select[Any] = _with_customers(sa.select(*columns).select_from(PainPoint), group)
    return statement


def _with_customers(statement: Any, group: Sequence[int]) -> Any:
    return (
        statement.join(Customer, col(Customer.id) == PainPoint.customer_id)
        .join(Account, col(Account.id) == PainPoint.account_id, isouter=True)
        .where(*active_in(group))
    )


def group_of(problem_id: int, children: dict[int, list[int]]) -> list[int]:
    """The problem and every problem merged into it, at any depth (each once: a cycle, which
    merging refuses, must not make this loop for ever)."""
    group, todo, seen = [], [problem_id], {problem_id}
    while todo:
        current = todo.pop()
        group.append(current)
        for child in children.get(current, ()):
            if child not in seen:
                seen.add(child)
                todo.append(child)
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


def survivor_of(session: Session, problem_id: int) -> Problem | None:
    """The problem at the top of the merge chain this one was merged into (None when it
    stands alone)."""
    for above in sorted(ancestors(session, [problem_id]) - {problem_id}):
        problem = session.get(Problem, above)
        if problem is not None and problem.merged_into_id is None:
            return problem
    return None


def _owner_chunks(groups: Mapping[int, Sequence[int]], size: int = 400) -> Iterator[sa.Subquery]:
    """(owner, member) rows: each owner with every member of its group, in chunks small
    enough for SQLite's limit on compound SELECTs."""
    rows: list[sa.Select[int, int]] = []
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
    active = sa.and_(
        col(PainPoint.problem_id) == owners.c.member, col(PainPoint.removed_at).is_(None)
    )
    ticket = PainPoint.source + sa.literal(":") + PainPoint.ticket_id
    counts = {
        row[0]: tuple(row[1:])
        for row in session.exec(
            select(  # type: ignore[call-overload]  # SQLModel types select() up to 4 columns
                owners.c.owner,
                sa.func.count(sa.distinct(col(PainPoint.customer_id))),
                sa.func.count(sa.distinct(col(PainPoint.account_id))),
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
        select(owners.c.owner.label("owner"), col(PainPoint.account_id).label("account_id"))
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


def lock_owners(
    session: Session, problem_ids: Iterable[int], columns: Sequence[Any] = ()
) -> tuple[dict[int, int], dict[int, Any]]:
    """The merge parents and the problems whose counts `problem_ids` feed (themselves and
    every problem they are merged into), locked on PostgreSQL in id order (FOR NO KEY
    UPDATE) so concurrent writers of one problem's counts take turns. A merge committed
    meanwhile is seen: the owners are read again until they hold still. The problems come
    as ORM objects, or with `columns` as rows of their id and those columns."""
    wanted = set(problem_ids)
    parents = merge_parents(session)
    locked: dict[int, Any] = {}
    while True:
        targets = ancestors_in(parents, wanted) - locked.keys()
        if targets:
            statement: Any = sa.select(col(Problem.id), *columns) if columns else select(Problem)
            statement = statement.where(col(Problem.id).in_(sorted(targets)))
            if session.get_bind().dialect.name == "postgresql":
                # FOR NO KEY UPDATE: writers of the counts take turns, while the foreign-key
                # checks of another worker's new pain points (FOR KEY SHARE) go through.
                statement = statement.with_for_update(key_share=True)
            statement = statement.order_by(col(Problem.id))
            run = session.execute if columns else session.exec
            for problem in run(statement).all():
                locked[problem.id] = problem
            again = merge_parents(session)
            if again != parents:
                parents = again
                continue
        return parents, {pid: locked[pid] for pid in ancestors_in(parents, wanted) if pid in locked}


def trends(
    session: Session, problem_ids: Sequence[int], now: datetime | None = None
) -> dict[int, tuple[int, int]]:
    """problem id -> (trend_7d, trend_30d): tickets first reported in the last 7 (30) UTC
    days, today included, minus those of the 7 (30) days before; a ticket counts once per
    merge group, as in `tickets`. Read from the problem rows (`trend_days`)."""
    if not problem_ids:
        return {}
    found = trends_of_rows(session, trend_rows(session, problem_ids), now)
    return {pid: found.get(pid, (0, 0)) for pid in problem_ids}


def trend_rows(session: Session, problem_ids: Sequence[int]) -> list[Any]:
    """The problems' id and `trend_days` columns (rows with those attributes)."""
    return list(
        session.exec(
            select(  # type: ignore[call-overload]  # SQLModel types select() up to 4 columns
                Problem.id, Problem.trend_day, Problem.trend_7d, Problem.trend_30d, Problem.recent
            ).where(col(Problem.id).in_(list(problem_ids)))
        ).all()
    )


def trends_of_rows(
    session: Session, rows: Sequence[Any], now: datetime | None = None
) -> dict[int, tuple[int, int]]:
    """Trends of problem rows (with `id` and the `trend_days` columns): from the row when it
    answers for today, else from `impactday`."""
    today = to_utc(now or utcnow()).date()
    found = {
        row.id: trend_days.trends_of(row, today) for row in rows if trend_days.usable(row, today)
    }
    missing = [row.id for row in rows if row.id not in found]
    for pid, days in recent_days(session, missing, today).items():
        found[pid] = trend_days.trends_on(days, today)
    return found


def recent_days(session: Session, owners: Sequence[int], today: date) -> dict[int, dict[int, int]]:
    """owner -> {day ordinal: new tickets} from `impactday`, for the days a trend window
    read on `today` reaches (later days included)."""
    found: dict[int, dict[int, int]] = {owner: {} for owner in owners}
    oldest = today - timedelta(days=trend_days.SPAN - 1)
    for start in range(0, len(owners), 500):
        rows = session.exec(
            select(ImpactDay.owner_id, col(ImpactDay.day), ImpactDay.tickets).where(
                col(ImpactDay.owner_id).in_(list(owners[start : start + 500])),
                col(ImpactDay.day) >= oldest,
            )
        ).all()
        for owner, day, tickets in rows:
            found[owner][day.toordinal()] = tickets
    return found
