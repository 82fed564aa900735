"""SQL errors never carry the values bound into the statement: the text of an exception ends
up in logs, in a delivery's `last_error` and in rq failure records, where `voice-router
forget` cannot reach it."""

from __future__ import annotations

import traceback

import pytest
import sqlalchemy as sa
from sqlmodel import Session

from voice_router.models import Customer, CustomerIdentity
from voice_router.platform.db import make_engine

EMAIL = "maria.lopez@acme-corp.com"
NAME = "Maria Lopez"


def everything_said(exc: BaseException) -> str:
    """What a log line or an rq failure record shows: the text and the whole chain."""
    return str(exc) + "".join(traceback.format_exception(exc))


@pytest.fixture
def engine(database_url):  # type: ignore[no-untyped-def]
    engine = make_engine(database_url)
    with Session(engine) as session:
        session.add(Customer(email=EMAIL, name=NAME))
        session.commit()
    yield engine
    engine.dispose()


def test_a_unique_clash_names_the_constraint_not_the_value(engine):
    """PostgreSQL adds `DETAIL: Key (email)=(…) already exists`; SQLite shows the bound
    parameters unless they are hidden."""
    with pytest.raises(sa.exc.IntegrityError) as caught, Session(engine) as session:
        session.add(Customer(email=EMAIL, name=NAME))
        session.commit()
    said = everything_said(caught.value)
    assert EMAIL not in said and NAME not in said
    assert "email" in said.lower()  # still says which column clashed
    assert "hidden" in said  # and that the parameters were left out on purpose


def test_a_not_null_violation_does_not_show_the_failing_row(engine):
    """PostgreSQL's `DETAIL: Failing row contains (…)` lists every value of the row."""
    with pytest.raises(sa.exc.IntegrityError) as caught, engine.begin() as connection:
        connection.execute(
            sa.insert(CustomerIdentity.__table__),  # type: ignore[attr-defined]
            {"customer_id": None, "source": NAME, "external_id": EMAIL},
        )
    said = everything_said(caught.value)
    assert EMAIL not in said and NAME not in said
    assert "customer_id" in said


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
@pytest.mark.parametrize(
    ("statement", "value"),
    [
        ("SELECT CAST(:value AS integer)", EMAIL),  # invalid input syntax for type integer: "…"
        ("SELECT CAST(:value AS varchar(10))::date", EMAIL),
        ("INSERT INTO customer (email, created_at) VALUES (:value, now())", EMAIL * 20),
    ],
)
def test_a_data_error_does_not_quote_the_value(engine, statement, value):
    """Data errors quote the offending value in PostgreSQL's message itself. (SQLite checks
    neither types nor lengths, so it raises no data error to look at.)"""
    with pytest.raises(sa.exc.DataError) as caught, engine.begin() as connection:
        connection.execute(sa.text(statement), {"value": value})
    said = everything_said(caught.value)
    assert EMAIL not in said and "maria" not in said.lower()
    assert caught.value.orig is not None and caught.value.orig.sqlstate.startswith("22")


def test_a_read_outside_a_transaction_hands_its_connection_back_as_it_was_made(database_url):
    """A token's lookup reads outside a transaction; the pooled connection it used must come
    back with the isolation level it was made with (see also tests/test_sqlite_lock.py)."""
    from voice_router.platform.db import upgrade
    from voice_router.platform.tokens import Caller, authenticate, create_token

    engine = make_engine(database_url)
    try:
        upgrade(engine)
        token = create_token(engine, "agent", "reader")
        assert authenticate(engine, token) == Caller("reader", "agent")
        with engine.connect() as connection:
            assert connection.connection.dbapi_connection.isolation_level is None
    finally:
        engine.dispose()


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_the_server_gives_up_on_a_vanished_client_within_about_a_minute(engine):
    """A worker whose machine vanished mid-batch sends no FIN and no RST: its batch's row
    locks held the other workers' batches on the same problems until the server's keepalive
    gave up, about two hours with the operating system's defaults (the server's own
    setting, not the client's). On our connections the server probes after 30 s idle,
    every 10 s, three times."""
    with engine.connect() as connection:
        shown = {
            name: connection.exec_driver_sql(f"SHOW {name}").scalar()
            for name in ("tcp_keepalives_idle", "tcp_keepalives_interval", "tcp_keepalives_count")
        }
        connection.rollback()
    assert shown == {
        "tcp_keepalives_idle": "30",
        "tcp_keepalives_interval": "10",
        "tcp_keepalives_count": "3",
    }
