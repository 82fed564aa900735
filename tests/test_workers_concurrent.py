"""Two workers draining one inbox on PostgreSQL (FOR UPDATE SKIP LOCKED) split the work and
keep exact counts when both touch the same problems at once; neither waits for the other's
new customers, nor makes the meaning vectors the other is making, nor undoes the newer MRR
the other wrote."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from tests.conftest import _truncate_postgres, source_table
from tests.support import generic_delivery, receive_generic
from voice_router.intake import processing
from voice_router.models import Account, Customer, Delivery, Problem, ProblemVector
from voice_router.platform.db import make_engine
from voice_router.platform.settings import Settings, parse_settings
from voice_router.problems import impact_check, vectors

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
        delivery = {
            "id": f"d{n}",
            "ticket": {"id": f"T{n}"},
            "customer": customer,
            "tags": ["pain-shared"] + (["pain-other"] if n % 3 == 0 else []),
            "occurred_at": f"2026-11-{1 + n % 28:02d}T10:00:00Z",
        }
        receive_generic(engine, settings, delivery)
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


@pytest.fixture
def two_workers(postgres_database: str) -> Iterator[tuple[Settings, Engine, Engine]]:
    """An empty database and the engines of two workers on it."""
    _truncate_postgres(postgres_database)
    settings = parse_settings(
        {"database_url": postgres_database, "sources": source_table()}, {}, "test"
    )
    engine, other = make_engine(postgres_database), make_engine(postgres_database)
    yield settings, engine, other
    engine.dispose()
    other.dispose()


def _store(engine: Engine, settings: Settings, ticket: str, email: str, tags: list[str]) -> None:
    receive_generic(engine, settings, generic_delivery(ticket, email, tags))


@contextmanager
def _paused_before(engine: Engine, sql: str) -> Iterator[tuple[threading.Event, threading.Event]]:
    """Another worker's unit of work held open just before its first statement starting
    with `sql`: (reached, go on)."""
    reached, go_on = threading.Event(), threading.Event()

    def pause(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if statement.startswith(sql) and not reached.is_set():
            reached.set()
            go_on.wait(60)

    sa.event.listen(engine, "before_cursor_execute", pause)
    try:
        yield reached, go_on
    finally:
        go_on.set()
        sa.event.remove(engine, "before_cursor_execute", pause)


def _in_thread(work: Callable[[], object]) -> tuple[threading.Thread, list[object]]:
    out: list[object] = []
    thread = threading.Thread(target=lambda: out.append(work()))
    thread.start()
    return thread, out


def _status(engine: Engine) -> dict[str, str]:
    with engine.connect() as connection:
        rows = connection.execute(sa.text("SELECT body, status FROM delivery")).all()
    return {json.loads(body)["ticket"]["id"]: status for body, status in rows}


def test_a_batch_leaves_a_new_customer_another_batch_is_creating_and_takes_it_after(
    two_workers: tuple[Settings, Engine, Engine],
) -> None:
    settings, engine, other = two_workers
    _store(engine, settings, "T0", "zed@zeta.example", ["pain-shared", "pain-other"])
    processing.drain(engine, settings)  # both problems exist from here on
    _store(engine, settings, "T1", "alice@new.example", ["pain-shared"])
    _store(engine, settings, "T2", "bob@beta.example", ["pain-shared"])
    _store(engine, settings, "T3", "alice@new.example", ["pain-shared"])  # Alice again
    _store(engine, settings, "T4", "carol@gamma.example", ["pain-other"])

    with _paused_before(other, "UPDATE delivery") as (reached, go_on):
        # One worker's batch (T1, T2) has created Alice and is not committed yet...
        first, _ = _in_thread(lambda: processing.process_batch(other, settings, 2))
        assert reached.wait(30)
        # ...the other's (T3, T4) does not wait for it: it applies T4 and leaves T3 pending,
        second, results = _in_thread(lambda: processing.process_batch(engine, settings, 2))
        for _ in range(300):
            if _status(engine)["T4"] == "processed":
                break
            time.sleep(0.1)
        assert _status(engine) == {
            "T0": "processed", "T1": "pending", "T2": "pending", "T3": "pending",
            "T4": "processed",
        }  # fmt: skip
        go_on.set()
        first.join(30)
        second.join(30)
    assert not first.is_alive() and not second.is_alive()
    [batch] = results
    assert isinstance(batch, processing.BatchResult)
    assert (batch.claimed, batch.processed, batch.deferred) == (2, 1, 1)

    # ...to be claimed again once the first batch has committed Alice.
    assert processing.drain(engine, settings).processed == 1
    assert set(_status(engine).values()) == {"processed"}
    with Session(engine) as session:
        alice = session.exec(select(Customer).where(Customer.email == "alice@new.example"))
        assert len(alice.all()) == 1
        shared = session.exec(select(Problem).where(Problem.key == "shared")).one()
        assert (shared.tickets, shared.customers) == (4, 3)
    assert impact_check.recompute_all(engine, fix=False) == []


def test_a_worker_leaves_the_meaning_vectors_another_worker_is_making(
    two_workers: tuple[Settings, Engine, Engine],
) -> None:
    settings, engine, other = two_workers
    for n, tag in enumerate(["pain-sso-login-loop", "pain-csv-export", "pain-pdf-invoice"]):
        _store(engine, settings, f"T{n}", f"p{n}@acme.example", [tag])
    processing.drain(engine, settings)

    with _paused_before(other, "DELETE FROM problemvector") as (reached, go_on):
        # One worker has encoded the three problems' texts and is about to store them...
        first, made = _in_thread(lambda: vectors.update(other, 10))
        assert reached.wait(60)
        # ...a second one whose drain ended meanwhile makes none of them again.
        assert vectors.update(engine, 10) == 0
        go_on.set()
        first.join(60)
    assert made == [3]
    with Session(engine) as session:
        assert len(session.exec(select(ProblemVector)).all()) == 3
    assert vectors.update(engine, 10) == 0  # all current


def test_two_batches_applying_one_ticket_take_turns_and_count_it_once(
    two_workers: tuple[Settings, Engine, Engine],
) -> None:
    """Fault audit: two workers' batches each read a ticket's pain points before either
    committed, each applied a removal to that reading, and each moved the counts by it: the
    problem's tickets went below zero. Now the second batch leaves the ticket's delivery for
    a later batch, which reads what the first one wrote."""
    settings, engine, other = two_workers
    _store(engine, settings, "T0", "zed@zeta.example", ["pain-shared"])
    _store(engine, settings, "T1", "alice@alpha.example", ["pain-shared"])
    processing.drain(engine, settings)
    for hour in (11, 12):  # two removals of the same tag, one for each worker's batch
        removal = generic_delivery("T1", "alice@alpha.example", removed_tags=["pain-shared"])
        removal["occurred_at"] = f"2026-11-21T{hour}:00:00Z"
        receive_generic(engine, settings, removal)

    with _paused_before(other, "UPDATE delivery") as (reached, go_on):
        first, _ = _in_thread(lambda: processing.process_batch(other, settings, 1))
        assert reached.wait(30)  # the first removal applied, not committed
        second, results = _in_thread(lambda: processing.process_batch(engine, settings, 1))
        time.sleep(1.0)
        go_on.set()
        first.join(30)
        second.join(30)
    assert not first.is_alive() and not second.is_alive()
    processing.drain(engine, settings)
    with Session(engine) as session:
        shared = session.exec(select(Problem).where(Problem.key == "shared")).one()
        assert (shared.tickets, shared.customers) == (1, 1)  # were (0, 0): removed twice
    assert impact_check.recompute_all(engine, fix=False) == []
    [batch] = results
    assert isinstance(batch, processing.BatchResult)
    assert (batch.claimed, batch.processed, batch.deferred) == (1, 0, 1)
    assert set(_status(engine).values()) == {"processed"}


def test_an_older_mrr_waiting_to_commit_does_not_undo_a_newer_one(
    two_workers: tuple[Settings, Engine, Engine],
) -> None:
    """One worker's batch carries acme.com's MRR of October and is about to write it; another
    worker's, meanwhile, its MRR of November. Both commit: November's stands, and both
    problems of the account sum it (the older write came last and stood: fault audit)."""
    settings, engine, other = two_workers

    def store(ticket: str, email: str, tags: list[str], mrr: int, at: str) -> None:
        body = generic_delivery(ticket, email, tags, company="acme.com", mrr=mrr, occurred_at=at)
        receive_generic(engine, settings, body)

    store("T0", "zed@acme.com", ["pain-x", "pain-y"], 50, "2026-09-01T10:00:00Z")
    processing.drain(engine, settings)  # both problems and the account exist from here on
    store("T1", "ann@acme.com", ["pain-x"], 100, "2026-10-01T10:00:00Z")
    with _paused_before(other, "UPDATE account") as (reached, go_on):
        first, _ = _in_thread(lambda: processing.process_batch(other, settings, 1))
        assert reached.wait(30)
        store("T2", "ben@acme.com", ["pain-y"], 900, "2026-11-01T10:00:00Z")
        second, _ = _in_thread(lambda: processing.process_batch(engine, settings, 1))
        for _ in range(300):  # until it is done, or waits for the first batch's account row
            if not second.is_alive() or _waiting_on_a_lock(engine):
                break
            time.sleep(0.1)
        go_on.set()
        first.join(30)
        second.join(30)
    assert not first.is_alive() and not second.is_alive()
    assert set(_status(engine).values()) == {"processed"}
    with Session(engine) as session:
        assert session.exec(select(Account.mrr).where(Account.key == "acme.com")).one() == 900
        mrr = dict(session.exec(select(Problem.key, Problem.mrr)).all())
    assert mrr == {"x": 900, "y": 900}
    assert impact_check.recompute_all(engine, fix=False) == []


def _waiting_on_a_lock(engine: Engine) -> bool:
    with engine.connect() as connection:
        return bool(
            connection.execute(
                sa.text(
                    "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                    "AND datname = current_database()"
                )
            ).scalar_one()
        )
