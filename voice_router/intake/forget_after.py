"""`voice-router forget` once it committed: the Jira deliveries received while it ran.

A webhook is answered once its delivery is stored, and stamped `received_at` when it came
in: one that came in before forget committed can reach the table (or SQLite's spool) after
forget read it, at most STORED_WITHIN later: on SQLite a delivery waits
SPOOL_AFTER_SECONDS for the write lock, then goes to the spool; on PostgreSQL its write
has INTAKE_SECONDS, then it is answered 503 and sent again (a new delivery, received after
forget: new data). So forget waits that long after its commit, takes in what the spool
holds, and cuts the person out of the Jira deliveries received meanwhile with what it
knows of them (problems.forget_late.cut_late), then ends: nothing of their name is kept
for later. Only Jira's deliveries need it: a helpdesk delivery that names the person is
stubbed by processing, by the hashes the audit keeps (forget_late.received_before).
"""

from __future__ import annotations

import logging
import time
from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from voice_router.intake import spool
from voice_router.intake.processing.spooled import take_in_within
from voice_router.intake.store import SPOOL_AFTER_SECONDS
from voice_router.platform.clock import utcnow
from voice_router.platform.db import session_scope
from voice_router.platform.pg_deadline import INTAKE_SECONDS
from voice_router.problems.forget_late import Late, cut_late

log = logging.getLogger(__name__)

MARGIN_SECONDS = 1.0  # a loaded machine's hand-offs between being stamped and storing


def stored_within(engine: Engine) -> timedelta:
    """How long after it came in a delivery is stored, at most, or refused."""
    limit = SPOOL_AFTER_SECONDS if engine.dialect.name == "sqlite" else INTAKE_SECONDS
    return timedelta(seconds=limit + MARGIN_SECONDS)


class JiraReceivedMeanwhile:
    """privacy.forget's `after`: waits out `stored_within` from the commit, then cuts the
    person out of the Jira deliveries received while forget ran; how many it changed, None
    when the database failed it (the deliveries then lose the addresses only, as
    processing reaches them)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def __call__(self, late: Late) -> int | None:
        within = stored_within(self.engine)
        time.sleep(max((late.at + within - utcnow()).total_seconds(), 0.0))
        directory = spool.of_engine(self.engine)
        try:
            with session_scope(self.engine) as session:  # SQLite: the write lock from its start
                taken = take_in_within(session, directory) if directory is not None else []
                changed = cut_late(session, late, within)
        except sa.exc.SQLAlchemyError as exc:
            log.error("privacy.forget_late_failed", extra={"error": str(exc)})
            return None
        for path in taken:
            spool.remove(path)
        return changed
