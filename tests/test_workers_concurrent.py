"""Two workers draining one inbox on PostgreSQL (FOR UPDATE SKIP LOCKED) split the work and
keep exact counts when both touch the same problems at once."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime

import psycopg
from sqlmodel import Session, select

from integrations import generic
from integrations.events import Company
from tests.conftest import _truncate_postgres, source_table
from tests.support import SECRETS
from voice_router.intake import inbox, processing
from voice_router.models import Customer, Delivery, Problem
from voice_router.platform import upsert
from voice_router.platform.db import make_engine
from voice_router.platform.settings import parse_settings
from voice_router.problems import identity, impact_check, privacy

DELIVERIES = 120


def test_two_workers_on_one_problem_keep_exact_counts(postgres_database: str) -> None:
    _truncate_postgres(postgres_database)
    settings = parse_settings(
        {"database_url": postgres_database, "sources": source_table()}, {}, "test"
    )
    engine = make_engine(postgres_database)
    for n in range(DELIVERIES):
        person, company = n % 37, n % 37 % 11
        customer = {"email": f"c{person}@co{company}.com", "company": f"Co{company}", "mrr": 10}
        body = json.dumps(
            {
                "id": f"d{n}",
                "ticket": {"id": f"T{n}"},
                "customer": customer,
                "tags": ["pain-shared"] + (["pain-other"] if n % 3 == 0 else []),
                "occurred_at": f"2026-11-{1 + n % 28:02d}T10:00:00Z",
            }
        ).encode()
        inbox.receive(engine, settings, "generic", generic.sign(body, SECRETS["generic"]), body)
    start = threading.Barrier(2)
    done: list[int] = []
    errors: list[BaseException] = []

    def work() -> None:
        own = make_engine(postgres_database)
        try:
            start.wait()
            done.append(processing.drain(own, settings, batch_size=8).processed)
        except BaseException as exc:  # reported by the test below
            errors.append(exc)
        finally:
            own.dispose()

    workers = [threading.Thread(target=work) for _ in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(60)
    assert errors == []
    assert sum(done) == DELIVERIES and all(done), done  # both took part
    with Session(engine) as session:
        assert set(session.exec(select(Delivery.status)).all()) == {"processed"}
        shared = session.exec(select(Problem).where(Problem.key == "shared")).one()
        assert (shared.tickets, shared.customers, shared.accounts) == (DELIVERIES, 37, 11)
    assert impact_check.recompute_all(engine, fix=False) == []
    engine.dispose()


def test_new_customers_are_committed_before_the_batch_and_wait_a_second_at_most(
    postgres_database: str,
) -> None:
    """Customers a batch is sure to create are committed at once on a connection of their
    own (another worker inserting the same person waits milliseconds, not a whole batch).
    Held up by a lock longer than COMMITTED_LOCK_WAIT_MS, they go into the caller's own
    transaction after all, as before."""
    _truncate_postgres(postgres_database)
    engine = make_engine(postgres_database)
    try:
        with Session(engine) as session:
            session.exec(select(Customer.id)).all()  # the caller's transaction is open
            upsert.insert_missing(session, Customer, [_person("first@co.com")], committed=True)
            assert _emails_seen_outside(postgres_database) == {"first@co.com"}
            session.rollback()
        assert _emails_seen_outside(postgres_database) == {"first@co.com"}  # stays

        with psycopg.connect(postgres_database) as holder:
            holder.execute("INSERT INTO customer (email, created_at) VALUES ('held@co.com', now())")
            # Let go after the wait is given up; the insert in the session waits until then.
            release = threading.Timer(upsert.COMMITTED_LOCK_WAIT_MS / 1000 + 0.5, holder.rollback)
            release.start()
            with Session(engine) as session:
                rows = [_person("held@co.com"), _person("other@co.com")]
                waited = time.monotonic()
                upsert.insert_missing(session, Customer, rows, committed=True)  # in session
                assert time.monotonic() - waited >= upsert.COMMITTED_LOCK_WAIT_MS / 1000
                assert "other@co.com" not in _emails_seen_outside(postgres_database)
                session.commit()
            release.join()
        assert _emails_seen_outside(postgres_database) == {
            "first@co.com",
            "held@co.com",
            "other@co.com",
        }
    finally:
        engine.dispose()


def test_forget_during_a_batch_that_creates_the_person_ends(postgres_database: str) -> None:
    """forget locks the customer table, then waits for the delivery a batch has claimed;
    that batch then creates the person's customer row. Its own short transaction would wait
    on forget, unseen by PostgreSQL's deadlock check (the batch's transaction waits on it in
    this process): it gives up after a second and inserts in the batch's transaction,
    where the server sees the deadlock and breaks it. Both end; the counts stay exact."""
    _truncate_postgres(postgres_database)
    settings = parse_settings(
        {"database_url": postgres_database, "sources": source_table()}, {}, "test"
    )
    engine = make_engine(postgres_database)
    email = "gone@forgotten.com"
    body = json.dumps(
        {
            "id": "d-forget",
            "ticket": {"id": "T-forget", "subject": "Export fails"},
            "customer": {"email": email, "name": "Gone Person", "company": "Forgotten", "mrr": 10},
            "tags": ["pain-export"],
            "occurred_at": "2026-11-20T10:00:00Z",
        }
    ).encode()
    receipt = inbox.receive(
        engine, settings, "generic", generic.sign(body, SECRETS["generic"]), body
    )
    assert receipt.status == "pending", receipt
    key, domain = identity.account_key(Company(name="Forgotten"), email) or ("", "")
    ended: dict[str, object] = {}

    def run(name: str, call: Callable[[], object]) -> threading.Thread:
        def target() -> None:
            try:
                ended[name] = call()
            except BaseException as exc:  # reported by the assertions below
                ended[name] = exc

        thread = threading.Thread(target=target, daemon=True)
        thread.start()
        return thread

    with psycopg.connect(postgres_database) as holder:
        # The batch's account insert waits on this one until the holder lets go.
        holder.execute("INSERT INTO account (key, domain) VALUES (%s, %s)", (key, domain))
        batch = run("batch", lambda: processing.process_batch(engine, settings))
        _until_waiting(postgres_database, "INSERT INTO account", ended)
        forgetting = run("forget", lambda: privacy.forget(engine, email, "test"))
        _until_waiting(postgres_database, "UPDATE delivery", ended)  # forget, on the claimed row
        holder.rollback()
        batch.join(30)
        forgetting.join(30)
    assert not batch.is_alive() and not forgetting.is_alive(), "a wait nobody can break"
    assert not isinstance(ended["forget"], BaseException), ended["forget"]
    assert not isinstance(ended["batch"], BaseException), ended["batch"]
    processing.drain(engine, settings)  # whatever the broken deadlock left is done now
    assert impact_check.recompute_all(engine, fix=False) == []
    with Session(engine) as session:
        assert session.exec(select(Customer).where(Customer.email == email)).all() == []
    engine.dispose()


def _person(email: str) -> dict[str, object]:
    return {"email": email, "name": None, "created_at": datetime.now(UTC), "account_id": None}


def _emails_seen_outside(url: str) -> set[str]:
    with psycopg.connect(url) as connection:
        return {row[0] for row in connection.execute("SELECT email FROM customer")}


def _until_waiting(url: str, statement: str, ended: object, timeout: float = 20.0) -> None:
    """Until a session of the database waits for a lock while running `statement…`."""
    deadline = time.monotonic() + timeout
    with psycopg.connect(url, autocommit=True) as connection:
        while time.monotonic() < deadline:
            waiting = connection.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND wait_event_type = 'Lock' AND query LIKE %s",
                (statement + "%",),
            ).fetchone()
            if waiting and waiting[0]:
                return
            time.sleep(0.02)
    raise AssertionError(f"nobody waited on {statement!r}: {ended}")
