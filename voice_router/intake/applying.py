"""Applying a claimed batch of deliveries: parsed first (no database), then applied all in
one go and marked processed with one UPDATE. A failure propagates: processing.py undoes the
transaction and narrows the batch down to the delivery that caused it."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Protocol

import sqlalchemy as sa
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session, col

from integrations import registry
from integrations.events import IntegrationError, PainPointEvent, PayloadError
from voice_router.intake.admission import matcher_for, read_events
from voice_router.models import Delivery
from voice_router.platform.clock import utcnow
from voice_router.platform.settings import Settings
from voice_router.problems.painpoints import Attacher
from voice_router.tracker.events import JiraOutcome, apply_event

log = logging.getLogger(__name__)

Parsed = dict[int | None, list[PainPointEvent] | Exception]


class Counts(Protocol):
    processed: int
    retrying: int
    failed: int


@dataclass
class Run:
    """What applying a batch's deliveries did."""

    processed: int = 0
    retrying: int = 0
    failed: int = 0
    attachers: list[Attacher] = field(default_factory=list)
    jira: JiraOutcome = field(default_factory=JiraOutcome)
    done: list[Delivery] = field(default_factory=list)


def retry_delay(attempts: int) -> timedelta:
    """Exponential backoff: 10 s, 20 s, 40 s … capped at one hour."""
    return timedelta(seconds=min(3600, 10 * 2 ** max(0, attempts - 1)))


def parse(settings: Settings, deliveries: list[Delivery]) -> Parsed:
    """Each helpdesk delivery's events, or why they cannot be applied (pure: no database)."""
    parsed: Parsed = {}
    for delivery in deliveries:
        if delivery.kind == "jira":
            continue
        if delivery.source not in settings.sources:
            parsed[delivery.id] = PayloadError(
                f"source {delivery.source!r} is no longer configured"
            )
            continue
        try:
            headers = json.loads(delivery.headers)
            parsed[delivery.id] = read_events(
                settings, delivery.source, delivery.kind, headers, delivery.body
            )
        except Exception as exc:
            parsed[delivery.id] = exc
    return parsed


def _events(parsed: Parsed, delivery: Delivery) -> list[PainPointEvent]:
    events = parsed.get(delivery.id, [])
    return [] if isinstance(events, Exception) else events


def apply(session: Session, settings: Settings, deliveries: list[Delivery], parsed: Parsed) -> Run:
    """Apply deliveries that parsed. Any failure propagates; the caller undoes the lot."""
    run = Run()
    attachers: dict[str, Attacher] = {}
    for delivery in deliveries:
        source = settings.sources.get(delivery.source)
        if delivery.kind != "jira" and source is not None and delivery.source not in attachers:
            attachers[delivery.source] = Attacher(
                session, delivery.source, matcher_for(source.tag_patterns)
            )
    for name, attacher in attachers.items():
        attacher.preload(
            (event for d in deliveries if d.source == name for event in _events(parsed, d)),
            create=True,
        )
    run.attachers = list(attachers.values())
    for delivery in deliveries:
        if delivery.kind == "jira":
            ok = _process_jira(session, settings, delivery, run.jira, run)
        else:
            # No autoflush, and new pain points wait for `flush_new`: the batch's writes go
            # out in a few statements. The lookups that could miss a pending row flush
            # first; any other miss ends in a unique-key clash, which fails the batch.
            with session.no_autoflush:
                for event in _events(parsed, delivery):
                    attachers[delivery.source].apply(event)
            ok = True
        if ok:
            run.done.append(delivery)
            run.processed += 1
    for attacher in attachers.values():
        attacher.flush_new()
    return run


def _process_jira(
    session: Session,
    settings: Settings,
    delivery: Delivery,
    outcome: JiraOutcome,
    counts: Counts,
) -> bool:
    """A Jira event that cannot be read or applied is recorded on its own: its savepoint
    keeps the rest of the batch."""
    savepoint = session.begin_nested()
    try:
        event = registry.adapter("jira").parse(json.loads(delivery.headers), delivery.body)
        if event is not None:
            apply_event(session, settings, event, outcome)
        savepoint.commit()
    except Exception as exc:
        savepoint.rollback()
        record_failure(session, settings, delivery, exc, counts)
        return False
    return True


def mark_processed(session: Session, deliveries: list[Delivery]) -> None:
    """One UPDATE for every delivery the batch processed (one per 500 of them)."""
    now = utcnow()
    for start in range(0, len(deliveries), 500):
        chunk = deliveries[start : start + 500]
        session.execute(
            sa.update(Delivery)
            .where(col(Delivery.id).in_([d.id for d in chunk]))
            .values(status="processed", processed_at=now, last_error=None)
            .execution_options(synchronize_session=False)
        )
        for delivery in chunk:  # the objects say what the row now says
            set_committed_value(delivery, "status", "processed")
            set_committed_value(delivery, "processed_at", now)
            set_committed_value(delivery, "last_error", None)


def failure_reason(exc: BaseException) -> str:
    """What is stored and logged about a failure: the error's class, and for a payload
    error its message, which names the field and never its value. A database error's text
    holds the row's values (someone's e-mail, name): only its class and the driver's are
    kept."""
    if isinstance(exc, IntegrationError):
        return f"{type(exc).__name__}: {exc}"[:500]
    origin = getattr(exc, "orig", None)
    if origin is not None:
        return f"{type(exc).__name__} ({type(origin).__name__})"
    return type(exc).__name__


def record_failure(
    session: Session, settings: Settings, delivery: Delivery, exc: Exception, counts: Counts
) -> None:
    delivery.attempts += 1
    delivery.last_error = failure_reason(exc)
    permanent = isinstance(exc, PayloadError)
    fields = {
        "delivery_id": delivery.id,
        "attempts": delivery.attempts,
        "error": delivery.last_error,
    }
    if permanent or delivery.attempts >= settings.delivery_max_attempts:
        delivery.status = "failed"
        counts.failed += 1
        log.warning("delivery.failed", extra=fields)
    else:
        delivery.next_attempt_at = utcnow() + retry_delay(delivery.attempts)
        counts.retrying += 1
        log.info("delivery.retry", extra=fields)
    session.add(delivery)
