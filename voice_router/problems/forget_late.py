"""Deliveries that reach processing after `voice-router forget` ended, but were received
before it did: the person asked to be forgotten, so these are erased as forget would have.

While forget runs, webhooks are still answered: on SQLite they wait for its write lock (and
after `store.SPOOL_AFTER_SECONDS` go to the spool), on PostgreSQL they are stored beside it;
processing waits for it either way. So a delivery received while forget ran lands in the
table after forget read it. Forget's audit entry records the moment it ended (`at`, set
just before its commit) and the sha256 of every address it erased the person under (the
address given, `subject_hash`, and those it followed them to or knew as a former address
of theirs, `details["followed"]`); a
batch stubs, unapplied, each helpdesk delivery received before then that names a customer
at one of those addresses, as forget stubs the person's pending deliveries. One received
after is new data: forget is not a block-list.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col

from voice_router.models import AuditEntry, Delivery
from voice_router.platform.clock import to_utc, utcnow
from voice_router.platform.upsert import among
from voice_router.problems.delivery_erasure import STUB

log = logging.getLogger(__name__)


def subject_hash(email: str) -> str:
    """How the audit names an address: the sha256 of it, lower-cased."""
    return hashlib.sha256(email.strip().lower().encode()).hexdigest()


def stamp(audit: AuditEntry, details: dict[str, Any], given: str, followed: Iterable[str]) -> None:
    """The audit entry's last values, written just before forget commits: its counts, the
    hashes of the addresses it followed the person to and of their former addresses
    (`followed`) besides the one given, and when it ended."""
    others = sorted(set(followed) - {subject_hash(given)})
    audit.details = json.dumps(
        {**details, **({"followed": others} if others else {})}, sort_keys=True
    )
    audit.at = utcnow()


def received_before(
    session: Session, received: Mapping[int, tuple[datetime, set[str]]]
) -> set[int]:
    """Of `received` (delivery id -> when it was received, the addresses of the customers it
    names), those received before a forget of one of those addresses ended."""
    if not received:
        return set()
    oldest = min(to_utc(at) for at, _ in received.values())
    forgets = session.execute(
        sa.select(col(AuditEntry.at), col(AuditEntry.subject_hash), col(AuditEntry.details)).where(
            col(AuditEntry.action) == "forget", col(AuditEntry.at) >= oldest
        )
    ).all()
    ended: dict[str, datetime] = {}  # address hash -> when the last forget of it ended
    for at, subject, details in forgets:
        for hashed in (subject, *json.loads(details).get("followed", [])):
            ended[hashed] = max(to_utc(at), ended.get(hashed, to_utc(at)))
    if not ended:  # the usual batch: no forget lately, no address to hash
        return set()
    late = set()
    for delivery_id, (at, emails) in received.items():
        ends = [ended[h] for h in map(subject_hash, emails) if h in ended]
        if any(to_utc(at) <= end for end in ends):
            late.add(delivery_id)
    return late


def stub(session: Session, ids: set[int]) -> None:
    """The deliveries become forget's stubs, never processed (status `forgotten`)."""
    table = Delivery.__table__  # type: ignore[attr-defined]  # SQLModel leaves __table__ undeclared
    session.execute(
        sa.update(table)
        .where(among(session, table.c.id, sorted(ids)))
        .values(**STUB, status="forgotten")
    )
    log.info("privacy.forgotten_on_arrival", extra={"deliveries": len(ids)})
