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

`batch` is the one transaction (claim, parse, apply as plain rows, recount, mark);
`failures` what a delivery that failed is charged.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import timedelta

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from voice_router.intake.processing.batch import BatchResult, claim, run
from voice_router.intake.processing.failures import record_failure, retry_delay
from voice_router.intake.processing.spooled import take_in
from voice_router.models import Delivery, held, pending
from voice_router.platform import metrics
from voice_router.platform.clock import utcnow
from voice_router.platform.db import session_scope
from voice_router.platform.settings import Settings

log = logging.getLogger(__name__)

__all__ = ["BatchResult", "drain", "next_retry_in", "process_batch", "replay", "retry_delay"]


def process_batch(engine: Engine, settings: Settings, limit: int | None = None) -> BatchResult:
    result = BatchResult()
    claimed: list[int] = []
    try:
        result.add(run(engine, settings, limit or settings.process_batch_size, None, claimed))
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
            part = run(engine, settings, len(half), half, claimed)
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
        claimed = claim(session, 1, [delivery_id])
        if claimed:
            record_failure(session, settings, claimed[0], exc, result)


def drain(
    engine: Engine,
    settings: Settings,
    max_batches: int | None = None,
    batch_size: int | None = None,
    pause: float = 0.0,
    on_backlog: Callable[[], None] | None = None,
    stop_asked: Callable[[], bool] | None = None,
) -> BatchResult:
    """Take in the spool (processing/spooled.py), then process batches until nothing is due
    (or `max_batches` ran). `batch_size` overrides `process_batch_size`; `pause` seconds
    between batches let other writers in (SQLite has one writer at a time, and webhooks
    are stored by other threads of the same service).
    `on_backlog` is called once, after the first batch that came back full: more is waiting
    than one batch, so other workers may help (`workers.jobs.drain_inbox` asks for a drain).
    Once `stop_asked()` says the process is stopping, no next batch starts: what is left
    stays due for the next drain (a worker told to stop during a backlog of 200,000 went
    on through all of it, and a SIGKILL after the grace period lost the batch in hand)."""
    take_in(engine)  # SQLite: deliveries spooled while the write lock was held too long
    size = batch_size or settings.process_batch_size
    total = BatchResult()
    batches = 0
    while max_batches is None or batches < max_batches:
        if batches and pause:
            time.sleep(pause)
        batch = process_batch(engine, settings, size)
        batches += 1
        total.add(batch)
        if batch.claimed < size and not batch.deferred:
            break
        if stop_asked is not None and stop_asked():
            log.info("inbox.drain_stopped", extra={"batches": batches})
            break
        if on_backlog is not None and batch.claimed >= size:
            on_backlog()
            on_backlog = None
    return total


def next_retry_in(engine: Engine) -> timedelta | None:
    """How long until the earliest delivery waiting for a retry is due, if any."""
    with Session(engine) as session:
        due = session.exec(
            select(Delivery.next_attempt_at)
            .where(pending())
            .order_by(col(Delivery.next_attempt_at))
            .limit(1)
        ).first()
    if due is None:
        return None
    return max(timedelta(0), due - utcnow())


def replay(engine: Engine, delivery_ids: list[int] | None) -> int:
    """Put failed deliveries (all of them when `delivery_ids` is None) back in the inbox."""
    with session_scope(engine) as session:
        statement = select(Delivery).where(held())
        if delivery_ids is not None:
            statement = statement.where(col(Delivery.id).in_(delivery_ids))
        rows = list(session.exec(statement).all())
        for delivery in rows:
            delivery.status = "pending"
            delivery.attempts = 0
            delivery.next_attempt_at = utcnow()
            session.add(delivery)
    return len(rows)
