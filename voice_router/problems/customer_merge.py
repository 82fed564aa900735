"""Two customer rows found to be one person become one: a helpdesk that knows its customer by
id sends an address another customer row already has (the person had also written from it,
through another helpdesk). The row the helpdesk id names survives and takes the address;
the other row's pain points, helpdesk ids, notices and digest entries move to it, and the
row goes. Counts move by the difference, as processing's own (`impact_delta`).

Two steps in one batch: `free_address` when `Directory.customer` meets the clash (so the
survivor can take the address at once), `merge_into` once the batch's pain points are
written (so every pain point of the other row, the batch's own too, moves).

An address a row gives up stays known as one it had (`customeralias`, hashed as the audit
hashes one), so `voice-router forget` given a former address still finds the person."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col

from voice_router.models import (
    Customer,
    CustomerAlias,
    CustomerIdentity,
    CustomerNotice,
    DigestCustomer,
    PainPoint,
)
from voice_router.platform.clock import to_utc
from voice_router.platform.upsert import insert_missing
from voice_router.problems.forget_late import subject_hash
from voice_router.problems.impact_delta import Change, Report


def free_address(session: Session, customer_id: int) -> None:
    """The row that is to go gives up its address (locked first on PostgreSQL: a batch that
    would give it a new pain point waits, and once it goes, fails and runs again)."""
    locked = sa.select(col(Customer.id)).where(col(Customer.id) == customer_id)
    session.execute(locked.with_for_update())
    session.execute(sa.update(Customer).where(col(Customer.id) == customer_id).values(email=None))


def remember(session: Session, former: Iterable[tuple[int, str]]) -> None:
    """(customer id, an address they had before) recorded as their aliases: one INSERT, none
    when there are none. Only the address's sha256 is stored."""
    rows = [{"customer_id": c, "email_hash": subject_hash(e)} for c, e in sorted(set(former))]
    insert_missing(session, CustomerAlias, rows)


def gave_up(session: Session, customer_id: int, email: str) -> bool:
    """Whether the customer had the address `email` before (one of their `customeralias`)."""
    alias = sa.select(col(CustomerAlias.customer_id)).where(
        col(CustomerAlias.customer_id) == customer_id,
        col(CustomerAlias.email_hash) == subject_hash(email),
    )
    return session.execute(alias).first() is not None


@dataclass
class Merged:
    changes: list[Change] = field(default_factory=list)  # each moved active pain point
    problems: set[int] = field(default_factory=set)  # whose pain points moved


def merge_into(session: Session, survivors: Mapping[int, int]) -> Merged:
    """Every row of `survivors` (gone row id -> surviving row id) made one with its
    survivor. Call after the batch's pain points are written; returns the impact changes
    the moves make, for `impact_delta.apply`."""
    merged = Merged()
    for gone, kept in sorted(survivors.items()):
        _move_pain_points(session, gone, kept, merged)
        _move(session, CustomerIdentity, gone, kept, None)
        _move(session, CustomerAlias, gone, kept, col(CustomerAlias.email_hash))
        _move(session, CustomerNotice, gone, kept, col(CustomerNotice.problem_id))
        _move(session, DigestCustomer, gone, kept, col(DigestCustomer.outbound_id))
        name, account_id = session.execute(
            sa.select(col(Customer.name), col(Customer.account_id)).where(col(Customer.id) == gone)
        ).one()
        survivor = sa.update(Customer).where(col(Customer.id) == kept)
        # What the survivor does not know of the person, the other row may.
        session.execute(survivor.where(col(Customer.name).is_(None)).values(name=name))
        session.execute(
            survivor.where(col(Customer.account_id).is_(None)).values(account_id=account_id)
        )
        session.execute(sa.delete(Customer).where(col(Customer.id) == gone))
    return merged


def _move_pain_points(session: Session, gone: int, kept: int, merged: Merged) -> None:
    table = PainPoint.__table__  # type: ignore[attr-defined]  # SQLModel leaves __table__ undeclared
    moved = session.execute(
        sa.update(table)
        .where(table.c.customer_id == gone)
        .values(customer_id=kept)
        .returning(
            table.c.problem_id,
            table.c.account_id,
            table.c.reported_at,
            table.c.last_event_at,
            table.c.removed_at,
        )
    ).all()
    for problem_id, account_id, reported_at, last_event_at, removed_at in moved:
        merged.problems.add(problem_id)
        if removed_at is None:
            at = (to_utc(reported_at), to_utc(last_event_at))
            merged.changes.append(
                (
                    [Report(problem_id, gone, account_id, *at)],
                    [Report(problem_id, kept, account_id, *at)],
                )
            )


def _move(session: Session, model: Any, gone: int, kept: int, unique_with: Any) -> None:
    """The gone row's entries of `model` become the survivor's; where the survivor has one
    already (unique together with `unique_with`), the gone row's is dropped."""
    customer_id = model.customer_id
    if unique_with is not None:
        theirs = sa.select(unique_with).where(customer_id == kept)
        session.execute(sa.delete(model).where(customer_id == gone, unique_with.in_(theirs)))
    session.execute(sa.update(model).where(customer_id == gone).values(customer_id=kept))
