"""Turning stored deliveries into pain points, a batch per transaction.

A batch claims due deliveries, parses them, applies them all inside one savepoint (or, when
that fails, each inside its own), recomputes the impact of the problems it touched once,
and commits. A worker killed mid-batch commits nothing, so
the same deliveries are simply claimed again; applying them twice changes nothing.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from voice_router import applying, impact, metrics, shipping
from voice_router.applying import retry_delay
from voice_router.clock import utcnow
from voice_router.db import session_scope
from voice_router.models import Delivery, PainPoint
from voice_router.settings import Settings

log = logging.getLogger(__name__)


@dataclass
class BatchResult:
    claimed: int = 0
    processed: int = 0
    retrying: int = 0
    failed: int = 0
    changes: int = 0
    touched: set[int] = field(default_factory=set)
    shipped: set[int] = field(default_factory=set)


__all__ = ["BatchResult", "drain", "next_retry_in", "process_batch", "replay", "retry_delay"]


def _claim(session: Session, limit: int) -> list[Delivery]:
    statement = (
        select(Delivery)
        .where(Delivery.status == "pending", col(Delivery.next_attempt_at) <= utcnow())
        .order_by(col(Delivery.id))
        .limit(limit)
    )
    if session.get_bind().dialect.name == "postgresql":
        statement = statement.with_for_update(skip_locked=True)
    return list(session.exec(statement).all())


def process_batch(engine: Engine, settings: Settings, limit: int | None = None) -> BatchResult:
    result = BatchResult()
    with session_scope(engine) as session:
        deliveries = _claim(session, limit or settings.process_batch_size)
        result.claimed = len(deliveries)
        parsed = applying.parse(settings, deliveries)
        good = []
        for delivery in deliveries:
            failure = parsed.get(delivery.id)
            if isinstance(failure, Exception):
                applying.record_failure(session, settings, delivery, failure, result)
            else:
                good.append(delivery)
        # Fast path: the whole batch in one savepoint, flushed once. Should anything fail,
        # undo it and apply each delivery in its own savepoint, so one bad delivery is
        # recorded as failed and the others still go through.
        batch = session.begin_nested()
        try:
            run = applying.apply(session, settings, good, parsed, savepoints=False)
            session.flush()
            batch.commit()
        except Exception as exc:
            batch.rollback()
            log.info("batch.one_by_one", extra={"error": type(exc).__name__})
            run = applying.apply(session, settings, good, parsed, savepoints=True)
        applying.mark_processed(session, run.done)
        attachers, jira = run.attachers, run.jira
        for name in ("processed", "retrying", "failed"):
            setattr(result, name, getattr(result, name) + getattr(run, name))
        touched = set().union(*(a.touched for a in attachers)) if attachers else set()
        repriced = set().union(*(a.directory.mrr_changed for a in attachers))
        if repriced:
            session.flush()
            touched |= set(
                session.exec(
                    select(PainPoint.problem_id)
                    .where(col(PainPoint.account_id).in_(repriced))
                    .distinct()
                ).all()
            )
        impact.recompute(session, touched)
        attached = [pair for a in attachers for pair in a.attached]
        regressed = shipping.detect_regressions(session, attached)
        result.touched = impact.ancestors(session, touched) | jira.touched | set(regressed)
        result.shipped = {t.problem_id for t in jira.transitions}
        result.changes = sum(a.changes for a in attachers) + len(jira.transitions)
    metrics.batch(result)  # committed: count it
    return result


def drain(engine: Engine, settings: Settings, max_batches: int | None = None) -> BatchResult:
    """Process batches until nothing is due (or `max_batches` ran)."""
    total = BatchResult()
    batches = 0
    while max_batches is None or batches < max_batches:
        batch = process_batch(engine, settings)
        batches += 1
        for name in ("claimed", "processed", "retrying", "failed", "changes"):
            setattr(total, name, getattr(total, name) + getattr(batch, name))
        total.touched |= batch.touched
        total.shipped |= batch.shipped
        if batch.claimed < settings.process_batch_size:
            break
    return total


def next_retry_in(engine: Engine) -> timedelta | None:
    """How long until the earliest delivery waiting for a retry is due, if any."""
    with Session(engine) as session:
        due = session.exec(
            select(Delivery.next_attempt_at)
            .where(Delivery.status == "pending")
            .order_by(col(Delivery.next_attempt_at))
            .limit(1)
        ).first()
    if due is None:
        return None
    return max(timedelta(0), due - utcnow())


def replay(engine: Engine, delivery_ids: list[int] | None) -> int:
    """Put failed deliveries (all of them when `delivery_ids` is None) back in the inbox."""
    with session_scope(engine) as session:
        statement = select(Delivery).where(col(Delivery.status).in_(("failed", "invalid")))
        if delivery_ids is not None:
            statement = statement.where(col(Delivery.id).in_(delivery_ids))
        rows = list(session.exec(statement).all())
        for delivery in rows:
            delivery.status = "pending"
            delivery.attempts = 0
            delivery.next_attempt_at = utcnow()
            session.add(delivery)
    return len(rows)
