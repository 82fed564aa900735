"""Views that only read use `db.reading`: on PostgreSQL outside a transaction (no BEGIN and
ROLLBACK round trips), on SQLite in one; on both it never writes."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlmodel import Session, select

from tests.support import generic_delivery, post_signed, token
from voice_router.models import Customer
from voice_router.platform.db import reading, session_scope


def test_a_read_session_never_writes(runtime):
    engine = runtime.engine
    with reading(engine) as session:
        session.add(Customer(email="kept.out@acme.com"))
        with pytest.raises(RuntimeError, match="read-only"):
            session.flush()
    with reading(engine) as session:  # and a change left unflushed goes nowhere either
        session.add(Customer(email="left.behind@acme.com"))
        assert session.exec(select(Customer)).all() == []
    with Session(engine) as session:
        assert session.exec(select(Customer)).all() == []


def test_a_read_session_sees_what_was_committed_since_its_last_statement(runtime):
    """The same as a transaction at READ COMMITTED, PostgreSQL's default; SQLite keeps one
    snapshot for the transaction, so there the later commit stays out of sight."""
    engine = runtime.engine
    with reading(engine) as session:
        assert session.exec(select(Customer)).all() == []
        with session_scope(engine) as other:
            other.add(Customer(email="meanwhile@acme.com"))
        seen = [c.email for c in session.exec(select(Customer)).all()]
    assert seen == (["meanwhile@acme.com"] if engine.dialect.name == "postgresql" else [])


def test_api_reads_are_sent_outside_a_transaction_on_postgresql(client, runtime):
    """What the list, a problem's page and its notify list send: on PostgreSQL each
    statement on a connection in autocommit, so no BEGIN and ROLLBACK go with them; on
    SQLite inside a transaction, as before."""
    body = generic_delivery("T1", "a@acme.com", ["pain-login"], company="Acme", mrr=100)
    assert post_signed(client, "generic", body).status_code == 202
    headers = token(runtime)
    postgres = runtime.engine.dialect.name == "postgresql"
    sent: list[tuple[str, bool]] = []

    def record(conn, _cursor, statement, _parameters, _context, _many):  # type: ignore[no-untyped-def]
        dbapi = conn.connection.dbapi_connection
        # Leaving out the bearer token's lookup (`db.read_first`) and our BEGIN on SQLite
        if "apitoken" not in statement and statement != "BEGIN":
            sent.append(
                (statement.split()[0], dbapi.autocommit if postgres else dbapi.in_transaction)
            )

    sa.event.listen(runtime.engine, "before_cursor_execute", record)
    try:
        listed = client.get("/api/v1/problems", headers=headers)
        assert listed.status_code == 200
        problem_id = listed.get_json()["problems"][0]["id"]
        for path in (f"/api/v1/problems/{problem_id}", f"/api/v1/problems/{problem_id}/notify"):
            assert client.get(path, headers=headers).status_code == 200
    finally:
        sa.event.remove(runtime.engine, "before_cursor_execute", record)
    assert len(sent) >= 3 and {verb for verb, _ in sent} == {"SELECT"}
    assert all(flag for _, flag in sent)  # PostgreSQL: autocommit; SQLite: in a transaction
