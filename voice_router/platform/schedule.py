"""What is due, kept in the database so that no restart — SIGKILL included — loses it, and
both runtimes (rq workers, `voice-router serve`'s own runner) read the one schedule.

- Deliveries: `delivery.status = pending` and `next_attempt_at` (intake/processing).
- Outbound messages: `outbound.status = pending` and `next_attempt_at` (outbound.py).
- Jira syncs: `problem.jira_sync_due_at`, set here when a problem changes, paced by
  `[jira].update_interval_seconds` after the last sync (a person waiting skips the pace),
  claimed while a sync runs (`jira_sync_claimed_at`), pushed back with backoff when Jira
  fails.
- Jobs one process does at a time (the runner, a reconcile pass): `lease` rows.

Redis flags and rq's scheduled jobs only make things happen sooner; this is the truth.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from voice_router.models import Delivery, Lease, Outbound, Problem, pending
from voice_router.platform.clock import to_utc, utcnow
from voice_router.platform.db import session_scope
from voice_router.platform.settings import Settings
from voice_router.platform.upsert import insert_ignore

log = logging.getLogger(__name__)

SYNC_DELAY = timedelta(seconds=2)  # a burst of changes folds into one sync
SYNC_LEASE = timedelta(minutes=2)  # a sync claimed longer ago than this has died
MAX_SYNC_BACKOFF = timedelta(hours=1)
# How far another host's clock may be ahead of this one's when reading a lease it renewed.
CLOCK_SLACK = timedelta(seconds=30)


def sync_due(
    session: Session,
    settings: Settings,
    problem_ids: Iterable[int],
    urgent: bool = False,
    now: datetime | None = None,
) -> None:
    """These problems changed: their Jira issues owe a sync, SYNC_DELAY from now, and not
    sooner than the update interval after their last sync unless `urgent` (a person acted).
    An earlier due time already set is kept — unless a sync is running, which may have read
    the problem before this change: then the new time stands, and outlives that sync."""
    ids = sorted(set(problem_ids))
    if not settings.jira.url or not ids:
        return
    now = now or utcnow()
    pace = timedelta(seconds=max(0, settings.jira.update_interval_seconds))
    changed = []
    for start in range(0, len(ids), 500):
        rows = session.exec(
            select(
                Problem.id,
                Problem.jira_sync_due_at,
                Problem.jira_synced_at,
                Problem.jira_sync_claimed_at,
            ).where(col(Problem.id).in_(ids[start : start + 500]))
        ).all()
        for problem_id, due, synced, claimed in rows:
            when = now + SYNC_DELAY
            if not urgent and synced is not None:
                when = max(when, to_utc(synced) + pace)
            if due is None or claimed is not None or to_utc(due) > when:
                changed.append({"pid": problem_id, "due": when})
    if changed:
        table = Problem.__table__  # type: ignore[attr-defined]  # SQLModel leaves __table__ undeclared
        column = table.c.jira_sync_due_at
        session.execute(
            sa.update(table)
            .where(table.c.id == sa.bindparam("pid"))
            .values(jira_sync_due_at=sa.bindparam("due", type_=column.type)),
            changed,
        )


def due_syncs(engine: Engine, now: datetime | None = None, limit: int = 100) -> list[int]:
    """Problems whose Jira sync is due and not running, the longest-waiting first."""
    now = now or utcnow()
    with Session(engine) as session:
        return list(
            session.exec(
                select(Problem.id)
                .where(col(Problem.jira_sync_due_at) <= now, _unclaimed(now))
                .order_by(col(Problem.jira_sync_due_at), col(Problem.id))
                .limit(limit)
            ).all()
        )


def _unclaimed(now: datetime) -> sa.ColumnElement[bool]:
    """No sync is running, or the one that claimed it has been silent too long (it died)."""
    claimed = col(Problem.jira_sync_claimed_at)
    return claimed.is_(None) | (claimed < now - SYNC_LEASE)


def claim_sync(engine: Engine, problem_id: int) -> datetime | None:
    """Take a due sync, so a second worker does not start it too; returns the claim's time
    (None: not due, or running elsewhere). A claim left by a crash lapses after SYNC_LEASE
    (at once when `voice-router serve`'s runner starts: see release_sync_claims)."""
    now = utcnow()
    with session_scope(engine) as session:
        taken = session.execute(
            sa.update(Problem)
            .where(
                col(Problem.id) == problem_id,
                col(Problem.jira_sync_due_at) <= now,
                _unclaimed(now),
            )
            .values(jira_sync_claimed_at=now)
        ).rowcount  # type: ignore[attr-defined]  # DML gets a CursorResult, typed as Result
    return now if taken else None


def finish_sync(engine: Engine, problem_id: int, claimed: datetime) -> None:
    """The sync ran. A change that arrived meanwhile set a due time after the claim, which
    stays; otherwise nothing is due any more."""
    due = col(Problem.jira_sync_due_at)
    with session_scope(engine) as session:
        session.execute(
            sa.update(Problem)
            .where(col(Problem.id) == problem_id)
            .values(
                jira_synced_at=utcnow(),
                jira_sync_attempts=0,
                jira_sync_claimed_at=None,
                jira_sync_due_at=sa.case((due > claimed, due), else_=None),
            )
        )


def jira_backoff(attempts: int) -> timedelta:
    """How long a call Jira failed waits after its `attempts`-th failed try: 30 s, doubling
    per try, at most MAX_SYNC_BACKOFF."""
    return min(timedelta(seconds=30 * 2 ** min(max(attempts, 1) - 1, 10)), MAX_SYNC_BACKOFF)


def retry_sync(engine: Engine, problem_id: int, claimed: datetime, wait: float | None) -> float:
    """The sync failed for now: due again after `wait` seconds (Jira's Retry-After, or how
    long to wait for Jira's search), else after a backoff that doubles per failed try
    (30 s … an hour) — or sooner, if a change arrived meanwhile. Returns the wait.

    A given `wait` is Jira answering, not failing: it starts the backoff afresh. Counted as
    failures, a few minutes of 429s sent the next 5xx's retry an hour out (fault audit)."""
    with session_scope(engine) as session:
        problem = session.get(Problem, problem_id)
        if problem is None:
            return 0.0
        attempts = problem.jira_sync_attempts + 1 if wait is None else 0
        delay = timedelta(seconds=wait) if wait is not None else jira_backoff(attempts)
        due = utcnow() + delay
        current = problem.jira_sync_due_at
        changed = current is not None and to_utc(current) > to_utc(claimed)
        if not changed or to_utc(current) > due:  # type: ignore[arg-type]  # changed: not None
            problem.jira_sync_due_at = due
        problem.jira_sync_attempts = attempts
        problem.jira_sync_claimed_at = None
        session.add(problem)
    return delay.total_seconds()


def release_sync_claims(engine: Engine) -> int:
    """Give up every running claim: for a runner that runs all syncs of a deployment on its
    own, any claim it finds at start was left by a runner that died."""
    with session_scope(engine) as session:
        released: int = session.execute(
            sa.update(Problem)
            .where(col(Problem.jira_sync_claimed_at).is_not(None))
            .values(jira_sync_claimed_at=None)
        ).rowcount  # type: ignore[attr-defined]  # DML gets a CursorResult, typed as Result
    return released


def take_lease(
    engine: Engine, name: str, holder: str, ttl: timedelta, let_go: bool = False
) -> bool:
    """Hold `name` for `ttl` from now: True when it was free, expired, or ours already, and
    with `let_go` also when its last holder let it go until a later time (the periodic
    reconcile's interval, which a pass asked for by hand does not wait out).

    Let go: held by nobody (holder ''), or running out later than a holder ever holds it
    (`ttl` from now, plus CLOCK_SLACK for another host's clock). Releases before holder ''
    kept the holder's name on the interval: a row left by them mid-interval looked held, and
    the first pass asked for by hand after an upgrade waited up to `reconcile_seconds` for
    nobody. Such a row is waited for only in its last `ttl` + CLOCK_SLACK, as a lease whose
    holder died is."""
    now = utcnow()
    free = col(Lease.expires_at) <= now
    if let_go:
        beyond_any_holder = col(Lease.expires_at) > now + ttl + CLOCK_SLACK
        free = free | (col(Lease.holder) == "") | beyond_any_holder
    with session_scope(engine) as session:
        insert_ignore(session, Lease, {"name": name, "holder": "", "expires_at": now})
        taken = session.execute(
            sa.update(Lease)
            .where(col(Lease.name) == name, (col(Lease.holder) == holder) | free)
            .values(holder=holder, expires_at=now + ttl)
        ).rowcount  # type: ignore[attr-defined]  # DML gets a CursorResult, typed as Result
    return bool(taken)


def release_lease(engine: Engine, name: str, holder: str, at: datetime | None = None) -> None:
    """Let `name` go, at once or from `at` (a periodic pass holds off the next one until
    its interval is over), held by nobody meanwhile: only if `holder` still holds it."""
    with session_scope(engine) as session:
        session.execute(
            sa.update(Lease)
            .where(col(Lease.name) == name, col(Lease.holder) == holder)
            .values(holder="", expires_at=at or utcnow())
        )


def lease_free(engine: Engine, name: str) -> bool:
    """Whether `name` could be taken now: a read, for a sweep that asks before it signals."""
    with Session(engine) as session:
        expires = session.exec(select(Lease.expires_at).where(col(Lease.name) == name)).first()
    return expires is None or to_utc(expires) <= utcnow()


@contextmanager
def lease_kept(engine: Engine, name: str, holder: str, ttl: timedelta) -> Iterator[None]:
    """Renew `holder`'s lease on `name` to `ttl` ahead, every quarter of it, while the block
    runs: work longer than any fixed lease is never taken up by a second process meanwhile,
    and a process that dies with it frees it within `ttl`."""
    done = threading.Event()

    def renew() -> None:
        while not done.wait(ttl.total_seconds() / 4):
            try:
                if not take_lease(engine, name, holder, ttl):
                    log.warning("lease.lost", extra={"lease": name})
            except Exception:  # the database away for a moment: the next renewal tries
                log.warning("lease.renew_failed", extra={"lease": name}, exc_info=True)

    keeper = threading.Thread(target=renew, name=f"lease-{name}", daemon=True)
    keeper.start()
    try:
        yield
    finally:
        done.set()
        keeper.join()


def anything_due(engine: Engine, within: timedelta = timedelta(0)) -> bool:
    """Whether a delivery, a Jira sync or an outbound message is due now or within
    `within` (a sync waiting out the update interval is not)."""
    horizon = utcnow() + within
    with Session(engine) as session:
        checks = (
            select(Delivery.id).where(pending(), col(Delivery.next_attempt_at) <= horizon),
            select(Problem.id).where(col(Problem.jira_sync_due_at) <= horizon),
            select(Outbound.id).where(
                col(Outbound.status).in_(("pending", "sending")),
                col(Outbound.next_attempt_at) <= horizon,
            ),
        )
        return any(session.exec(check.limit(1)).first() is not None for check in checks)
