"""Group commit: concurrent webhooks share a transaction, and each still gets its own answer
only after its delivery is committed (voice_router/intake/store.py).

Each test holds the delivery table's write lock from another connection, so the first request
blocks in its INSERT and the next ones queue behind it: they are then written as one group
when the lock goes, whatever the machine's timing.
"""

from __future__ import annotations

import shutil
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from tests.support import generic_delivery, post_signed
from voice_router.intake import statements, store
from voice_router.platform.db import make_engine
from workers.runtime import build_runtime

# These tests hold the write lock on purpose, to make groups: on a loaded machine queueing
# them may take longer than store.SPOOL_AFTER_SECONDS, after which SQLite's deliveries would
# go to the spool instead (tests/test_intake_spool.py tests that), so they wait longer here.
HOLD_WITHOUT_SPOOLING = 60.0


@contextmanager
def table_locked(database_url: str) -> Iterator[None]:
    """Another connection holds the write lock on the delivery table until the block ends."""
    engine = make_engine(database_url)
    try:
        with engine.connect() as connection:
            if engine.dialect.name == "sqlite":
                connection.exec_driver_sql("COMMIT")  # leave the BEGIN SQLAlchemy just sent
                connection.exec_driver_sql("BEGIN IMMEDIATE")
            else:
                connection.exec_driver_sql("LOCK TABLE delivery IN EXCLUSIVE MODE")
            yield
            connection.rollback()
    finally:
        engine.dispose()


def wait_until(condition: Callable[[], bool]) -> None:
    deadline = time.monotonic() + 10
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.005)


def in_thread(function: Callable[[], Any]) -> dict[str, Any]:
    """Runs `function` in a thread; the dict gets its "value" or "error", then "done"."""
    outcome: dict[str, Any] = {}

    def run() -> None:
        try:
            outcome["value"] = function()
        except Exception as exc:
            outcome["error"] = exc
        outcome["done"] = True

    thread = threading.Thread(target=run, daemon=True)
    outcome["thread"] = thread
    thread.start()
    return outcome


def queued(group: store.GroupCommit, function: Callable[[], Any]) -> dict[str, Any]:
    """`in_thread`, once the call waits in the group commit's queue (so queued in order)."""
    before = group.waiting()
    outcome = in_thread(function)
    wait_until(lambda: group.waiting() == before + 1)
    return outcome


def visible_ids(database_url: str) -> set[int]:
    """Delivery ids as a connection of its own sees them (committed rows only)."""
    engine = make_engine(database_url)
    try:
        with engine.connect() as connection:
            return set(connection.exec_driver_sql("SELECT id FROM delivery").scalars())
    finally:
        engine.dispose()


@pytest.fixture
def intake(settings):  # type: ignore[no-untyped-def]
    """The web app with the embedded queue (signals only: nothing is processed)."""
    from voice_router.web import create_app

    runtime = build_runtime(settings)
    group = store.group_commit(runtime.engine)
    group.spool_after = HOLD_WITHOUT_SPOOLING
    yield create_app(runtime=runtime), group
    runtime.engine.dispose()


def test_concurrent_webhooks_share_one_commit_and_answer_only_after_it(intake, database_url):
    app, group = intake
    bodies = [generic_delivery(f"T{n}", f"c{n}@acme.com", ["pain-x"]) for n in range(8)]
    bodies.append(bodies[-1])  # a provider retry queued right behind the original
    with table_locked(database_url):
        leaders = [  # each writes its own group (PostgreSQL writes several at once), blocked
            in_thread(lambda b=body: post_signed(app.test_client(), "generic", b))
            for body in bodies[: group.max_writers]
        ]
        wait_until(lambda: group.transactions == group.max_writers)
        posts = [
            queued(group, lambda b=body: post_signed(app.test_client(), "generic", b))
            for body in bodies[group.max_writers :]
        ]
        time.sleep(0.1)
        assert not any("done" in post for post in [*leaders, *posts])  # nobody answered yet
        assert visible_ids(database_url) == set()
    for post in [*leaders, *posts]:
        post["thread"].join(10)
    answers = [post["value"] for post in [*leaders, *posts]]
    assert [answer.status_code for answer in answers] == [202] * 9
    documents = [answer.get_json() for answer in answers]
    *distinct, original, again = documents
    assert [d["duplicate"] for d in distinct] == [False] * 7
    assert {original["duplicate"], again["duplicate"]} == {False, True}  # either may win
    assert original["delivery_id"] == again["delivery_id"]
    assert visible_ids(database_url) == {d["delivery_id"] for d in documents}
    # Then the others, in one group per leader at most (the leaders finish together when the
    # lock goes, and each takes whoever waits then): with SQLite's one writer, one group.
    assert group.max_writers < group.transactions <= 2 * group.max_writers < len(bodies)


def row(key: str, **overrides: Any) -> dict[str, Any]:
    now = datetime.now(UTC)
    return {
        "source": "generic",
        "kind": "generic",
        "delivery_key": key,
        "headers": "{}",
        "body": b"{}",
        "status": "pending",
        "attempts": 0,
        "last_error": None,
        "received_at": now,
        "next_attempt_at": now,
        **overrides,
    }


def test_a_refused_delivery_costs_the_rest_of_its_group_nothing(settings, database_url):
    engine = make_engine(database_url)
    group = store.GroupCommit(max_writers=1, spool_after=HOLD_WITHOUT_SPOOLING)
    rows = [
        row("b"),
        row("refused", headers=None),  # NOT NULL: the database refuses this one
        row("b"),  # the same delivery again, in the same group
        row("a"),  # stored by the group before
        row("c"),
    ]
    try:
        with table_locked(database_url):
            first = in_thread(lambda: group.store(engine, row("a")))
            wait_until(lambda: group.transactions == 1)
            stores = [queued(group, lambda r=r: group.store(engine, r)) for r in rows]
        for outcome in [first, *stores]:
            outcome["thread"].join(10)
        b, refused, b_again, a_again, c = stores
        assert isinstance(first["value"], int)
        assert isinstance(b["value"], int) and isinstance(c["value"], int)
        assert isinstance(refused["error"], engine.dialect.loaded_dbapi.IntegrityError)
        for duplicate in (b_again, a_again):
            assert duplicate["value"] is None and "error" not in duplicate
        assert visible_ids(database_url) == {first["value"], b["value"], c["value"]}
        # the group, then its deliveries one by one when one was refused
        assert group.transactions == 2 + len(rows)
    finally:
        engine.dispose()


def stored_rows(database_url: str) -> dict[str, Any]:
    engine = make_engine(database_url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(sa.select(statements.TABLE))
            return {r.delivery_key: r for r in rows}
    finally:
        engine.dispose()


def test_a_group_is_stored_byte_for_byte_on_the_writers_own_connection(settings, database_url):
    """The rows as given, whichever path wrote them (on PostgreSQL libpq's prepared
    statement, or psycopg's cursor for a text it cannot take: a NUL, which psycopg refuses)."""
    engine = make_engine(database_url)
    group = store.GroupCommit(max_writers=1, spool_after=HOLD_WITHOUT_SPOOLING)
    moment = datetime(2026, 12, 5, 14, 0, 0, 123456, tzinfo=UTC)
    try:
        with table_locked(database_url):  # the first blocks, the next two queue: one group
            first = in_thread(lambda: group.store(engine, row("plain", received_at=moment)))
            wait_until(lambda: group.transactions == 1)
            odd = row("bytes", body=b"\x00{\xff}\r\n", headers='{"x-é": "ü"}', last_error="bad ☃")
            grouped = [
                queued(group, lambda r=r: group.store(engine, r)) for r in (odd, row("bytes"))
            ]
        for outcome in [first, *grouped]:
            outcome["thread"].join(10)
        assert isinstance(first["value"], int) and isinstance(grouped[0]["value"], int)
        assert grouped[1]["value"] is None  # the same key again in the group: a duplicate
        assert group.transactions == 2
        nul = row("nul", last_error="a\x00b")
        if engine.dialect.name == "postgresql":
            with pytest.raises(engine.dialect.loaded_dbapi.DataError):
                group.store(engine, nul)  # psycopg refuses a NUL in a text, as before
        else:
            assert group.store(engine, nul) is not None
        assert group.store(engine, row("after")) is not None  # the connection still serves
        # every group on connections of its own, never more than its writers
        assert group.writers is not None and len(group.writers._open) <= group.max_writers
        if engine.dialect.name == "postgresql":
            (connection,) = group.writers._open
            names = {n for (n,) in connection.execute("SELECT name FROM pg_prepared_statements")}
            assert {"vr_intake_1", "vr_intake_2"} <= names  # libpq's path, not the fallback
    finally:
        engine.dispose()
    stored = stored_rows(database_url)
    assert set(stored) == {"plain", "bytes", "after"} | (
        set() if database_url.startswith("postgresql") else {"nul"}
    )
    assert bytes(stored["bytes"].body) == b"\x00{\xff}\r\n"
    assert stored["bytes"].headers == '{"x-é": "ü"}' and stored["bytes"].last_error == "bad ☃"
    assert stored["plain"].last_error is None and stored["plain"].attempts == 0
    assert stored["plain"].received_at == moment


def test_the_writers_connections_close_with_their_engine(settings, database_url):
    engine = make_engine(database_url)
    group = store.GroupCommit(max_writers=1, spool_after=HOLD_WITHOUT_SPOOLING)
    assert group.store(engine, row("a")) is not None
    assert group.writers is not None
    (connection,) = group.writers._open
    engine.dispose()
    assert connection.closed if engine.dialect.name == "postgresql" else group.writers._open == []
    assert group.store(engine, row("b")) is not None  # a new one after the dispose
    engine.dispose()


def test_under_load_a_leader_lingers_for_the_deliveries_right_behind_it(settings, database_url):
    """After a group of several, the next leader waits `linger` before it writes, and what
    queues meanwhile goes in its commit; after a group of one, a delivery is written at once."""
    engine = make_engine(database_url)
    group = store.GroupCommit(max_writers=1, linger=1.0, spool_after=HOLD_WITHOUT_SPOOLING)
    try:
        with table_locked(database_url):  # a group of one, then a group of two
            first = in_thread(lambda: group.store(engine, row("a")))
            wait_until(lambda: group.transactions == 1)
            pair = [queued(group, lambda k=k: group.store(engine, row(k))) for k in ("b", "c")]
        for outcome in [first, *pair]:
            outcome["thread"].join(10)
        assert group.transactions == 2 and group.last_group == 2
        leader = in_thread(lambda: group.store(engine, row("d")))  # lingers
        behind = queued(group, lambda: group.store(engine, row("e")))
        for outcome in (leader, behind):
            outcome["thread"].join(10)
        assert isinstance(leader["value"], int) and isinstance(behind["value"], int)
        assert group.transactions == 3 and group.last_group == 2  # one commit for both
        alone = in_thread(lambda: group.store(engine, row("f")))  # lingers: last group 2
        alone["thread"].join(10)
        assert group.last_group == 1
        group.linger = 3600  # a lone delivery after a group of one is not held up
        alone = in_thread(lambda: group.store(engine, row("g")))
        alone["thread"].join(10)
        assert isinstance(alone.get("value"), int)
    finally:
        engine.dispose()
    assert set(stored_rows(database_url)) == set("abcdefg")


def test_on_sqlite_the_wal_is_checkpointed_after_commits_not_inside_one(tmp_path, sqlite_template):
    """SQLite would copy the WAL into the database file inside the commit that takes it past
    1,000 pages, holding the write lock all along; the group commit does it every
    `checkpoint_groups` groups, after the commit."""
    path = tmp_path / "checkpoint.db"
    shutil.copy(sqlite_template, path)
    engine = make_engine(f"sqlite:///{path}")
    group = store.GroupCommit(max_writers=1, checkpoint_groups=40)
    body = b"x" * 120_000  # about 30 pages each: 39 of them are well over 1,000 WAL pages
    try:
        before = path.stat().st_size
        for n in range(39):
            assert group.store(engine, row(f"k{n}", body=body)) is not None
        assert group.checkpoints == 0
        assert path.stat().st_size == before  # all in the WAL still
        assert Path(f"{path}-wal").stat().st_size > 1000 * 4096
        assert group.store(engine, row("k39", body=body)) is not None
        assert group.checkpoints == 1
        assert path.stat().st_size > before + 40 * len(body)  # now in the database file
    finally:
        engine.dispose()
    assert len(stored_rows(f"sqlite:///{path}")) == 40
