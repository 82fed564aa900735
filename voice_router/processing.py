"""Turning stored deliveries into pain points, a batch per transaction.

A batch claims due deliveries, applies each inside a savepoint, recomputes the impact of
the problems it touched once, and commits. A worker killed mid-batch commits nothing, so
the same deliveries are simply claimed again; applying them twice changes nothing.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from integrations import registry
from integrations.events import PayloadError
from voice_router import impact, metrics, shipping
from voice_router.clock import utcnow
from voice_router.db import session_scope
from voice_router.jira_events import JiraOutcome, apply_event
from voice_router.models import Delivery, PainPoint
from voice_router.painpoints import Attacher
from voice_router.settings import Settings
from voice_router.tags import TagMatcher

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


def retry_delay(attempts: int) -> timedelta:
    """Exponential backoff: 10 s, 20 s, 40 s … capped at one hour."""
    return timedelta(seconds=min(3600, 10 * 2 ** max(0, attempts - 1)))


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
        attachers: dict[str, Attacher] = {}
        jira = JiraOutcome()
        for delivery in deliveries:
            if delivery.kind == "jira":
                _process_jira(session, settings, delivery, jira, result)
                continue
            attacher = attachers.get(delivery.source)
            source = settings.sources.get(delivery.source)
            if attacher is None and source is not None:
                attacher = Attacher(session, delivery.source, TagMatcher(source.tag_patterns))
                attachers[delivery.source] = attacher
            _process_one(session, settings, delivery, attacher, result)
        touched = set().union(*(a.touched for a in attachers.values())) if attachers else set()
        repriced = set().union(*(a.directory.mrr_changed for a in attachers.values()))
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
        attached = [pair for a in attachers.values() for pair in a.attached]
        regressed = shipping.detect_regressions(session, attached)
        result.touched = impact.ancestors(session, touched) | jira.touched | set(regressed)
        result.shipped = {t.problem_id for t in jira.transitions}
        result.changes = sum(a.changes for a in attachers.values()) + len(jira.transitions)
    metrics.batch(result)  # committed: count it
    return result


def _process_jira(
    session: Session,
    settings: Settings,
    delivery: Delivery,
    outcome: JiraOutcome,
    result: BatchResult,
) -> None:
    savepoint = session.begin_nested()
    try:
        event = registry.adapter("jira").parse(json.loads(delivery.headers), delivery.body)
        if event is not None:
            apply_event(session, settings, event, outcome)
        savepoint.commit()
    except Exception as exc:
        savepoint.rollback()
        _record_failure(session, settings, delivery, exc, result)
        return
    delivery.status = "processed"
    delivery.processed_at = utcnow()
    delivery.last_error = None
    session.add(delivery)
    result.processed += 1


def _process_one(
    session: Session,
    settings: Settings,
    delivery: Delivery,
    attacher: Attacher | None,
    result: BatchResult,
) -> None:
    savepoint = session.begin_nested()
    mark = len(attacher.attached) if attacher is not None else 0
    try:
        if attacher is None:
            raise PayloadError(f"source {delivery.source!r} is no longer configured")
        adapter = registry.adapter(delivery.kind)
        headers = json.loads(delivery.headers)
        for event in adapter.parse(headers, delivery.body):
            attacher.apply(event)
        savepoint.commit()
    except Exception as exc:
        savepoint.rollback()
        if attacher is not None:
            attacher.forget_cache()
            del attacher.attached[mark:]
        _record_failure(session, settings, delivery, exc, result)
        return
    delivery.status = "processed"
    delivery.processed_at = utcnow()
    delivery.last_error = None
    session.add(delivery)
    result.processed += 1


def _record_failure(
    session: Session, settings: Settings, delivery: Delivery, exc: Exception, result: BatchResult
) -> None:
    delivery.attempts += 1
    delivery.last_error = f"{type(exc).__name__}: {exc}"[:2000]
    permanent = isinstance(exc, PayloadError)
    if permanent or delivery.attempts >= settings.delivery_max_attempts:
        delivery.status = "failed"
        result.failed += 1
        log.warning(
            "delivery.failed",
            extra={
                "delivery_id": delivery.id,
                "attempts": delivery.attempts,
                "error": type(exc).__name__,
            },
        )
    else:
        delivery.next_attempt_at = utcnow() + retry_delay(delivery.attempts)
        result.retrying += 1
        log.info(
            "delivery.retry", extra={"delivery_id": delivery.id, "attempts": delivery.attempts}
        )
    session.add(delivery)


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
