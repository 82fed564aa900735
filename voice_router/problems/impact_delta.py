"""Impact kept by difference: a batch changes the counts by what it changed, instead of
recounting every pain point of each problem it touched (which slowed processing down as
tables grew).

A batch knows each touched ticket's pain points before (as preloaded) and after (read back
once the batch is written). From the two it works out, for every merge group the ticket
counts in:

- the customer and account tallies (`impactmember`): a customer counts while at least one
  active pain point of the group names them — `customers` moves when a tally leaves or
  reaches zero, and `mrr` by that account's MRR;
- `tickets` and the new tickets per day (`impactday`): a ticket counts once, on the day of
  its earliest active pain point in the group;
- `first_seen` / `last_seen`, asked again from the pain points only when the report that
  held one of them went away.

The owners' problem rows are locked first (on PostgreSQL), so two workers touching one
problem take turns and each sees the other's committed tallies. `impact_recount` counts
the same things from scratch; the property test holds the two equal.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields
from datetime import date, datetime
from decimal import Decimal
from typing import Any, NamedTuple

import sqlalchemy as sa
from sqlmodel import Session, SQLModel, col, select

from voice_router.models import Account, ImpactDay, ImpactMember, PainPoint, Problem
from voice_router.platform.clock import to_utc, utcnow
from voice_router.platform.upsert import (
    add_many,
    among,
    delete_many,
    update_many,
)
from voice_router.problems import trend_days
from voice_router.problems.impact import (
    ancestors_in,
    children_of,
    group_of,
    lock_owners,
    recent_days,
)


class Report(NamedTuple):
    """An active pain point, as far as impact goes. A tuple: a batch makes and compares a few
    thousand, and a frozen dataclass costs three times as much to make and six to compare."""

    problem_id: int
    customer_id: int
    account_id: int | None
    reported_at: datetime
    last_event_at: datetime


def report_of(pain_point: Any) -> Report | None:
    """The report of a pain point (an ORM object or a plain record), None if removed."""
    if pain_point.removed_at is not None:
        return None
    return Report(
        pain_point.problem_id,
        pain_point.customer_id,
        pain_point.account_id,
        to_utc(pain_point.reported_at),
        to_utc(pain_point.last_event_at),
    )


Change = tuple[list[Report], list[Report]]  # one ticket's active pain points: before, after


def reports_now(session: Session, source: str, tickets: Iterable[str]) -> dict[str, list[Report]]:
    """ticket id -> its active pain points in `source`, as this transaction sees them."""
    found: dict[str, list[Report]] = defaultdict(list)
    tickets = sorted(tickets)
    for start in range(0, len(tickets), 500):
        rows = session.exec(
            select(  # type: ignore[call-overload]  # SQLModel types select() up to 4 columns
                PainPoint.ticket_id,
                PainPoint.problem_id,
                PainPoint.customer_id,
                PainPoint.account_id,
                PainPoint.reported_at,
                PainPoint.last_event_at,
            ).where(
                PainPoint.source == source,
                among(session, PainPoint.ticket_id, tickets[start : start + 500]),
                col(PainPoint.removed_at).is_(None),
            )
        ).all()
        for ticket, problem, customer, account, reported, last in rows:
            found[ticket].append(Report(problem, customer, account, to_utc(reported), to_utc(last)))
    return found


@dataclass
class _Delta:
    members: dict[tuple[int, str, int], int]
    tickets: dict[int, int]
    days: dict[tuple[int, date], int]
    gone: dict[int, list[Report]]  # owner -> reports it lost (first/last seen may move)
    came: dict[int, list[Report]]  # owner -> reports it gained


def _delta(changes: Sequence[Change], chains: dict[int, list[int]]) -> _Delta:
    delta = _Delta(defaultdict(int), defaultdict(int), defaultdict(int), {}, {})
    for before, after in changes:
        lost = [r for r in before if r not in after]
        gained = [r for r in after if r not in before]
        if not lost and not gained:
            continue
        for sign, reports in ((-1, lost), (1, gained)):
            for report in reports:
                for owner in chains[report.problem_id]:
                    delta.members[(owner, "c", report.customer_id)] += sign
                    if report.account_id is not None:
                        delta.members[(owner, "a", report.account_id)] += sign
                    (delta.gone if sign < 0 else delta.came).setdefault(owner, []).append(report)
        owners = {o for r in (*lost, *gained) for o in chains[r.problem_id]}
        for owner in owners:
            old = _first(before, owner, chains)
            new = _first(after, owner, chains)
            delta.tickets[owner] += (new is not None) - (old is not None)
            if old != new:
                if old is not None:
                    delta.days[(owner, old)] -= 1
                if new is not None:
                    delta.days[(owner, new)] += 1
    return delta


def _first(reports: list[Report], owner: int, chains: dict[int, list[int]]) -> date | None:
    days = [r.reported_at for r in reports if owner in chains[r.problem_id]]
    return min(days).date() if days else None


@dataclass
class Counts:
    """A problem's stored impact as a batch moves it: a plain copy of its locked row,
    written back with one UPDATE for the batch."""

    id: int
    customers: int
    accounts: int
    mrr: Decimal
    tickets: int
    first_seen: datetime | None
    last_seen: datetime | None
    trend_day: date | None
    trend_7d: int
    trend_30d: int
    recent: str


COUNT_COLUMNS = [Problem.__table__.c[f.name] for f in fields(Counts) if f.name != "id"]  # type: ignore[attr-defined]  # SQLModel leaves __table__ undeclared


def apply(session: Session, changes: Sequence[Change], repriced: Iterable[int] = ()) -> set[int]:
    """Move the stored counts by what `changes` did; `repriced`: problems with an account
    whose MRR changed (their `mrr` is summed again). Returns the owners it updated."""
    problem_ids = {r.problem_id for before, after in changes for r in (*before, *after)}
    repriced = set(repriced)
    if not problem_ids and not repriced:
        return set()
    parents, rows = lock_owners(session, problem_ids | repriced, COUNT_COLUMNS)
    problems = {pid: Counts(*row) for pid, row in rows.items()}
    chains = {pid: _chain(parents, pid) for pid in problem_ids}
    delta = _delta(changes, chains)
    flips = _tally(session, delta.members)
    owners = set(flips) | set(delta.tickets) | set(delta.came) | set(delta.gone)
    resum = ancestors_in(parents, repriced)
    mrr = _account_mrr(session, {m for f in flips.values() for kind, m in f if kind == "a"})
    _add_days(session, delta.days)
    now = utcnow()
    steps: dict[int, list[tuple[date, int]]] = defaultdict(list)
    for (owner, day), step in delta.days.items():
        steps[owner].append((day, step))
    unfilled: dict[int, Counts] = {}
    for owner in owners | resum:
        problem = problems.get(owner)
        if problem is None:
            continue
        for (kind, member), step in flips.get(owner, {}).items():
            if kind == "c":
                problem.customers += step
            else:
                problem.accounts += step
                problem.mrr = Decimal(problem.mrr) + step * mrr.get(member, Decimal(0))
        problem.tickets += delta.tickets.get(owner, 0)
        _seen(problem, delta.came.get(owner, []), delta.gone.get(owner, []))
        if owner in steps and not trend_days.moved(problem, steps[owner], now.date()):
            unfilled[owner] = problem
    stale = [o for o in owners if o in problems and _needs_asking(problems[o], delta, o)]
    _ask_seen(session, parents, {o: problems[o] for o in stale})
    _sum_mrr(session, {o: problems[o] for o in resum if o in problems})
    refill_trends(session, unfilled, now.date())
    written = sorted((owners | resum) & problems.keys())
    update_many(
        session,
        _table(Problem),
        ["id"],
        [{**vars(problems[pid]), "updated_at": now} for pid in written],  # asdict deep-copies
    )
    return owners | resum


def refill_trends(session: Session, problems: dict[int, Counts], today: date) -> None:
    """Fill the rows' trend copy from `impactday` (a row never filled, or from a later day)."""
    for owner, days in recent_days(session, list(problems), today).items():
        trend_days.store(problems[owner], days, today)


def _chain(parents: dict[int, int], problem_id: int) -> list[int]:
    chain: list[int] = []
    current: int | None = problem_id
    while current is not None and current not in chain:
        chain.append(current)
        current = parents.get(current)
    return chain


def _tally(
    session: Session, deltas: dict[tuple[int, str, int], int]
) -> dict[int, dict[tuple[str, int], int]]:
    """Apply the tally changes; owner -> {(kind, member): +1 or -1} for tallies that reached
    or left zero. A tally at zero or below (below only if counts had drifted: --check says
    so) is deleted."""
    steps = {key: d for key, d in deltas.items() if d}
    table = _table(ImpactMember)
    keys = ["owner_id", "kind", "member_id"]
    flips: dict[int, dict[tuple[str, int], int]] = defaultdict(dict)
    emptied: list[tuple[int, str, int]] = []
    for owner, kind, member, n in add_many(session, table, keys, "n", steps):
        old = n - steps[(owner, kind, member)]
        if (old > 0) != (n > 0):
            flips[owner][(kind, member)] = 1 if n > 0 else -1
        if n <= 0:
            emptied.append((owner, kind, member))
    delete_many(session, table, keys, emptied)
    return flips


def _table(model: type[SQLModel]) -> sa.Table:
    """The model's table: rows inserted through it skip the ORM's per-row bookkeeping."""
    return model.__table__  # type: ignore[attr-defined, no-any-return]  # SQLModel leaves __table__ undeclared


def _add_days(session: Session, deltas: dict[tuple[int, date], int]) -> None:
    steps = {key: n for key, n in deltas.items() if n}
    keys = ["owner_id", "day"]
    found = add_many(session, _table(ImpactDay), keys, "tickets", steps)
    delete_many(session, _table(ImpactDay), keys, [row[:2] for row in found if row[2] <= 0])


def _account_mrr(session: Session, accounts: set[int]) -> dict[int, Decimal]:
    if not accounts:
        return {}
    found: dict[int, Decimal] = {}
    ids = sorted(accounts)
    for start in range(0, len(ids), 500):
        found.update(
            (account, Decimal(mrr or 0))
            for account, mrr in session.exec(
                select(Account.id, col(Account.mrr)).where(
                    among(session, Account.id, ids[start : start + 500])
                )
            )
        )
    return found


def _seen(problem: Counts, came: list[Report], gone: list[Report]) -> None:
    """first_seen / last_seen widened by the reports gained; narrowed later by `_ask_seen`
    when a report that held one of them went away."""
    if came:
        first = min(r.reported_at for r in came)
        last = max(r.last_event_at for r in came)
        if problem.first_seen is None or first < to_utc(problem.first_seen):
            problem.first_seen = first
        if problem.last_seen is None or last > to_utc(problem.last_seen):
            problem.last_seen = last


def _needs_asking(problem: Counts, delta: _Delta, owner: int) -> bool:
    gone = delta.gone.get(owner)
    if not gone:
        return False
    if problem.tickets == 0 or problem.first_seen is None or problem.last_seen is None:
        return True
    first, last = to_utc(problem.first_seen), to_utc(problem.last_seen)
    return any(r.reported_at <= first or r.last_event_at >= last for r in gone)


def _ask_seen(session: Session, parents: dict[int, int], problems: dict[int, Counts]) -> None:
    if not problems:
        return
    children = children_of(parents)
    for owner, problem in problems.items():
        first, last = session.exec(
            select(sa.func.min(PainPoint.reported_at), sa.func.max(PainPoint.last_event_at)).where(
                col(PainPoint.problem_id).in_(group_of(owner, children)),
                col(PainPoint.removed_at).is_(None),
            )
        ).one()
        problem.first_seen, problem.last_seen = first, last


def problems_of_accounts(session: Session, account_ids: Sequence[int]) -> set[int]:
    """Problems with a pain point of one of these accounts: those whose MRR is to be summed
    again when the accounts' MRR changed (`apply`'s `repriced`: a batch's events, or
    `import-accounts`)."""
    if not account_ids:
        return set()
    return set(
        session.exec(
            select(PainPoint.problem_id)
            .where(among(session, PainPoint.account_id, account_ids))
            .distinct()
        ).all()
    )


def _sum_mrr(session: Session, problems: dict[int, Counts]) -> None:
    """MRR summed again over each owner's accounts (some account's MRR changed)."""
    if not problems:
        return
    sums = dict(
        session.exec(
            select(ImpactMember.owner_id, sa.func.coalesce(sa.func.sum(Account.mrr), 0))
            .join(Account, col(Account.id) == ImpactMember.member_id)
            .where(
                col(ImpactMember.owner_id).in_(list(problems)),
                ImpactMember.kind == "a",
                ImpactMember.n > 0,
            )
            .group_by(col(ImpactMember.owner_id))
        ).all()
    )
    for owner, problem in problems.items():
        problem.mrr = Decimal(sums.get(owner, 0))  # type: ignore[arg-type]  # coalesce: no None
