"""SQLite writers queue on one lock per database file (voice_router/platform/sqlite_lock.py): a unit
of work holds it from its BEGIN IMMEDIATE until its connection is back in the pool, whether it
committed or failed, so no writer is ever left waiting on a lock nobody holds."""

from __future__ import annotations

import shutil
import threading

import pytest
import sqlalchemy as sa

from voice_router.models import Customer
from voice_router.platform.db import make_engine, session_scope
from voice_router.platform.sqlite_lock import write_lock


@pytest.fixture
def sqlite_file(tmp_path, sqlite_template):  # type: ignore[no-untyped-def]
    path = tmp_path / "voice_router.db"
    shutil.copy(sqlite_template, path)
    engine = make_engine(f"sqlite:///{path}")
    yield engine, str(path)
    engine.dispose()


def free_for_another_thread(database: str) -> bool:
    got: list[bool] = []

    def take() -> None:
        lock = write_lock(database)
        assert lock is not None
        got.append(lock.acquire(timeout=1.0))
        if got[0]:
            lock.release()

    thread = threading.Thread(target=take)
    thread.start()
    thread.join()
    return got[0]


def test_a_unit_of_work_holds_the_lock_until_it_commits(sqlite_file):
    engine, database = sqlite_file
    with session_scope(engine) as session:
        session.add(Customer(email="a@acme.com"))
        session.flush()
        lock = write_lock(database)
        assert lock is not None and not lock.acquire(timeout=0.05)  # held by this one
    assert free_for_another_thread(database)


def test_a_failed_unit_of_work_gives_the_lock_back(sqlite_file):
    engine, database = sqlite_file
    with pytest.raises(sa.exc.IntegrityError), session_scope(engine) as session:
        session.add(Customer(email="same@acme.com"))
        session.add(Customer(email="same@acme.com"))
        session.flush()
    assert free_for_another_thread(database)
    with session_scope(engine) as session:  # and the next one writes
        session.add(Customer(email="b@acme.com"))


def test_a_read_outside_a_transaction_leaves_transactions_to_us_again(sqlite_file):
    """A token's lookup reads outside a transaction (AUTOCOMMIT). SQLAlchemy's reset used to
    hand that pooled connection back with pysqlite's own transaction handling switched on,
    and the serve job runner's lease could then no longer be taken over (tests/test_serve.py);
    every connection the pool hands out must leave BEGIN to `_sqlite_begin`."""
    from voice_router.platform.tokens import Caller, authenticate, create_token

    engine, _ = sqlite_file
    token = create_token(engine, "agent", "reader")
    assert authenticate(engine, token) == Caller("reader", "agent")
    with engine.connect() as connection:
        assert connection.connection.dbapi_connection.isolation_level is None
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.exec_driver_sql("VACUUM")  # as `forget` compacts the file
    with engine.connect() as connection:
        assert connection.connection.dbapi_connection.isolation_level is None
