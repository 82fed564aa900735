"""Which customers an agent has heard of for a fix: the ones a sent digest of the shipped
news named to them, for any problem of the merge group.

A problem whose agents were told, then merged into another, brings its customers along: when
the survivor ships, or when a problem is merged into a survivor that shipped already, the
agent's digest names only the customers they have not heard of for this fix. A regression
makes the next fix new news (everyone hears again), and so does a digest whose news changed
(won't fix, then fixed after all).

The same records say whom a warning is about (a digest of the "regressed" news: the fix
came back; of the "reopened" news: its Jira issue was reopened): the customers its agent was
told of when the fix shipped.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session, col, select

from voice_router.models import DigestCustomer, Outbound
from voice_router.platform.clock import utcnow
from voice_router.platform.settings import Settings
from voice_router.problems import impact

DIGESTS = ("slack", "email")
# News for the agents told of a fix, about whom they were told of: it came back; its issue
# was reopened; it was not released after all (a heads-up, sent after a grace period).
HEADS_UPS = ("reopened", "unreleased")
WARNINGS = ("regressed", *HEADS_UPS)
# A ticket's follow-up when the fix its note said shipped was closed as won't fix after all
# (notes_back.py): kept, as a heads-up is, for the issue being Done as fixed again first.
WONT_FIX = "wont_fix"


def heads_up(channel: str, outcome: str) -> bool:
    """Whether a row with this news keeps the shipped news it carried until it is sent, so
    that the news it follows up can be taken back (regression.take_back_reopen)."""
    return outcome in HEADS_UPS or (channel == "writeback" and outcome == WONT_FIX)


def channels(settings: Settings) -> tuple[str, ...]:
    """The channels agents' digests go by, as configured: Slack and/or e-mail."""
    notify = settings.notify
    return tuple(
        channel
        for channel, url in (("slack", notify.slack_webhook_url), ("email", notify.smtp_url))
        if url
    )


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


def record_told(session: Session, row: Outbound, customer_ids: Iterable[int]) -> None:
    """The customers a digest of the shipped news named, as it is recorded sent."""
    if row.channel in DIGESTS and row.outcome == "shipped":
        record_named(session, row.id, customer_ids)


def record_named(session: Session, outbound_id: int, customer_ids: Iterable[int]) -> None:
    known = session.exec(
        select(DigestCustomer.customer_id).where(DigestCustomer.outbound_id == outbound_id)
    ).all()
    for customer_id in sorted(set(customer_ids) - set(known)):
        session.add(DigestCustomer(outbound_id=outbound_id, customer_id=customer_id))


def named_by(session: Session, outbound_ids: Iterable[int]) -> dict[int, set[int]]:
    """outbound id -> the customers recorded for it (told of a fix, or to warn)."""
    found: dict[int, set[int]] = {}
    ids = sorted(set(outbound_ids))
    if ids:
        for outbound_id, customer_id in session.exec(
            select(DigestCustomer.outbound_id, DigestCustomer.customer_id).where(
                col(DigestCustomer.outbound_id).in_(ids)
            )
        ):
            found.setdefault(outbound_id, set()).add(customer_id)
    return found


def to_warn(session: Session, row: Outbound) -> frozenset[int]:
    """The customers a warning (`row`: the fix came back, or its issue was reopened) is
    about: those its agent was told of, recorded when it was owed (closing/regression.py)."""
    if row.channel not in DIGESTS or row.outcome not in WARNINGS:
        return frozenset()
    return frozenset(named_by(session, [row.id]).get(row.id, ()))


def let_go(session: Session, outbound_ids: Iterable[int]) -> None:
    """These digests' customers count as told no more (their news changed)."""
    ids = sorted(set(outbound_ids))
    if ids:
        session.execute(sa.delete(DigestCustomer).where(col(DigestCustomer.outbound_id).in_(ids)))


def rearm(session: Session, row: Outbound, outcome: str, due: datetime | None = None) -> None:
    """The message is owed again, now (or from `due` on), with this news; whom the old news
    named hear the new one too. Shipped news owed instead of a warning says what became of
    the fix the warning was about. A note's result stays until the next note's replaces it: it
    says which ticket the reported one was merged into (notify.moved_tickets)."""
    if row.outcome != outcome:
        let_go(session, [row.id])
    if outcome == "shipped" and row.outcome in WARNINGS:
        row.amends = row.outcome  # the fix they heard of did not hold (corrections.py)
    elif outcome == WONT_FIX and row.channel in DIGESTS:
        # Whether the agent heard it was fixed: the won't-fix digest then says so (outbound.py).
        row.amends = "shipped" if row.outcome == "shipped" and row.sent_at is not None else None
    row.status, row.outcome, row.sent_at = "pending", outcome, None
    row.attempts, row.next_attempt_at, row.last_error = 0, due or utcnow(), None
    session.add(row)


def fix_told_in(session: Session, group: list[int], channel: str, target: str) -> str | None:
    """The versions the shipped news that went out to this reader (a ticket, an agent) for a
    problem of the group named: for a warning's row made for the root, when that news went
    out for a problem merged into it since."""
    return session.exec(
        select(Outbound.fix_told).where(
            col(Outbound.problem_id).in_(group),
            Outbound.channel == channel,
            Outbound.target == target,
            col(Outbound.fix_told).is_not(None),
        )
    ).first()
