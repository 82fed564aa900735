"""Read-only views over a problem's pain points that the API does not serve itself: the
accounts behind a problem, and what a merge would add up to before anyone confirms it.

The preview counts with `impact.group_impact` and checks `merging.refusal`, the very
functions the merge itself uses, so it shows the numbers the merge will store and refuses
what the merge would refuse.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import sqlalchemy as sa
from sqlmodel import Session, col, select

from voice_router.models import Account, PainPoint, Problem
from voice_router.platform.errors import NotFound
from voice_router.problems import impact, merging


@dataclass(frozen=True)
class AccountRow:
    name: str
    domain: str | None
    plan: str | None
    mrr: Decimal | None
    customers: int
    tickets: int


def accounts_for(session: Session, problem_id: int) -> tuple[list[AccountRow], int]:
    """The accounts whose people reported the problem, by MRR; and how many customers
    reported it without an account (free-mail senders)."""
    group = impact.merge_group(session, problem_id)
    ticket = PainPoint.source + sa.literal(":") + PainPoint.ticket_id
    rows = session.exec(
        select(  # type: ignore[call-overload]  # SQLModel types select() up to 4 columns
            Account.id,
            Account.name,
            Account.domain,
            Account.plan,
            Account.mrr,
            sa.func.count(sa.distinct(col(PainPoint.customer_id))),
            sa.func.count(sa.distinct(ticket)),
        )
        .join(Account, col(Account.id) == PainPoint.account_id)
        .where(*impact.active_in(group))
        .group_by(Account.id, Account.name, Account.domain, Account.plan, Account.mrr)
        .order_by(col(Account.mrr).desc().nulls_last(), col(Account.id))
    ).all()
    without = session.exec(
        select(sa.func.count(sa.distinct(col(PainPoint.customer_id)))).where(
            *impact.active_in(group), col(PainPoint.account_id).is_(None)
        )
    ).one()
    accounts = [
        AccountRow(name or domain or "?", domain, plan, mrr, customers, tickets)
        for _id, name, domain, plan, mrr, customers, tickets in rows
    ]
    return accounts, without


@dataclass(frozen=True)
class MergePreview:
    merged: Problem  # disappears into `survivor`
    survivor: Problem
    merged_counts: impact.Impact
    survivor_counts: impact.Impact
    combined: impact.Impact
    refusal: str | None  # why the merge would be refused, or None


def merge_preview(session: Session, problem_id: int, into_id: int) -> MergePreview:
    merged = session.get(Problem, problem_id)
    survivor = session.get(Problem, into_id)
    if merged is None or survivor is None:
        raise NotFound(f"no problem {problem_id if merged is None else into_id}")
    children = impact.merge_children(session)
    merged_group = impact.group_of(problem_id, children)
    survivor_group = impact.group_of(into_id, children)
    counts = impact.group_impact(
        session,
        {0: merged_group, 1: survivor_group, 2: sorted(set(merged_group) | set(survivor_group))},
    )
    refused = merging.refusal(session, merged, survivor)
    return MergePreview(
        merged=merged,
        survivor=survivor,
        merged_counts=counts[0],
        survivor_counts=counts[1],
        combined=counts[2],
        refusal=refused[0].upper() + refused[1:] + "." if refused else None,
    )


def merge_targets(session: Session, problem_id: int, limit: int = 500) -> list[Problem]:
    """Problems this one could be merged into: the others still standing, by impact."""
    return list(
        session.exec(
            select(Problem)
            .where(col(Problem.merged_into_id).is_(None), Problem.id != problem_id)
            .order_by(col(Problem.customers).desc(), col(Problem.tickets).desc(), col(Problem.id))
            .limit(limit)
        ).all()
    )


def merged_into_this(session: Session, problem_id: int) -> list[Problem]:
    return list(
        session.exec(
            select(Problem).where(Problem.merged_into_id == problem_id).order_by(col(Problem.id))
        ).all()
    )
