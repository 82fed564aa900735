"""Upgrading a PostgreSQL deployment never holds off webhooks: the migrations that index
the delivery table (0016, 0018) build and drop their indexes CONCURRENTLY, and one whose
concurrent build failed halfway is finished by running the upgrade again."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator

import psycopg
import pytest
from alembic import command

from tests.conftest import POSTGRES_ADMIN_URL, source_table
from tests.support import generic_delivery, receive_generic
from voice_router.intake import inbox
from voice_router.platform.db import alembic_config, current_revision, make_engine, upgrade
from voice_router.platform.settings import parse_settings

BEFORE = "0015"  # the revision before the first migration that indexes the delivery table
INDEXES = (
    "SELECT indexrelid::regclass::text, indisvalid FROM pg_index "
    "WHERE indrelid = 'delivery'::regclass"
)


@pytest.fixture
def database() -> Iterator[str]:
    """A database of its own: the test takes it down to an old revision."""
    name = f"vr_online_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    yield POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + "/" + name
    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _store(engine, settings, ticket: str) -> inbox.Receipt:  # type: ignore[no-untyped-def]
    return receive_generic(
        engine, settings, generic_delivery(ticket, f"{ticket}@acme.com", ["pain-export"])
    )


def _wait_for(url: str, query: str, seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    with psycopg.connect(url, autocommit=True) as watcher:
        while watcher.execute(query).fetchone() is None:
            assert time.monotonic() < deadline, f"never seen: {query}"
            time.sleep(0.05)


def test_a_webhook_is_stored_while_the_upgrade_builds_the_delivery_indexes(
    database: str,
) -> None:
    engine = make_engine(database)
    settings = parse_settings({"database_url": database, "sources": source_table()}, {}, "test")
    command.upgrade(alembic_config(engine), BEFORE)
    for i in range(50):
        _store(engine, settings, f"T{i}")
    # A transaction that wrote a delivery and has not ended: an index build waits for it.
    # A plain CREATE INDEX waits holding its place in the table's lock queue, and every
    # webhook after it queues behind; a concurrent build lets them through.
    writer = psycopg.connect(database)
    writer.execute("UPDATE delivery SET attempts = attempts WHERE id = 1")
    failure: list[BaseException] = []

    def migrate() -> None:
        try:
            upgrade(engine)
        except BaseException as exc:  # reported by the test below
            failure.append(exc)

    migration = threading.Thread(target=migrate)
    migration.start()
    try:
        _wait_for(
            database,
            "SELECT 1 FROM pg_stat_activity WHERE datname = current_database() "
            "AND wait_event_type = 'Lock' AND query ILIKE 'CREATE INDEX%delivery%'",
        )
        with psycopg.connect(database, autocommit=True) as sender:
            sender.execute("SET lock_timeout = '3s'")  # the webhook path's own wait, bounded
            sender.execute(
                "INSERT INTO delivery (source, kind, delivery_key, headers, body, status, "
                "attempts, received_at, next_attempt_at) "
                "SELECT source, kind, 'during', headers, body, status, 0, now(), now() "
                "FROM delivery WHERE id = 1"
            )
        receipt = _store(engine, settings, "during-the-upgrade")
        assert receipt.status == "pending" and not receipt.duplicate
    finally:
        writer.commit()
        writer.close()
        migration.join(60)
    assert not migration.is_alive() and failure == []
    assert current_revision(engine) == _head(engine)
    with engine.connect() as connection:
        indexes = dict(connection.exec_driver_sql(INDEXES).all())
        stored = connection.exec_driver_sql("SELECT count(*) FROM delivery").scalar()
    assert indexes["ix_delivery_pending"] is True and indexes["ix_delivery_held"] is True
    assert "ix_delivery_status_due" not in indexes
    assert stored == 52
    engine.dispose()


def test_an_index_left_invalid_by_a_failed_build_is_built_again(database: str) -> None:
    engine = make_engine(database)
    settings = parse_settings({"database_url": database, "sources": source_table()}, {}, "test")
    command.upgrade(alembic_config(engine), BEFORE)
    for i in range(3):
        _store(engine, settings, f"T{i}")
    with psycopg.connect(database, autocommit=True) as admin:
        # A concurrent build that fails (here: duplicates under a unique index) leaves its
        # index behind, invalid, under the name the migration will build.
        with pytest.raises(psycopg.errors.UniqueViolation):
            admin.execute("CREATE UNIQUE INDEX CONCURRENTLY ix_delivery_pending ON delivery (kind)")
        assert admin.execute(INDEXES).fetchall().count(("ix_delivery_pending", False)) == 1
    upgrade(engine)
    with engine.connect() as connection:
        indexes = dict(connection.exec_driver_sql(INDEXES).all())
        definition = connection.exec_driver_sql(
            "SELECT pg_get_indexdef('ix_delivery_pending'::regclass)"
        ).scalar()
    assert indexes["ix_delivery_pending"] is True
    assert "UNIQUE" not in definition and "(id) WHERE" in definition
    assert "'pending'" in definition
    engine.dispose()


def _head(engine) -> str:  # type: ignore[no-untyped-def]
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config(engine)).get_current_head() or ""
