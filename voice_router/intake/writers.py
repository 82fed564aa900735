"""The connections the group commit writes on: held, one per writer, not pooled.

Taking a connection from SQLAlchemy's pool and giving it back for every group (checkout
and checkin events, the reset's rollback, autocommit switched on and off) cost about as much
Python as the INSERT itself. The intake instead keeps up to `max_writers` DBAPI connections
of its own per engine (`Writers`): detached from the pool once opened, so they neither take
the pool's places nor wait for one, and closed when the engine is disposed. A connection
found dead is closed and replaced (store.py retries the group once on the new one).

On PostgreSQL a group is one prepared `INSERT … VALUES (…), … ON CONFLICT DO NOTHING
RETURNING id, source, delivery_key` per group size, run in autocommit straight on libpq
(psycopg's `pgconn.exec_prepared`, which lets other threads run while it waits): the values
go as text, the body as binary, with none of psycopg's adaptation, and PostgreSQL parses
the statement once per connection and keeps its plan (`plan_cache_mode = auto` on these
connections only). Anything that path does not take as it is (a NUL in a text, an
unencodable string), that PostgreSQL refuses or that fails on the way (`Unusable`) is
written again through psycopg's cursor (store.py), which raises the errors it always did.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager, nullcontext, suppress
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from voice_router.platform.pg_deadline import INTAKE_SECONDS, TimedOut, Watchdog, ping_within
from voice_router.platform.sqlite_lock import writing

log = logging.getLogger(__name__)

Row = dict[str, Any]

WATCHDOG = Watchdog()  # the fast path's writes: past INTAKE_SECONDS, TimedOut (pg_deadline.py)
# libpq's PGRES_COMMAND_OK and PGRES_TUPLES_OK (psycopg.pq.ExecStatus)
_COMMAND_OK = 1
_TUPLES_OK = 2


class Unusable(Exception):
    """The fast path cannot write this group as it is: write it the ordinary way."""


class Writers:
    """The held connections of one engine, handed to one leader at a time each."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._lock = threading.Lock()
        self._idle: list[Any] = []  # DBAPI connections not in use
        self._open: list[Any] = []  # every one still open, to close on dispose
        self._prepared: dict[int, set[int]] = {}  # id(connection) -> group sizes prepared
        self._busy_tenths: dict[int, int] = {}  # SQLite: id(connection) -> its busy_timeout
        self._sqlite = engine.dialect.name == "sqlite"
        sa.event.listen(engine, "engine_disposed", self._disposed)

    def _disposed(self, _engine: Engine) -> None:
        self.close_all()

    def take(self) -> Any:
        """An idle held connection, or a new one."""
        with self._lock:
            if self._idle:
                return self._idle.pop()
        connection = self._open_one()
        if self.engine.dialect.name == "sqlite":
            # No checkpoint inside a commit, which holds the file's write lock: the group
            # commit has one made after it, outside the lock (`checkpoint`).
            connection.execute("PRAGMA wal_autocheckpoint = 0")
        if self.engine.dialect.name == "postgresql":
            connection.autocommit = True
            # The pool's connections plan every execution for its values (platform/db.py);
            # an INSERT of given rows has but one plan, which PostgreSQL may then keep.
            connection.execute("SET plan_cache_mode = auto")
        with self._lock:
            self._open.append(connection)
        return connection

    def _open_one(self) -> Any:
        """A live connection from the pool (its dialect set-up and connect events), then
        detached from it. Pinged first: after a database restart the pool may still hold
        dead connections, which are invalidated until it opens a fresh one. pool_timeout and
        connect errors surface as they do for any checkout."""
        dialect = self.engine.dialect
        tries = getattr(self.engine.pool, "size", lambda: 0)() + 2
        for attempt in range(tries):
            pooled = self.engine.raw_connection()
            connection = pooled.dbapi_connection
            try:
                if dialect.name == "postgresql":
                    ping_within(connection, INTAKE_SECONDS)
                else:
                    dialect.do_ping(connection)  # type: ignore[arg-type]  # a live DBAPI connection
            except TimedOut:
                pooled.invalidate()  # closed: its state is unknown
                pooled.close()
                raise
            except dialect.loaded_dbapi.Error as exc:
                if attempt + 1 == tries or not dialect.is_disconnect(exc, connection, None):
                    pooled.close()
                    raise
                pooled.invalidate(exc)  # closed; its place in the pool connects afresh
                pooled.close()
                continue
            pooled.detach()
            return connection
        raise AssertionError("unreachable")

    def exclusive(self, timeout: float) -> AbstractContextManager[bool]:
        """SQLite: its file's write lock (one writer at a time, platform/sqlite_lock.py), held
        by the group commit from before it gathers a group until the commit, if it comes
        within `timeout` (the block is told whether it did); PostgreSQL writes groups side
        by side."""
        if self._sqlite:
            return writing(self.engine.url.database or "", timeout)
        return nullcontext(True)

    def wait_at_most(self, connection: Any, seconds: float) -> None:
        """SQLite: the connection's next statement waits at most `seconds` (down to a tenth)
        for a lock held outside this service's own queue (platform/sqlite_lock.py), then
        fails with SQLITE_BUSY. Set only when it changes: on the usual path, the same each
        group."""
        if not self._sqlite:
            return
        tenths = max(0, int(seconds * 10))
        if self._busy_tenths.get(id(connection)) != tenths:
            connection.execute(f"PRAGMA busy_timeout = {tenths * 100}")
            self._busy_tenths[id(connection)] = tenths

    def checkpoint(self) -> None:
        """SQLite: copy the WAL's pages into the database file (a PASSIVE checkpoint), outside
        the write lock, so other writers go on meanwhile. SQLite's own automatic checkpoint,
        off on these connections, ran inside the commit that took the WAL past 1,000 pages:
        it held the lock while copying 200-odd pages and syncing both files (15-30 ms), and
        every other process's webhooks waited. One that fails is logged and left to the next."""
        connection = self.take()
        try:
            connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
        except Exception as exc:
            self.discard(connection)
            log.warning("intake.checkpoint_failed", extra={"error": str(exc)})
            return
        self.give_back(connection)

    def give_back(self, connection: Any) -> None:
        with self._lock:
            self._idle.append(connection)

    def discard(self, connection: Any) -> None:
        """A connection found dead (or in an unknown state): closed, never handed out again."""
        with self._lock:
            if connection in self._open:
                self._open.remove(connection)
            self._prepared.pop(id(connection), None)
            self._busy_tenths.pop(id(connection), None)
        with suppress(Exception):
            connection.close()

    def close_all(self) -> None:
        with self._lock:
            connections, self._open, self._idle = self._open, [], []
            self._prepared.clear()
            self._busy_tenths.clear()
        for connection in connections:
            with suppress(Exception):
                connection.close()

    def prepared(self, connection: Any) -> set[int]:
        """The group sizes already prepared on this connection (PostgreSQL)."""
        with self._lock:
            return self._prepared.setdefault(id(connection), set())


def _text(value: Any) -> bytes | None:
    """A value as PostgreSQL's text input, or Unusable (a NUL or lone surrogate in a string,
    which psycopg's own adaptation refuses or handles)."""
    if value is None:
        return None
    if isinstance(value, str):
        if "\x00" in value:
            raise Unusable
        try:
            return value.encode()
        except UnicodeEncodeError:
            raise Unusable from None
    if isinstance(value, datetime):
        if value.utcoffset() is None:
            raise Unusable  # naive: let the column type refuse it as it does elsewhere
        return value.isoformat().encode()
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value).encode()
    raise Unusable


def _binary(value: Any) -> bytes | None:
    if value is None or isinstance(value, bytes):
        return value
    raise Unusable


class PostgresInsert:
    """The group INSERT on libpq, prepared per connection and group size."""

    def __init__(self, table: sa.Table, columns: Sequence[str]) -> None:
        self.table = table.name
        self.columns = tuple(columns)
        # Binary for bytea (the body as it is), text for the rest; the parameters' types are
        # left to PostgreSQL, which takes them from the INSERT's columns.
        binary = [isinstance(table.c[name].type, sa.LargeBinary) for name in self.columns]
        self.encoders: tuple[Callable[[Any], bytes | None], ...] = tuple(
            _binary if is_binary else _text for is_binary in binary
        )
        self.formats = tuple(1 if is_binary else 0 for is_binary in binary)

    def sql(self, count: int) -> bytes:
        width = len(self.columns)
        rows = ", ".join(
            "(" + ", ".join(f"${n * width + i + 1}" for i in range(width)) + ")"
            for n in range(count)
        )
        return (
            f"INSERT INTO {self.table} ({', '.join(self.columns)}) VALUES {rows} "
            "ON CONFLICT DO NOTHING RETURNING id, source, delivery_key"
        ).encode()

    def run(self, writers: Writers, connection: Any, rows: Sequence[Row]) -> list[Any]:
        """The rows in one autocommitted statement: (id, source, key) of each row inserted,
        in no set order. Unusable when the fast path cannot take them, or the database
        refused (the caller writes them through psycopg, which raises the database's error);
        TimedOut when the database did not answer within INTAKE_SECONDS (pg_deadline.py)."""
        values: list[bytes | None] = []
        for row in rows:
            for column, encode in zip(self.columns, self.encoders, strict=True):
                values.append(encode(row[column]))
        count = len(rows)
        name = b"vr_intake_%d" % count
        pgconn = connection.pgconn
        prepared = writers.prepared(connection)
        try:
            with WATCHDOG.watching(connection):
                if count not in prepared:
                    result = pgconn.prepare(name, self.sql(count))
                    if result.status != _COMMAND_OK:
                        raise Unusable
                    prepared.add(count)
                result = pgconn.exec_prepared(name, values, self.formats * count)
        except (Unusable, TimedOut):
            raise
        except Exception as exc:  # libpq could not send or receive: psycopg will say why
            raise Unusable from exc
        if result.status != _TUPLES_OK:
            raise Unusable
        return [
            (
                int(result.get_value(n, 0)),
                result.get_value(n, 1).decode(),
                result.get_value(n, 2).decode(),
            )
            for n in range(result.ntuples)
        ]
