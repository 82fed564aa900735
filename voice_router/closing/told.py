"""Which customers an agent has heard of for a fix: the ones a sent digest of the shipped
news named to them, for any problem of the merge group.

A problem whose agents were told, then merged into another, brings its customers along: when
the survivor ships, or when a problem is merged into a survivor that shipped already, the
agent's digest names only the customers they have not heard of for this fix. A regression
makes the next fix new news (everyone hears again), and so does a digest whose news changed
(won't fix, then fixed after all).
"""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa
from sqlmodel import Session, col, select

from voice_router.models import DigestCustomer, Outbound
from voice_router.problems import impact

DIGESTS = ("slack", "email")


def told_of_fix(session: Session, row: Outbound) -> frozenset[int]:
    """The customers the agent of this digest (`row`) heard of through the same channel for
    the fix it announces, from any problem of its merge group; none for other news (a
    warning of a regression, a won't-fix, names everyone)."""
    if row.channel not in DIGESTS or row.outcome != "shipped":
        return frozenset()
    group = impact.merge_group(session, row.problem_id)
    found = session.exec(
        select(DigestCustomer.customer_id)
        .join(Outbound, col(Outbound.id) == col(DigestCustomer.outbound_id))
        .where(
            col(Outbound.problem_id).in_(group),
            Outbound.channel == row.channel,
            Outbound.target == row.target,
            Outbound.outcome == "shipped",  # sent, or sent and owed again since (a merge)
        )
    ).all()
    return frozenset(found)


def heard_of_fix(session: Session, problem_id: int) -> set[tuple[str, str]]:
    """(channel, agent) of every digest that told of the fix of this problem's merge group:
    this problem's sent digests of the shipped news, and those of any problem of the group
    that named customers (a problem told, then merged into this one)."""
    group = impact.merge_group(session, problem_id)
    named = (
        select(DigestCustomer.customer_id)
        .where(col(DigestCustomer.outbound_id) == col(Outbound.id))
        .exists()
    )
    found = session.exec(
        select(Outbound.channel, Outbound.target).where(
            col(Outbound.problem_id).in_(group),
            col(Outbound.channel).in_(DIGESTS),
            Outbound.outcome == "shipped",
            col(Outbound.sent_at).is_not(None),
            sa.or_(col(Outbound.problem_id) == problem_id, named),
        )
    ).all()
    return {(channel, target) for channel, target in found}


def record_told(session: Session, row: Outbound, customer_ids: Iterable[int]) -> None:
    """The customers a digest of the shipped news named, as it is recorded sent."""
    if row.channel not in DIGESTS or row.outcome != "shipped":
        return
    known = session.exec(
        select(DigestCustomer.customer_id).where(DigestCustomer.outbound_id == row.id)
    ).all()
    for customer_id in sorted(set(customer_ids) - set(known)):
        session.add(DigestCustomer(outbound_id=row.id, customer_id=customer_id))


def let_go(session: Session, outbound_ids: Iterable[int]) -> None:
    """These digests' customers count as told no more (their news changed)."""
    ids = sorted(set(outbound_ids))
    if ids:
        session.execute(sa.delete(DigestCustomer).where(col(DigestCustomer.outbound_id).in_(ids)))


def let_go_of_group(session: Session, problem_id: int) -> None:
    """The fix of this problem's merge group regressed: whoever was told of it hears of the
    next fix again, through whichever problem of the group they heard."""
    group = impact.merge_group(session, problem_id)
    ids = session.exec(select(Outbound.id).where(col(Outbound.problem_id).in_(group))).all()
    let_go(session, ids)
