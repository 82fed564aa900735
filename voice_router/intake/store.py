"""Storing webhook deliveries durably, many requests to a commit (group commit).

A 202 means the delivery is committed (or, on SQLite when the file's write lock is not had
within SPOOL_AFTER_SECONDS, written durably to the spool beside it: spool.py). One commit
per delivery made the commit the cost of intake: a round trip and a WAL flush each on
PostgreSQL, a turn at SQLite's single write lock each. Here the deliveries of concurrent
request threads (gunicorn `gthread`) are written together: a thread that arrives while fewer
than `max_writers` groups are being written leads one and writes its delivery with every one
waiting at that moment in one transaction; the others wait for the commit that holds theirs,
and whoever arrives meanwhile waits for the next group, led by the first of them. No thread
of its own: a request alone is written at once, as before. Under load (the last group held
more than one delivery, or some wait already) a leader first lingers LINGER_SECONDS for the
requests arriving right behind it, so that one commit takes more of them: a commit costs
about as much for eight deliveries as for one (a round trip, PostgreSQL's WAL flush, the web
process's thread hand-offs), and the wait costs no CPU. The 202 still follows its own
delivery's commit at once. SQLite writes one group at a time (it has one writer), PostgreSQL
POSTGRES_WRITERS per process. On SQLite a leader gathers its group once it holds the file's
write lock, and checkpoints the WAL every CHECKPOINT_GROUPS groups after the commit, outside
the lock, not inside a commit as SQLite itself would.

Each request still gets its own answer: its new id, None when (source, delivery_key) is
stored already — by an earlier group or by an earlier row of its own group — or its own
error. A group whose transaction fails is written again one delivery per transaction, so
a delivery the database refuses does not take the others of its group down with it.
"""

from __future__ import annotations

import logging
import os
import threading
import time
import weakref
from collections.abc import Sequence
from contextlib import closing, suppress
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from voice_router.intake import spool
from voice_router.intake.statements import (
    MAX_GROUP,
    InsertPlan,
    Row,
    by_key,
    insert_plan,
    sqlite_group,
)
from voice_router.intake.writers import Unusable, Writers
from voice_router.platform.errors import ServiceUnavailable
from voice_router.platform.pg_deadline import TimedOut

log = logging.getLogger(__name__)

# Groups written at once by one process. SQLite has one writer anyway. On PostgreSQL, 4 at
# once made groups of 1.4-2.3 deliveries under wrk (docs/benchmarks.md, 2026-12-05 14:28 UTC);
# one at a time, on a connection of its own and straight on libpq, made groups of 3.9-4.8,
# the same deliveries/s, and 18% less web CPU and a third less PostgreSQL CPU per delivery
# than 2 at once: a commit costs PostgreSQL about as much for 5 rows as for one.
POSTGRES_WRITERS = 1
# How long a leader waits for more deliveries before it writes its group, under load (a request
# alone is never held up). 2 ms made PostgreSQL's groups 5-7 deliveries instead of 3-4 under
# wrk, and intake 1.31x as fast on PostgreSQL, 1.15x on SQLite (medians of four same-run
# pairs; docs/benchmarks.md, 2026-12-05). Tried against it in the same runs (2026-12-05,
# 23:30-23:57 UTC): 1 ms made groups of 4-5 and PostgreSQL intake 0.58x bare against 0.67x;
# lingering only while requests already inside this process were on their way to the store
# made groups of 3-4 and 0.55x against 0.69x. The deliveries a leader gains by waiting are
# mostly still on the network, not in its process.
LINGER_SECONDS = 0.002
# SQLite: groups a process commits between two checkpoints of the WAL (Writers.checkpoint),
# about 1,000 pages from one process alone, SQLite's own mark.
CHECKPOINT_GROUPS = 100
# SQLite: how long a delivery waits for the file's write lock before its group is written to
# the spool (spool.py) and answered. Helpdesks give up at about 10 s (Zendesk 10 s, Help
# Scout and Front alike); our own writers hold the lock for tens of milliseconds (a
# processing batch, a group), so only a holder from outside, or a long `forget` or
# `recompute --fix`, makes a delivery wait this long; the rest of the 10 s is the network's
# and a loaded machine's. docs/operating.md, "SQLite's write lock and the spool".
SPOOL_AFTER_SECONDS = 2.0
SQLITE_BUSY = 5  # SQLite's primary result code: the lock was not had within the busy timeout


class Spooled(Exception):
    """SQLite: the delivery is in the spool (spool.py), not yet in the table: as durable,
    answered `202`, taken into the table once the write lock is free."""


class _Busy(ServiceUnavailable):
    """SQLite's write lock was not had in time (SQLITE_BUSY)."""


class _Disconnected(Exception):
    """The pooled connection was dead (a database restart, an idle timeout)."""


def _write(plan: InsertPlan, writers: Writers, connection: Any, rows: Sequence[Row]) -> list[Any]:
    """The rows in one transaction on the DBAPI connection; the id of each, None if stored
    already."""
    if plan.postgres:
        # One statement in autocommit is its own transaction: one round trip, no BEGIN/COMMIT.
        with suppress(Unusable):
            return by_key(rows, plan.fast.run(writers, connection, rows))
        # What libpq's path did not take, through psycopg, which raises the database's error.
        parameters = [plan.parameters(row) for row in rows]
        with closing(connection.cursor()) as cursor:
            if len(rows) == 1:
                cursor.execute(plan.sql, parameters[0])
                return [cursor.fetchone()]
            columns = [list(column) for column in zip(*parameters, strict=True)]
            cursor.execute(plan.many_sql, columns)
            return by_key(rows, cursor.fetchall())
    # pysqlite runs in autocommit here (voice_router.platform.db): a transaction is ours to begin.
    # The caller holds the file's write lock (GroupCommit._lead).
    with closing(connection.cursor()) as cursor:
        if len(rows) == 1:
            cursor.execute(plan.sql, plan.parameters(rows[0]))
            return [cursor.fetchone()]
        # One statement for the group, its own transaction: the write lock is held for the
        # inserts alone, not for a Python round per row.
        cursor.execute(*sqlite_group(plan, rows))
        return by_key(rows, cursor.fetchall())


def insert_rows(
    writers: Writers, rows: Sequence[Row], deadline: float | None = None
) -> list[int | None]:
    """Store the rows in one transaction on one of the intake's held connections
    (writers.py), skipping SQLAlchemy's execution layer and pool (this runs for every
    webhook and is most of its cost). All or none: an error rolls the whole group back. On
    SQLite the caller holds the file's write lock (`writing`), and the INSERT waits for
    SQLite's own lock until `deadline` (time.monotonic) at most."""
    engine = writers.engine
    plan = insert_plan(engine.dialect)
    connection = writers.take()
    try:
        if deadline is not None:
            writers.wait_at_most(connection, deadline - time.monotonic())
        returned = _write(plan, writers, connection, rows)
    except engine.dialect.loaded_dbapi.Error as exc:
        if engine.dialect.is_disconnect(exc, connection, None):
            writers.discard(connection)
            raise _Disconnected from exc
        writers.give_back(connection)
        raise
    except BaseException:
        writers.discard(connection)  # in an unknown state
        raise
    writers.give_back(connection)
    return [found[0] if found else None for found in returned]


def _insert_retrying(
    writers: Writers, rows: Sequence[Row], deadline: float | None
) -> list[int | None]:
    """`insert_rows`, once more on a fresh connection if the pooled one was dead. A database
    that is down, unreachable or locked is a ServiceUnavailable: not stored, so not
    acknowledged, and the sender resends."""
    engine = writers.engine
    try:
        try:
            return insert_rows(writers, rows, deadline)
        except _Disconnected:
            return insert_rows(writers, rows, deadline)
    except (
        _Disconnected,
        TimedOut,  # no answer in time: not tried again, the sender resends
        sa.exc.OperationalError,
        engine.dialect.loaded_dbapi.OperationalError,
    ) as exc:
        log.warning(
            "intake.database_unavailable",
            extra={"source": rows[0]["source"], "deliveries": len(rows), "error": str(exc)},
        )
        busy = getattr(exc, "sqlite_errorcode", 0) & 0xFF == SQLITE_BUSY
        raise (_Busy if busy else ServiceUnavailable)(
            "the delivery could not be stored now; send it again later"
        ) from exc


class _Waiting:
    __slots__ = ("arrived", "done", "error", "lead", "new_id", "row")

    def __init__(self, row: Row) -> None:
        self.row = row
        self.arrived = time.monotonic()
        # Held from the start; released once, when the answer (or the lead) is here. A bare
        # lock: an Event's Condition cost a measurable share of a webhook's CPU.
        self.done = threading.Lock()
        self.done.acquire()
        self.lead = False  # woken to lead the next group, not with an answer
        self.new_id: int | None = None
        self.error: BaseException | None = None


class GroupCommit:
    """The group commit of one engine (one per process, see `group_commit`)."""

    def __init__(
        self,
        max_writers: int = 1,
        max_group: int = MAX_GROUP,
        linger: float = LINGER_SECONDS,
        checkpoint_groups: int = CHECKPOINT_GROUPS,
        spool_after: float = SPOOL_AFTER_SECONDS,
    ) -> None:
        self.writers: Writers | None = None  # the connections it writes on, once it writes
        self.max_writers = max_writers
        self.max_group = max_group
        self.linger = linger
        self.checkpoint_groups = checkpoint_groups
        self.spool_after = spool_after
        self.spool_dir: Path | None = None  # SQLite on a file: where groups go when locked out
        self.last_group = 0  # deliveries in the group written last
        self.transactions = 0  # groups written (a group written again row by row: once)
        self.checkpoints = 0  # SQLite: WAL checkpoints run (Writers.checkpoint)
        self._lock = threading.Lock()
        self._waiting: list[_Waiting] = []  # for the next group
        self._writers = 0  # leaders writing a group now
        self._unchecked = 0  # groups written since the last checkpoint

    def store(self, engine: Engine, row: Row) -> int | None:
        """Commit one delivery; its new id, or None when it is stored already. Spooled
        when it went to the spool instead (SQLite's write lock held too long)."""
        me = _Waiting(row)
        with self._lock:
            if self.writers is None:
                self.writers = Writers(engine)
                self.spool_dir = spool.of_engine(engine)
            lead = self._writers < self.max_writers
            if lead:
                self._writers += 1
            else:
                self._waiting.append(me)
        if not lead:
            me.done.acquire()
            lead = me.lead
        if lead:
            self._lead(engine, me)
        if me.error is not None:
            raise me.error
        return me.new_id

    def waiting(self) -> int:
        """Deliveries waiting for the next group (tests use it)."""
        with self._lock:
            return len(self._waiting)

    def _lead(self, engine: Engine, me: _Waiting) -> None:
        """Write this delivery and those waiting, then hand the lead to the first delivery
        that arrived meanwhile, or step down."""
        if self.last_group > 1 or self._waiting:  # a glance: the lock is taken below
            time.sleep(self.linger)  # under load: more will have queued meanwhile
        writers = self.writers
        assert writers is not None  # set by the first store
        group = [me]
        deadline = me.arrived + self.spool_after  # the others of the group arrived later
        try:
            # SQLite: the group is gathered once this process holds the file's write lock, so
            # the deliveries that queued while another process wrote go in this commit too.
            with writers.exclusive(deadline - time.monotonic()) as held:
                with self._lock:
                    group += self._waiting[: self.max_group - 1]
                    del self._waiting[: self.max_group - 1]
                    self.last_group = len(group)
                if held:
                    self._write_group(engine, group, deadline)
                else:
                    self._spool(group, "the write lock was held too long")
        finally:
            with self._lock:
                following = self._waiting.pop(0) if self._waiting else None
                if following is None:
                    self._writers -= 1
                self._unchecked += 1
                checkpoint = engine.dialect.name == "sqlite" and (
                    self._unchecked >= self.checkpoint_groups
                )
                if checkpoint:
                    self._unchecked = 0
            for waiting in group[1:]:  # group[0] is this thread's own
                waiting.done.release()
            if following is not None:
                following.lead = True
                following.done.release()
        if checkpoint:  # once the others are answered and the lead is handed on
            self.checkpoints += 1
            writers.checkpoint()

    def _write_group(self, engine: Engine, group: list[_Waiting], deadline: float) -> None:
        self.transactions += 1
        try:
            assert self.writers is not None  # set by the first store
            rows = [waiting.row for waiting in group]
            ids = _insert_retrying(self.writers, rows, deadline if self.spool_dir else None)
        except ServiceUnavailable as exc:
            if isinstance(exc, _Busy) and self.spool_dir is not None:
                self._spool(group, str(exc.__cause__))
                return
            for waiting in group:
                waiting.error = exc
            return
        except BaseException as exc:
            if len(group) == 1:
                group[0].error = exc
                return
            log.warning("intake.group_failed", extra={"deliveries": len(group), "error": str(exc)})
            for waiting in group:
                self._write_group(engine, [waiting], deadline)
            return
        for waiting, new_id in zip(group, ids, strict=True):
            waiting.new_id = new_id

    def _spool(self, group: list[_Waiting], reason: str) -> None:
        """SQLite: the group's rows into a spool file, each delivery answered Spooled; a
        spool that cannot be written is a ServiceUnavailable, as the database's error was."""
        error: BaseException
        try:
            assert self.spool_dir is not None  # a file's lock, so a file's spool
            path = spool.write(self.spool_dir, [waiting.row for waiting in group])
        except OSError as exc:
            log.error("intake.spool_failed", extra={"deliveries": len(group), "error": str(exc)})
            error = ServiceUnavailable("the delivery could not be stored now; send it again later")
        else:
            log.warning(
                "intake.spooled",
                extra={"deliveries": len(group), "file": path.name, "reason": reason},
            )
            error = Spooled(path.name)
        for waiting in group:
            waiting.error = error


# One per engine, so one per process; forgotten with its engine, and in a forked child,
# which keeps the parent's (never used, never closed: closing would end the parent's
# sessions on the same sockets).
_groups: weakref.WeakKeyDictionary[Engine, GroupCommit] = weakref.WeakKeyDictionary()
_groups_lock = threading.Lock()
_inherited: list[GroupCommit] = []


def _forget_after_fork() -> None:
    _inherited.extend(_groups.values())
    _groups.clear()


os.register_at_fork(after_in_child=_forget_after_fork)


def group_commit(engine: Engine) -> GroupCommit:
    group = _groups.get(engine)
    if group is None:
        with _groups_lock:
            group = _groups.get(engine)
            if group is None:
                count = POSTGRES_WRITERS if engine.dialect.name == "postgresql" else 1
                group = _groups[engine] = GroupCommit(count)
    return group


def store(engine: Engine, row: Row) -> int | None:
    """Commit one delivery with whatever other requests of this process store meanwhile;
    its new id, or None when (source, delivery_key) is stored already."""
    return group_commit(engine).store(engine, row)
