"""A delivery that failed to process: an attempt charged to it, retried with backoff, then
failed with a reason that holds no personal data."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any, Protocol

import sqlalchemy as sa
from sqlmodel import Session

from integrations.events import IntegrationError, PayloadError
from voice_router.intake.statements import TABLE
from voice_router.platform.clock import utcnow
from voice_router.platform.settings import Settings

log = logging.getLogger(__name__)


class Counts(Protocol):
    processed: int
    retrying: int
    failed: int


def retry_delay(attempts: int) -> timedelta:
    """Exponential backoff: 10 s, 20 s, 40 s … capped at one hour."""
    return timedelta(seconds=min(3600, 10 * 2 ** max(0, attempts - 1)))


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
    session: Session, settings: Settings, delivery: Any, exc: Exception, counts: Counts
) -> None:
    """Charge `delivery` (a claimed row: id, attempts) one attempt that failed with `exc`."""
    attempts = delivery.attempts + 1
    values: dict[str, Any] = {"attempts": attempts, "last_error": failure_reason(exc)}
    fields = {"delivery_id": delivery.id, "attempts": attempts, "error": values["last_error"]}
    if isinstance(exc, PayloadError) or attempts >= settings.delivery_max_attempts:
        values["status"] = "failed"
        counts.failed += 1
        log.warning("delivery.failed", extra=fields)
    else:
        values["next_attempt_at"] = utcnow() + retry_delay(attempts)
        counts.retrying += 1
        log.info("delivery.retry", extra=fields)
    session.execute(sa.update(TABLE).where(TABLE.c.id == delivery.id).values(values))
