"""A message being sent: the moment its request goes out, and senders that died.

A sender claims a message (`outbound`: `pending` to `sending`), prepares it (its recipients,
a won't-fix's reason from Jira) and notes, just before its request to the reader's server (a
helpdesk, Slack, SMTP), that the request is going out (`going_out`: `outbound.request_at`).
A sender that died before then left nothing that may have arrived: its message is due again.
One that died after may have been read: its message is given up as possibly sent, never
sent twice (`voice-router outbound failed`, `outbound resend`). A sender whose message was
taken back meanwhile (a runner that took over from its process, taking it for dead) sends
nothing: the note that the request is going out is made only while the row is still its.
"""

from __future__ import annotations

import logging
from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import col, select

from voice_router.closing.corrections import went_out
from voice_router.closing.notify import MAYBE_SENT
from voice_router.models import Outbound, Problem
from voice_router.platform import metrics
from voice_router.platform.clock import to_utc, utcnow
from voice_router.platform.db import session_scope

log = logging.getLogger(__name__)

SENDING_STALE = timedelta(minutes=15)


class TakenBack(Exception):
    """The row is no longer this sender's: it was taken back while the message was being
    prepared (by a runner that took over from this process, which it took for dead)."""


class NotNoted(Exception):
    """The database could not take the note that the request is going out: nothing was
    sent, and the message is tried again after a backoff (`transient`)."""

    transient = True
    reason = "database"


def going_out(engine: Engine, row: Outbound) -> None:
    """Just before the request to the reader's server: note that it is going out, if the
    row is still this sender's (`TakenBack` if not: nothing is sent). Until then a sender
    that dies leaves nothing that may have arrived (`give_up_interrupted`)."""
    try:
        noted = _note_going_out(engine, row)
    except sa.exc.SQLAlchemyError as exc:
        raise NotNoted(type(exc).__name__) from exc
    if not noted:
        raise TakenBack()


def _note_going_out(engine: Engine, row: Outbound) -> bool:
    with session_scope(engine) as session:
        noted = session.execute(
            sa.update(Outbound)
            .where(
                col(Outbound.id) == row.id,
                col(Outbound.status) == "sending",
                col(Outbound.attempts) == row.attempts,
                col(Outbound.request_at).is_(None),
            )
            .values(request_at=utcnow())
            .execution_options(synchronize_session=False)
        )
        return bool(noted.rowcount == 1)  # type: ignore[attr-defined]  # a CursorResult's


def give_up_interrupted(engine: Engine, older_than: timedelta = SENDING_STALE) -> int:
    """Messages whose sending began longer ago than `older_than` and never finished (the
    sender died): those whose request went out may have arrived, and are recorded as
    failed, never sent again; the others are due again at once (not counted here)."""
    now = utcnow()
    given_up = 0
    with session_scope(engine) as session:
        for row in session.exec(select(Outbound).where(Outbound.status == "sending")):
            if row.next_attempt_at and now - to_utc(row.next_attempt_at) < older_than:
                continue
            if row.request_at is None:  # it died preparing the message: nothing left
                row.status, row.next_attempt_at = "pending", now
                row.last_error = "interrupted before its request went out; sent again"
                session.add(row)
                log.info("outbound.resumed", extra={"outbound_id": row.id})
                continue
            row.status = "failed"
            row.last_error = f"interrupted while sending; {MAYBE_SENT}"
            # As one that went out: what it named is what its reader heard last.
            problem = session.get(Problem, row.problem_id)
            version = problem.jira_fix_version if problem is not None else None
            for name, value in went_out(row, version).items():
                setattr(row, name, value)
            session.add(row)
            given_up += 1
            # As a send that failed is: it was given up silently (fault audit).
            log.warning(
                "outbound.failed",
                extra={
                    "outbound_id": row.id,
                    "reason": "interrupted",
                    "outcome": row.outcome,
                    "maybe_sent": True,
                },
            )
            metrics.notification(row.channel, "failed")
    return given_up


def pending_outbound(engine: Engine) -> list[int]:
    """Ids of outbound messages due now; stale claims are given up as uncertain."""
    give_up_interrupted(engine)
    now = utcnow()
    with session_scope(engine) as session:
        return list(
            session.exec(
                select(Outbound.id).where(
                    Outbound.status == "pending", col(Outbound.next_attempt_at) <= now
                )
            ).all()
        )
