"""A pain point names an existing problem, customer and account, and an impact tally an
existing problem, whichever way the rows are written; a row something names cannot be
deleted. SQLite holds this with foreign keys; PostgreSQL with set-wise checks, a statement
at a time (migration 0017), which take the same locks a foreign key check takes."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from typing import Any

import psycopg
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session

from voice_router.models import ImpactDay, ImpactMember, PainPoint
from voice_router.platform.db import make_engine, session_scope
from voice_router.platform.upsert import insert_many, update_many

NOW = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
MISSING = 999_999


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


def _table(model: Any) -> sa.Table:
    return model.__table__  # type: ignore[no-any-return]  # SQLModel leaves __table__ undeclared


def _named(engine: Engine, suffix: str = "") -> dict[str, int]:
    """A problem, an account and a customer of that account; their ids."""
    with engine.begin() as connection:

        def insert(sql: str, **values: Any) -> int:
            return int(connection.execute(sa.text(sql + " RETURNING id"), values).scalar_one())

        problem = insert(
            "INSERT INTO problem (key, title, status, customers, accounts, mrr, tickets, "
            "trend_7d, trend_30d, recent, created_at, updated_at, jira_sync_attempts, "
            "jira_person_issue) VALUES (:key, :key, 'open', 0, 0, 0, 0, 0, 0, '', :now, :now, "
            "0, false)",
            key=f"login{suffix}",
            now=NOW,
        )
        account = insert("INSERT INTO account (key) VALUES (:key)", key=f"acme{suffix}.example")
        customer = insert(
            "INSERT INTO customer (email, account_id, created_at) VALUES (:email, :account, :now)",
            email=f"ann{suffix}@acme.example",
            account=account,
            now=NOW,
        )
    return {"problem_id": problem, "customer_id": customer, "account_id": account}


def _pain_point(ids: dict[str, int], ticket: str = "T1", **changed: int) -> dict[str, Any]:
    return {
        **ids,
        **changed,
        "source": "generic",
        "ticket_id": ticket,
        "tag": "pain-login",
        "reported_at": NOW,
        "last_event_at": NOW,
    }


def _refused(engine: Engine, write: Callable[[Session], object]) -> None:
    """`write` fails as a foreign key violation, and its transaction is undone."""
    errors = (sa.exc.IntegrityError, psycopg.errors.ForeignKeyViolation)
    with pytest.raises(errors) as raised, session_scope(engine) as session:
        write(session)
    if engine.dialect.name == "postgresql":
        error = (
            raised.value.orig if isinstance(raised.value, sa.exc.IntegrityError) else raised.value
        )
        assert getattr(error, "sqlstate", None) == "23503"  # foreign_key_violation


def _write_many(rows: list[dict[str, Any]]) -> Callable[[Session], object]:
    """Rows written as processing writes them (COPY on PostgreSQL)."""
    return lambda session: insert_many(session, sa.insert(_table(PainPoint)), rows)


def _write_each(rows: list[dict[str, Any]]) -> Callable[[Session], object]:
    """Rows written by an executemany of a plain INSERT."""
    return lambda session: session.execute(sa.insert(_table(PainPoint)), rows)


def _count(engine: Engine, table: str) -> int:
    with engine.connect() as connection:
        return int(connection.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar_one())


@pytest.mark.parametrize("column", ["problem_id", "customer_id", "account_id"])
@pytest.mark.parametrize("writer", [_write_many, _write_each], ids=["batch", "executemany"])
def test_a_pain_point_naming_a_missing_row_is_refused(
    engine: Engine, column: str, writer: Callable[..., Callable[[Session], object]]
) -> None:
    ids = _named(engine)
    good = _pain_point(ids, "T1")
    bad = _pain_point(ids, "T2", **{column: MISSING})
    _refused(engine, writer([good, bad]))
    assert _count(engine, "painpoint") == 0
    with session_scope(engine) as session:
        writer([good])(session)
    assert _count(engine, "painpoint") == 1


def test_a_pain_point_without_an_account_needs_none(engine: Engine) -> None:
    ids = _named(engine)
    with session_scope(engine) as session:
        _write_many([_pain_point(ids, "T1", account_id=None)])(session)  # type: ignore[arg-type]  # None: no account
    assert _count(engine, "painpoint") == 1


@pytest.mark.parametrize("column", ["customer_id", "account_id"])
def test_a_pain_point_changed_to_a_missing_row_is_refused(engine: Engine, column: str) -> None:
    ids = _named(engine)
    with session_scope(engine) as session:
        _write_many([_pain_point(ids)])(session)
    row = {"source": "generic", "ticket_id": "T1", "problem_id": ids["problem_id"], column: MISSING}
    keys = ["source", "ticket_id", "problem_id"]
    _refused(engine, lambda session: update_many(session, _table(PainPoint), keys, [row]))
    other = _named(engine, "-2")
    row[column] = other[column]
    with session_scope(engine) as session:
        update_many(session, _table(PainPoint), keys, [row])


def test_a_tally_of_a_missing_problem_is_refused(engine: Engine) -> None:
    ids = _named(engine)
    member = {"owner_id": MISSING, "kind": "c", "member_id": ids["customer_id"], "n": 1}
    _refused(engine, lambda s: insert_many(s, sa.insert(_table(ImpactMember)), [member]))
    day = {"owner_id": MISSING, "day": date(2026, 12, 1), "tickets": 1}
    conflict = "ON CONFLICT (owner_id, day) DO UPDATE SET tickets = impactday.tickets + 1"
    _refused(engine, lambda s: insert_many(s, sa.insert(_table(ImpactDay)), [day], conflict))
    with session_scope(engine) as session:
        member["owner_id"] = day["owner_id"] = ids["problem_id"]
        insert_many(session, sa.insert(_table(ImpactMember)), [member])
        insert_many(session, sa.insert(_table(ImpactDay)), [day], conflict)


@pytest.mark.parametrize("table", ["problem", "customer", "account"])
def test_a_row_a_pain_point_names_cannot_be_deleted_or_renumbered(
    engine: Engine, table: str
) -> None:
    ids = _named(engine)
    unnamed = _named(engine, "-2")
    if table == "account":  # the customer names it too: leave only the pain point naming it
        with engine.begin() as connection:
            connection.execute(sa.text("UPDATE customer SET account_id = NULL"))
    with session_scope(engine) as session:
        _write_many([_pain_point(ids)])(session)
    row = ids[f"{table}_id"]
    delete = sa.text(f"DELETE FROM {table} WHERE id = :id")
    _refused(engine, lambda session: session.execute(delete, {"id": row}))
    renumber = sa.text(f"UPDATE {table} SET id = :new WHERE id = :id")
    _refused(engine, lambda session: session.execute(renumber, {"id": row, "new": MISSING}))
    if table == "customer":
        with session_scope(engine) as session:
            session.execute(delete, {"id": unnamed["customer_id"]})


def test_a_problem_a_tally_names_cannot_be_deleted(engine: Engine) -> None:
    ids = _named(engine)
    member = {"owner_id": ids["problem_id"], "kind": "c", "member_id": 1, "n": 1}
    with session_scope(engine) as session:
        insert_many(session, sa.insert(_table(ImpactMember)), [member])
    delete = sa.text("DELETE FROM problem WHERE id = :id")
    _refused(engine, lambda session: session.execute(delete, {"id": ids["problem_id"]}))


def _waiting_for_a_lock(engine: Engine, query: str) -> bool:
    """Whether a session running `query` comes to wait for a lock (polled, up to 20 s)."""
    asked = sa.text(
        "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE :query"
    )
    for _ in range(200):
        with engine.connect() as connection:
            if connection.execute(asked, {"query": query + "%"}).scalar_one():
                return True
        time.sleep(0.1)
    return False


def test_a_delete_waits_for_the_transaction_naming_the_row(postgres_database: str) -> None:
    """The check locks what the new rows name (FOR KEY SHARE) until their transaction ends:
    a delete of that customer waits for it, then finds the pain point and is refused."""
    engine = make_engine(postgres_database)
    try:
        ids = _named(engine, "-wait")
        naming = Session(engine)
        _write_many([_pain_point(ids, "T-wait")])(naming)  # not committed yet
        outcome: list[BaseException | None] = []

        def delete() -> None:
            try:
                with session_scope(engine) as session:
                    session.execute(sa.text("SET LOCAL lock_timeout = '20s'"))
                    session.execute(
                        sa.text("DELETE FROM customer WHERE id = :id"), {"id": ids["customer_id"]}
                    )
                outcome.append(None)
            except BaseException as error:  # the thread's outcome, looked at below
                outcome.append(error)

        thread = threading.Thread(target=delete)
        thread.start()
        assert _waiting_for_a_lock(engine, "DELETE FROM customer")
        naming.commit()
        naming.close()
        thread.join(30)
        assert len(outcome) == 1 and isinstance(outcome[0], sa.exc.IntegrityError)
    finally:
        with engine.begin() as connection:
            connection.execute(sa.text("DELETE FROM painpoint WHERE ticket_id = 'T-wait'"))
        engine.dispose()
