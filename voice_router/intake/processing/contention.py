"""Two workers' batches naming the same new rows (PostgreSQL): the second one leaves the
deliveries that name them for its next batch instead of waiting for the first one's.

A unique key inserted by a transaction still open blocks every other INSERT of that key
until the first transaction ends. Two workers' batches name the same new customers, accounts
and problems all through the first few tens of thousands of deliveries of an install, and
each such INSERT waited for the other worker's whole batch: the two workers took turns
instead of working side by side. Now a batch names the rows it is about to create (`names`),
takes a transaction-scoped advisory lock on each one without waiting, and the deliveries
naming one that another batch holds stay pending, claimed again by a later batch. Nothing is
committed apart from the batch, and nothing in the batch's transaction waits for these
locks. A batch that would leave most of what it claimed (the first batches of two workers
name the same ~100 new problems) lets go of the names it took and leaves every delivery
naming a new row (batch._uncontended), then waits for the names held elsewhere after its
commit, holding nothing (`wait_for`), rather than claim the same deliveries again at once;
one that left a few goes on with its next batch, which leaves them again while they are
still held."""

from __future__ import annotations

import logging
import random
import time

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session

from voice_router.platform.upsert import text_array

log = logging.getLogger(__name__)

LOCKS = 0x5652  # the first key of these advisory locks ("VR"); the second is the name's hash
WAIT = "5s"  # at most this long after a batch for the rows its deferred deliveries name
JITTER = 0.05  # then up to this long more, at random (`wait_for`)


def taken_elsewhere(session: Session, names: set[str]) -> set[str]:
    """Lock each of `names` (rows about to be inserted) for this transaction, without
    waiting; the names another transaction holds (PostgreSQL)."""
    return set(
        session.connection()
        .exec_driver_sql(
            "SELECT name FROM unnest(%s::text[]) AS name "
            "WHERE NOT pg_try_advisory_xact_lock(%s::int, hashtext(name))",
            (text_array(sorted(names)), LOCKS),
        )
        .scalars()
    )


def wait_for(engine: Engine, names: set[str]) -> None:
    """Until the transactions holding `names` have ended (at most WAIT), holding nothing
    else, and then a random moment more: two batches that each took part of the same new
    rows let go of them at the same moment, and would otherwise claim and take them again
    in step, each part of them, again and again."""
    if not names:
        return
    with engine.connect() as connection:
        connection.exec_driver_sql(f"SET LOCAL lock_timeout = '{WAIT}'")
        try:
            connection.exec_driver_sql(
                "SELECT pg_advisory_xact_lock_shared(%s::int, hashtext(name)) "
                "FROM unnest(%s::text[]) AS name",
                (LOCKS, text_array(sorted(names))),
            )
        except sa.exc.OperationalError:  # still held: the next batch leaves them again
            log.info("batch.contended_rows_still_held", extra={"rows": len(names)})
        connection.rollback()
    time.sleep(random.uniform(0, JITTER))
