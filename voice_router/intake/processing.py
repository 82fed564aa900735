"""Turning stored deliveries into pain points, a batch per transaction.

A batch claims due deliveries, parses them, applies them all at once, moves the impact
counts of the problems it touched by what it changed (`impact_delta`), and commits. A
worker killed mid-batch commits nothing, so the same deliveries are simply claimed again;
applying them twice changes nothing.

Should anything in a batch fail — reading, applying, recounting, the regression check, the
commit — the transaction is undone and the batch is tried again in halves, each half in its
own transaction, down to the one delivery that fails. That delivery alone is charged an
attempt (retried with backoff, then failed with a reason that holds no personal data);
every other delivery goes through. No failure leaves a delivery claimable with its attempt
count unchanged.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from voice_router.closing import shipping
from voice_router.intake import applying
from voice_router.intake.applying import retry_delay
from voice_router.models import Delivery, PainPoint
from voice_router.platform import metrics, schedule
from voice_router.platform.clock import utcnow
from voice_router.platform.db import session_scope
from voice_router.platform.settings import Settings
from voice_router.problems import impact, impact_delta

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
    releases_owed: bool = False  # Jira versions released: the job apply_releases looks them up

    def add(self, other: BatchResult) -> None:
        for name in ("claimed", "processed", "retrying", "failed", "changes"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.touched |= other.touched
        self.shipped |= other.shipped
        self.releases_owed = self.releases_owed or other.releases_owed


__all__ = ["BatchResult", "drain", "next_retry_in", "process_batch", "replay", "retry_delay"]


def _claim(session: Session, limit: int, only: list[int] | None) -> list[Delivery]:
    """Due deliveries, oldest first (`only`: among these ids). On PostgreSQL the rows stay
    locked until the transaction ends and rows another worker holds are skipped."""
    statement = (
        select(Delivery)
        .where(Delivery.status == "pending", col(Delivery.next_attempt_at) <= utcnow())
        .order_by(col(Delivery.id))
        .limit(limit)
    )
    if only is not None:
        statement = statement.where(col(Delivery.id).in_(only))
    if session.get_bind().dialect.name == "postgresql":
        statement = statement.with_for_update(skip_locked=True)
    return list(session.exec(statement).all())


def process_batch(engine: Engine, settings: Settings, limit: int | None = None) -> BatchResult:
    result = BatchResult()
    claimed: list[int] = []
    try:
        result.add(_run(engine, settings, limit or settings.process_batch_size, None, claimed))
    except Exception as exc:
        if not claimed:
            raise  # nothing was claimed: the database itself is the trouble
        log.info("batch.split", extra={"claimed": len(claimed), "error": type(exc).__name__})
        result.claimed += len(claimed)
        _narrow(engine, settings, claimed, exc, result)
    metrics.batch(result)  # committed: count it
    return result


def _narrow(
    engine: Engine, settings: Settings, ids: list[int], exc: Exception, result: BatchResult
) -> None:
    """`ids` failed together with `exc`: try each half on its own, down to one delivery."""
    if len(ids) == 1:
        _charge(engine, settings, ids[0], exc, result)
        return
    middle = len(ids) // 2
    for half in (ids[:middle], ids[middle:]):
        claimed: list[int] = []
        try:
            part = _run(engine, settings, len(half), half, claimed)
        except Exception as error:
            if not claimed:
                raise  # the claim itself failed: the database, not a delivery
            _narrow(engine, settings, claimed, error, result)
            continue
        part.claimed = 0  # counted when the whole batch was claimed
        result.add(part)


def _charge(
    engine: Engine, settings: Settings, delivery_id: int, exc: Exception, result: BatchResult
) -> None:
    """Record one attempt that failed with `exc` on the delivery that caused it."""
    with session_scope(engine) as session:
        claimed = _claim(session, 1, [delivery_id])
        if claimed:
            applying.record_failure(session, settings, claimed[0], exc, result)


def _run(
    engine: Engine, settings: Settings, limit: int, only: list[int] | None, claimed: list[int]
) -> BatchResult:
    """One transaction: claim, apply, recount, commit. `claimed` receives the ids taken,
    so a caller whose transaction failed knows which deliveries were in it."""
    result = BatchResult()
    with session_scope(engine) as session:
        deliveries = _claim(session, limit, only)
        claimed.extend(d.id for d in deliveries if d.id is not None)
        result.claimed = len(deliveries)
        parsed = applying.parse(settings, deliveries)
        good = []
        for delivery in deliveries:
            failure = parsed.get(delivery.id)
            if isinstance(failure, Exception):
                applying.record_failure(session, settings, delivery, failure, result)
            else:
                good.append(delivery)
        run = applying.apply(session, settings, good, parsed)
        session.flush()
        applying.mark_processed(session, run.done)
        for name in ("processed", "retrying", "failed"):
            setattr(result, name, getattr(result, name) + getattr(run, name))
        attachers, jira = run.attachers, run.jira
        touched = set().union(*(a.touched for a in attachers)) if attachers else set()
        repriced = set().union(*(a.directory.mrr_changed for a in attachers))
        repriced_problems: set[int] = set()
        if repriced:
            repriced_problems = set(
                session.exec(
                    select(PainPoint.problem_id)
                    .where(col(PainPoint.account_id).in_(repriced))
                    .distinct()
                ).all()
            )
        changes = [change for a in attachers for change in a.changes()]
        impact_delta.apply(session, changes, repriced_problems)
        touched |= repriced_problems
        attached = [pair for a in attachers for pair in a.attached]
        regressed = shipping.detect_regressions(session, attached)
        result.touched = impact.ancestors(session, touched) | jira.touched | set(regressed)
        schedule.sync_due(session, settings, result.touched)  # committed with the batch
        result.shipped = {t.problem_id for t in jira.transitions}
        result.releases_owed = jira.releases_owed
        result.changes = sum(a.changed for a in attachers) + len(jira.transitions)
    return result


def drain(
    engine: Engine,
    settings: Settings,
    max_batches: int | None = None,
    batch_size: int | None = None,
    pause: float = 0.0,
) -> BatchResult:
    """Process batches until nothing is due (or `max_batches` ran). `batch_size` overrides
    `process_batch_size`; `pause` seconds between batches let other writers in (SQLite has
    one writer at a time, and webhooks are stored by other threads of the same service)."""
    size = batch_size or settings.process_batch_size
    total = BatchResult()
    batches = 0
    while max_batches is None or batches < max_batches:
        if batches and pause:
            time.sleep(pause)
        batch = process_batch(engine, settings, size)
        batches += 1
        total.add(batch)
        if batch.claimed < size:
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
