"""One engine per process, sessions as context managers, migrations through Alembic."""

from __future__ import annotations

import fcntl
import logging
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVarTuple

import sqlalchemy as sa
from sqlalchemy.engine import Engine, ExceptionContext
from sqlmodel import Session, SQLModel

from voice_router.platform.pg_deadline import TimedOut, ping_within
from voice_router.platform.sqlite_lock import write_lock

if TYPE_CHECKING:
    import sqlite3

    import psycopg
    from alembic.config import Config
    from sqlalchemy.engine import Connection, Dialect
    from sqlalchemy.engine.interfaces import DBAPIConnection
    from sqlalchemy.pool import ConnectionPoolEntry, PoolProxiedConnection

Columns = TypeVarTuple("Columns")  # a statement's column types, kept in its row (`read_first`)

MIGRATIONS = Path(__file__).resolve().parents[1] / "migrations"


def _sqlite_pragmas(dbapi_connection: sqlite3.Connection, _record: ConnectionPoolEntry) -> None:
    dbapi_connection.isolation_level = None  # BEGIN is ours to say (`_sqlite_begin`)
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


# libpq's: a connection attempt gives up after 5 s; sent data left unacknowledged for 10 s (a
# host gone, a route black-holed by a failover) and a silent peer found by keepalives (after
# 30 s idle, 3 probes 10 s apart) end the connection with an error, where a blocking call would
# otherwise wait for ever.
CONNECT_ARGS = {
    "connect_timeout": 5,
    "tcp_user_timeout": 10_000,
    "keepalives": 1,
    "keepalives_idle": 30,
    "keepalives_interval": 10,
    "keepalives_count": 3,
}

SESSION_SETTINGS = (
    "SET plan_cache_mode = force_custom_plan; "
    f"SET tcp_keepalives_idle = {CONNECT_ARGS['keepalives_idle']}; "
    f"SET tcp_keepalives_interval = {CONNECT_ARGS['keepalives_interval']}; "
    f"SET tcp_keepalives_count = {CONNECT_ARGS['keepalives_count']}"
)


def make_engine(database_url: str) -> Engine:
    """The process's engine. Errors never show the values bound into a statement
    (`hide_parameters`, and PostgreSQL's own quoting cut, see `_without_values`): an error's
    text goes to logs, `delivery.last_error` and rq failure records, which forget cannot
    reach, and the values are customers' e-mails and names."""
    if database_url.startswith("postgresql://"):
        database_url = "postgresql+psycopg://" + database_url.removeprefix("postgresql://")
    if database_url.startswith("sqlite"):
        engine = sa.create_engine(
            database_url, hide_parameters=True, connect_args={"check_same_thread": False}
        )
        sa.event.listen(engine, "connect", _sqlite_pragmas)
        sa.event.listen(engine, "begin", _sqlite_begin)
        sa.event.listen(engine.pool, "checkin", _release_write_lock)
        sa.event.listen(engine.pool, "checkin", _isolation_as_made)
        return engine
    # No ping on every checkout (a round trip per webhook): only a connection that sat idle
    # in the pool pings first (see `_ping_if_idle`), stale ones are recycled, and the intake
    # retries a connection found dead once (`inbox`).
    engine = sa.create_engine(
        database_url,
        hide_parameters=True,
        # Positional parameters: psycopg turns `%s` into `$n` in about half the time it
        # takes for `%(name)s`, which shows on the multi-row INSERTs of a processing batch.
        paramstyle="format",
        pool_recycle=300,
        pool_size=10,
        max_overflow=10,
        pool_timeout=10,
        connect_args=CONNECT_ARGS,
    )
    sa.event.listen(engine, "connect", _postgres_session)
    sa.event.listen(engine, "handle_error", _without_values)
    sa.event.listen(engine.pool, "checkin", _stamp_checkin)
    sa.event.listen(engine.pool, "checkin", _isolation_as_made)
    sa.event.listen(engine.pool, "checkout", partial(_ping_if_idle, engine.dialect))
    return engine


def _sqlite_begin(connection: Connection) -> None:
    """`BEGIN`, or `BEGIN IMMEDIATE` for a unit of work that writes (session_scope). In WAL
    mode a transaction that read first and then writes fails at once with "database is
    locked" — no waiting — when another connection committed since its read: webhooks are
    stored by other threads all the time, so a writer takes the lock when it begins."""
    options = connection.get_execution_options()
    if options.get("isolation_level") == "AUTOCOMMIT":  # VACUUM and the like
        return
    begin = options.get("sqlite_begin", "")
    if begin == "IMMEDIATE":
        _take_write_lock(connection)
    connection.exec_driver_sql(f"BEGIN {begin}".strip())


def _take_write_lock(connection: sa.Connection) -> None:
    """Queue for the write lock (voice_router.platform.sqlite_lock) before `BEGIN IMMEDIATE`; held
    until the connection goes back to the pool, which a session does right after its
    commit or rollback."""
    info = connection.connection.info  # the pooled connection's, seen again at checkin
    if "write_lock" in info:  # a second transaction before going back to the pool
        return
    lock = write_lock(connection.engine.url.database or "")
    if lock is not None and lock.acquire():
        info["write_lock"] = lock


def _isolation_as_made(dbapi_connection: Any, _record: Any) -> None:
    """Back in the pool, a connection used outside a transaction (isolation_level AUTOCOMMIT:
    a token's lookup, VACUUM) gets the isolation level it was made with again. SQLAlchemy's
    reset sets the level it read at connect instead: on SQLite that switches pysqlite's own
    transaction handling back on (isolation_level ""), beside `_sqlite_begin`'s, and the
    serve job runner's lease could then no longer be taken over (tests/test_serve.py); on
    PostgreSQL every later BEGIN would name READ COMMITTED rather than the server's default."""
    if dbapi_connection is None or getattr(dbapi_connection, "closed", False):
        return  # invalidated (a dropped connection): the pool connects afresh in its place
    if dbapi_connection.isolation_level is not None:
        dbapi_connection.isolation_level = None


def _release_write_lock(_dbapi_connection: Any, record: Any) -> None:
    lock = record.info.pop("write_lock", None)
    if lock is not None:
        lock.release()


def _postgres_session(
    dbapi_connection: psycopg.Connection[Any], _record: ConnectionPoolEntry
) -> None:
    """psycopg prepares a statement run five times on a connection, and PostgreSQL may then
    keep one generic plan for it. For a batch's `ticket_id IN (…500 values…)` lookups, a
    plan made while the table was small turned 3 ms into 200 ms once it had grown: plan
    every execution for its values (prepared statements still skip the parsing).

    The server probes the connection as the client does (CONNECT_ARGS): a worker whose
    machine vanished mid-batch (no FIN, no RST) held its batch's row locks, and the other
    workers' batches on the same problems waited, until the server's own keepalive gave up,
    about two hours with the operating system's defaults; now about a minute."""
    autocommit = dbapi_connection.autocommit
    dbapi_connection.autocommit = True
    try:
        dbapi_connection.execute(SESSION_SETTINGS)
    finally:
        dbapi_connection.autocommit = autocommit


_QUOTED = re.compile(r'"[^"]*"')


def _without_values(context: ExceptionContext) -> None:
    """PostgreSQL writes values into the text of its errors: `DETAIL:  Key (email)=(…)
    already exists`, `Failing row contains (…)` for integrity errors (class 23), and the
    offending value itself for data errors (class 22: `invalid input syntax for type
    integer: "…"`). Those keep their first line only, a data error's quoted parts become
    "…"; the fields stay on `exc.orig.diag` for code that needs them. Other errors (a
    deadlock, a lost connection) keep their whole text: it names no value."""
    error = context.original_exception
    sqlstate = getattr(error, "sqlstate", None) or ""
    if sqlstate[:2] not in ("22", "23") or len(error.args) != 1:
        return
    said = str(error.args[0])
    message = said.split("\n", 1)[0]
    if sqlstate.startswith("22"):
        message = _QUOTED.sub('"…"', message)
    error.args = (message,)
    wrapper = context.sqlalchemy_exception  # its text was made from the driver's already
    if wrapper is not None and wrapper.args and isinstance(wrapper.args[0], str):
        wrapper.args = (wrapper.args[0].replace(said, message), *wrapper.args[1:])


IDLE_PING_SECONDS = 10.0  # a database restart or an idle timeout usually happens in a lull
PING_SECONDS = 5.0  # a pooled connection that does not answer its ping is replaced


def _stamp_checkin(_dbapi_connection: DBAPIConnection, record: ConnectionPoolEntry) -> None:
    record.info["checked_in_at"] = time.monotonic()


def _ping_if_idle(
    dialect: Dialect,
    dbapi_connection: DBAPIConnection,
    record: ConnectionPoolEntry,
    _proxy: PoolProxiedConnection,
) -> None:
    """A pooled connection unused for IDLE_PING_SECONDS is pinged before it is handed out;
    a dead one is replaced by the pool (DisconnectionError), so the first API request after a
    database restart does not fail. Busy connections (a stream of webhooks) are not pinged."""
    checked_in_at = record.info.get("checked_in_at")
    if checked_in_at is None or time.monotonic() - checked_in_at < IDLE_PING_SECONDS:
        return
    try:
        ping_within(dbapi_connection, PING_SECONDS)  # do_ping could wait for ever
    except TimedOut as exc:
        raise sa.exc.DisconnectionError("no answer to a ping") from exc
    except dialect.loaded_dbapi.Error as exc:
        if dialect.is_disconnect(exc, dbapi_connection, None):
            raise sa.exc.DisconnectionError(str(exc)) from exc
        raise


def _outside_transactions(engine: Engine) -> Engine:
    """`engine` with its statements run outside a transaction (AUTOCOMMIT). Made once and
    kept on the engine (making it costs 34 µs): the two go together, where a registry keyed
    by engine would keep every engine a test suite makes alive. A connection gets its
    isolation level back in the pool (`_isolation_as_made`)."""
    found: Engine | None = engine.__dict__.get("_outside_transactions")
    if found is None:
        found = engine.__dict__["_outside_transactions"] = engine.execution_options(
            isolation_level="AUTOCOMMIT"
        )
    return found


def read_first(engine: Engine, statement: sa.Select[*Columns]) -> sa.Row[*Columns] | None:
    """The first row of a read that needs no transaction (a token's or a UI session's
    lookup, on every request), read outside one: no BEGIN and ROLLBACK round trips on
    PostgreSQL."""
    with _outside_transactions(engine).connect() as connection:
        return connection.execute(statement).first()


class ReadSession(Session):
    """A session that never writes: a flush raises (`reading`)."""


def _refuse_flush(session: Session, _context: object, _instances: object) -> None:
    if session.new or session.dirty or session.deleted:
        raise RuntimeError("a read-only session (db.reading) was asked to write")


sa.event.listen(ReadSession, "before_flush", _refuse_flush)


def reading(engine: Engine) -> Session:
    """A session for a view that only reads (API reads, UI pages). On PostgreSQL its
    statements run outside a transaction: at READ COMMITTED, the server's default, each
    statement of a transaction sees what was committed before that statement began, just as
    one outside a transaction does, so a view's BEGIN and ROLLBACK were two round trips that
    bought nothing (0.45 ms of the problem list's read, `bench/read_session.py`). On SQLite a
    transaction as before: it keeps one snapshot for all of a view's statements and costs
    no round trip. Nothing is flushed unasked (no autoflush) and a flush of a change
    raises, so a view cannot write by accident outside a transaction."""
    if engine.dialect.name == "postgresql":
        engine = _outside_transactions(engine)
    return ReadSession(engine, autoflush=False)


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """One unit of work: commit on success, roll back on any error. On SQLite it holds the
    write lock from its start (`_sqlite_begin`)."""
    if engine.dialect.name == "sqlite":
        engine = engine.execution_options(sqlite_begin="IMMEDIATE")
    with Session(engine, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


def update_row(engine: Engine, model: type[SQLModel], row_id: int, **values: object) -> bool:
    """Set `values` on one row, its own transaction; False when the row is gone."""
    with session_scope(engine) as session:
        row = session.get(model, row_id)
        if row is None:
            return False
        for name, value in values.items():
            setattr(row, name, value)
        session.add(row)
    return True


def quiet_alembic() -> None:
    """Before Alembic is imported: it says at INFO which of its plugins it set up, seven lines
    of its internals on the terminal of every `serve` and `worker` start."""
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)


def alembic_config(engine: Engine) -> Config:
    quiet_alembic()
    from alembic.config import Config  # Alembic is imported only when migrating (~0.2 s)

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    quiet_alembic()
    from alembic import command

    with _migration_lock(engine):
        command.upgrade(alembic_config(engine), revision)


# pg_advisory_lock's key for migrating: two `voice-router db upgrade` at once (the compose
# `migrate` service and an operator's, a Kubernetes Job applied again) take turns, and the
# second finds nothing left to do instead of failing on the first one's tables.
MIGRATION_LOCK_KEY = 0x766F_6963_6572_7472  # "voicertr"


@contextmanager
def _migration_lock(engine: Engine) -> Iterator[None]:
    """Migrations one at a time: every web process of a SQLite deployment keeps the file
    current at start-up, so two of them never create the same table; on PostgreSQL an
    advisory lock, held by a connection outside any transaction (a transaction left open
    would hold up a migration's CREATE INDEX CONCURRENTLY for ever)."""
    if engine.dialect.name == "postgresql":
        with _outside_transactions(engine).connect() as connection:
            # Tried, not waited for: a statement waiting on the lock holds a snapshot, which
            # the holder's CREATE INDEX CONCURRENTLY would wait for in turn.
            take = sa.text("SELECT pg_try_advisory_lock(:key)")
            while not connection.execute(take, {"key": MIGRATION_LOCK_KEY}).scalar():
                time.sleep(0.5)
            try:
                yield
            finally:
                connection.execute(
                    sa.text("SELECT pg_advisory_unlock(:key)"), {"key": MIGRATION_LOCK_KEY}
                )
        return
    database = engine.url.database if engine.dialect.name == "sqlite" else None
    if not database or database == ":memory:":
        yield
        return
    with open(f"{database}.migrate-lock", "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def current_revision(engine: Engine) -> str | None:
    quiet_alembic()
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def compact_sqlite(engine: Engine) -> str:
    """Rewrite the SQLite file from live rows only and empty the WAL, so no free page,
    free cell or old WAL frame keeps a copy of what was erased (`voice-router forget`):
    "compacted", "wal-busy" (a reader kept the WAL) or "not-compacted"."""
    try:
        with engine.connect() as connection:
            connection = connection.execution_options(isolation_level="AUTOCOMMIT")
            connection.exec_driver_sql("VACUUM")
            busy = connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)").one()[0]
    except sa.exc.OperationalError as exc:
        logging.getLogger(__name__).warning(
            "privacy.compact_failed", extra={"error": type(exc).__name__}
        )
        return "not-compacted"
    return "wal-busy" if busy else "compacted"
