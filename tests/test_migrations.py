"""The migrations build exactly the schema the table models describe, on both databases,
and the newest one can be undone and applied again."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.engine import Engine
from sqlmodel import SQLModel

import voice_router.models  # noqa: F401  (registers the tables)
from voice_router.platform.db import alembic_config, current_revision, make_engine, upgrade

# Foreign keys the models declare that PostgreSQL checks set-wise, by triggers (migration
# 0017; tests/test_references.py holds them to what a foreign key refuses).
SETWISE = {
    ("painpoint", "problem_id"),
    ("painpoint", "customer_id"),
    ("painpoint", "account_id"),
    ("impactmember", "owner_id"),
    ("impactday", "owner_id"),
}
SETWISE_TRIGGERS = {
    *(f"{table}_references_{event}" for table in ("painpoint", "impactmember", "impactday")
      for event in ("insert", "update")),
    "problem_unreferenced",
    "customer_unreferenced",
    "account_unreferenced",
}  # fmt: skip


def _drift(engine) -> list:  # type: ignore[no-untyped-def]
    """What the migrated schema lacks or has beyond the models; on PostgreSQL without the
    set-wise foreign keys, as long as their triggers are all there."""
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        drift = compare_metadata(context, SQLModel.metadata)
    if engine.dialect.name != "postgresql" or not _triggers(engine) >= SETWISE_TRIGGERS:
        return drift
    return [d for d in drift if not (d[0] == "add_fk" and _key(d[1]) in SETWISE)]


def _key(constraint) -> tuple[str, str]:  # type: ignore[no-untyped-def]
    return constraint.parent.name, constraint.column_keys[0]


def _triggers(engine) -> set[str]:  # type: ignore[no-untyped-def]
    if engine.dialect.name != "postgresql":
        return set()
    with engine.connect() as connection:
        rows = connection.exec_driver_sql("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal")
        return set(rows.scalars())


def test_migrated_schema_matches_the_models(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        assert _drift(engine) == []
    finally:
        engine.dispose()


# What 0018 changed: the delivery table's index on (status, next_attempt_at) gave way to a
# partial one on failed and invalid deliveries.
CHANGED_BY_0018 = {("add_index", "ix_delivery_held"), ("remove_index", "ix_delivery_status_due")}
# What 0019 changed: the tallies' index for suggestions no longer holds their count.
CHANGED_BY_0019 = {
    ("add_index", "ix_impactmember_shared"),
    ("remove_index", "ix_impactmember_member"),
}


CHANGED_BY_0020 = {
    ("add_column", "jira_issue_id"),
    ("add_index", "ix_problem_jira_issue_id"),
}
# What 0021 changed: a merged problem remembers the issue it handed to its survivor.
CHANGED_BY_0021 = {("add_column", "jira_handed_key")}
# What 0022 added: whom each sent digest of a shipped fix named; when an account's MRR was set.
CHANGED_BY_0022 = {("add_table", "digestcustomer"), ("add_column", "mrr_at")}
# What 0023 added: the addresses a customer had before, hashed.
CHANGED_BY_0023 = {("add_table", "customeralias"), ("add_index", "ix_customeralias_email_hash")}
# What 0024 added: what a message's reader heard of the fix before.
CHANGED_BY_0024 = {("add_column", "fix_told"), ("add_column", "amends")}
# What 0025 added: which fix a customer was marked told of.
CHANGED_BY_0025 = {("add_column", "fix_shipped_at")}
# What 0026 added: whether a message's request went out.
CHANGED_BY_0026 = {("add_column", "request_at")}


def _changes(engine) -> set[tuple[str, str]]:  # type: ignore[no-untyped-def]
    """(kind, name) of each difference: an index's, or a column's (`add_column` entries are
    (kind, schema, table, column))."""
    return {(d[0], d[3].name if d[0] == "add_column" else d[1].name) for d in _drift(engine)}


def test_the_newest_migrations_go_down_and_up_again(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        newest = current_revision(engine)
        command.downgrade(alembic_config(engine), "-1")
        assert current_revision(engine) != newest
        assert _changes(engine) == CHANGED_BY_0026
        command.downgrade(alembic_config(engine), "-1")
        assert _changes(engine) == CHANGED_BY_0026 | CHANGED_BY_0025
        since_0024 = CHANGED_BY_0026 | CHANGED_BY_0025 | CHANGED_BY_0024
        command.downgrade(alembic_config(engine), "-1")
        assert _changes(engine) == since_0024
        command.downgrade(alembic_config(engine), "-1")
        assert _changes(engine) == since_0024 | CHANGED_BY_0023
        since_0022 = since_0024 | CHANGED_BY_0023 | CHANGED_BY_0022
        command.downgrade(alembic_config(engine), "-1")
        assert _changes(engine) == since_0022
        command.downgrade(alembic_config(engine), "-1")
        assert _changes(engine) == since_0022 | CHANGED_BY_0021
        command.downgrade(alembic_config(engine), "-1")
        assert _changes(engine) == since_0022 | CHANGED_BY_0021 | CHANGED_BY_0020
        command.downgrade(alembic_config(engine), "-1")
        since_0019 = since_0022 | CHANGED_BY_0021 | CHANGED_BY_0020 | CHANGED_BY_0019
        assert _changes(engine) == since_0019
        postgresql = engine.dialect.name == "postgresql"
        assert _fillfactor(engine) == ("default" if postgresql else None)
        command.downgrade(alembic_config(engine), "-1")
        assert _changes(engine) == since_0019 | CHANGED_BY_0018
        command.downgrade(alembic_config(engine), "-1")
        if engine.dialect.name == "postgresql":  # 0017 changes PostgreSQL's schema only
            assert not _triggers(engine) & SETWISE_TRIGGERS
        assert _changes(engine) == since_0019 | CHANGED_BY_0018
        upgrade(engine)
        assert _drift(engine) == []
        assert _fillfactor(engine) == ("80" if postgresql else None)
        if engine.dialect.name == "postgresql":
            assert _triggers(engine) >= SETWISE_TRIGGERS
    finally:
        engine.dispose()


def _fillfactor(engine) -> str | None:  # type: ignore[no-untyped-def]
    """impactmember's fillfactor on PostgreSQL ("default" when unset); None elsewhere."""
    if engine.dialect.name != "postgresql":
        return None
    with engine.connect() as connection:
        options = connection.exec_driver_sql(
            "SELECT reloptions FROM pg_class WHERE relname = 'impactmember'"
        ).scalar()
    found = [o.split("=", 1)[1] for o in options or [] if o.startswith("fillfactor=")]
    return found[0] if found else "default"


@contextmanager
def _at_revision(database_url: str, revision: str) -> Iterator[Engine]:
    """An engine on the test database migrated down to `revision`, disposed afterwards."""
    engine = make_engine(database_url)
    try:
        command.downgrade(alembic_config(engine), revision)
        yield engine
    finally:
        engine.dispose()


def test_0025_takes_marks_since_the_last_ship_as_marks_of_that_fix(database_url: str) -> None:
    with _at_revision(database_url, "0024") as engine:
        with engine.begin() as connection:
            connection.execute(
                sa.text(
                    "INSERT INTO problem (id, key, title, status, customers, accounts, mrr, "
                    "tickets, created_at, updated_at, jira_sync_attempts, shipped_at) VALUES "
                    "(1, 'p', 'P', 'shipped', 0, 0, 0, 0, :then, :then, 0, :shipped)"
                ),
                {"then": "2026-11-01 10:00:00", "shipped": "2026-11-10 10:00:00"},
            )
            for customer, marked in ((1, "2026-11-09 10:00:00"), (2, "2026-11-11 10:00:00")):
                connection.execute(
                    sa.text("INSERT INTO customer (id, created_at) VALUES (:id, :at)"),
                    {"id": customer, "at": "2026-11-01 10:00:00"},
                )
                connection.execute(
                    sa.text(
                        "INSERT INTO customernotice (problem_id, customer_id, notified_at) "
                        "VALUES (1, :customer, :at)"
                    ),
                    {"customer": customer, "at": marked},
                )
        upgrade(engine)
        with engine.connect() as connection:
            rows = connection.execute(
                sa.text(
                    "SELECT customer_id, fix_shipped_at IS NOT NULL FROM customernotice "
                    "ORDER BY customer_id"
                )
            ).all()
        assert [tuple(row) for row in rows] == [(1, False), (2, True)]  # before it: of none


def test_0026_takes_what_was_being_sent_as_gone_out(database_url: str) -> None:
    """Rows left `sending` by the code before 0026 may have gone out: an outbound message's
    and a weekly digest's are given up (weekly: after SENDING_STALE), not sent again."""
    with _at_revision(database_url, "0025") as engine:
        sending = '{"status": "sending", "at": "2026-12-07T09:00:00+00:00"}'
        with engine.begin() as connection:
            connection.execute(
                sa.text("INSERT INTO setting (key, value) VALUES (:key, :value)"),
                [
                    {"key": "weekly_top:2026-W50:slack", "value": sending},
                    {"key": "weekly_top:2026-W49:slack", "value": '{"status": "sent"}'},
                ],
            )
        upgrade(engine)
        with engine.connect() as connection:
            values = dict(connection.execute(sa.text("SELECT key, value FROM setting")).all())
        assert json.loads(values["weekly_top:2026-W50:slack"]) == {
            "status": "sending",
            "request_at": "before 0026",
            "at": "2026-12-07T09:00:00+00:00",
        }
        assert values["weekly_top:2026-W49:slack"] == '{"status": "sent"}'


def test_a_database_of_0008_holding_pain_points_upgrades(database_url: str) -> None:
    """Fault audit: on SQLite, migration 0009 rebuilds `problem` by copying it and dropping
    the old one, which foreign keys refused while pain points pointed at it: the upgrade
    stopped, and serve (which upgrades SQLite at start-up) did not start."""

    with _at_revision(database_url, "0008") as engine:
        now = "2026-12-01 10:00:00"
        with engine.begin() as connection:
            connection.execute(
                sa.text("INSERT INTO customer (id, created_at) VALUES (1, :now)"), {"now": now}
            )
            connection.execute(
                sa.text(
                    "INSERT INTO problem (id, key, title, status, customers, accounts, mrr, "
                    "tickets, created_at, updated_at, jira_sync_attempts) VALUES "
                    "(1, 'p', 'P', 'open', 1, 0, 0, 1, :now, :now, 0)"
                ),
                {"now": now},
            )
            connection.execute(
                sa.text(
                    "INSERT INTO painpoint (id, problem_id, source, ticket_id, tag, customer_id, "
                    "reported_at, last_event_at) VALUES (1, 1, 'generic', 't1', 'pain-p', 1, "
                    ":now, :now)"
                ),
                {"now": now},
            )
        upgrade(engine)
        with engine.connect() as connection:
            assert connection.execute(sa.text("SELECT problem_id FROM painpoint")).all() == [(1,)]
            if engine.dialect.name == "sqlite":  # enforcement is back on for the service
                assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


def test_0009_leaves_each_shared_issue_with_its_oldest_problem(database_url: str) -> None:
    """Linking used to let several problems point at one issue; the unique key cannot hold
    until they are told apart: the oldest keeps it, the others say why they lost it."""

    with _at_revision(database_url, "0008") as engine:
        insert = sa.text(
            "INSERT INTO problem (id, key, title, status, customers, accounts, mrr, tickets, "
            "created_at, updated_at, jira_sync_attempts, jira_key, jira_content_hash) VALUES "
            "(:id, :key, :key, 'open', 0, 0, 0, 0, :now, :now, 0, :jira, 'h')"
        )
        now = "2026-12-01 10:00:00"
        with engine.begin() as connection:
            for problem_id, jira in ((3, "PROD-1"), (5, "PROD-1"), (9, "PROD-1"), (4, "PROD-2")):
                connection.execute(
                    insert, {"id": problem_id, "key": f"p{problem_id}", "now": now, "jira": jira}
                )
        upgrade(engine)
        with engine.connect() as connection:
            rows = {
                r.id: r
                for r in connection.execute(
                    sa.text(
                        "SELECT id, jira_key, jira_error, jira_unlinked_at, jira_content_hash "
                        "FROM problem"
                    )
                )
            }
        assert {i: r.jira_key for i, r in rows.items()} == {
            3: "PROD-1",
            4: "PROD-2",
            5: None,
            9: None,
        }
        assert rows[3].jira_content_hash is None  # its block is rewritten at its next sync
        assert rows[4].jira_content_hash == "h" and rows[4].jira_error is None
        for lost in (5, 9):
            assert "PROD-1 is problem 3's issue" in rows[lost].jira_error
            assert rows[lost].jira_unlinked_at is not None
        assert _drift(engine) == []
