"""A batch of deliveries ends exactly where the same deliveries processed one by one end,
however they add, remove and re-add tags on the same tickets, and in whatever order their
events happened."""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from integrations.generic import sign
from tests.conftest import source_table
from tests.support import SECRETS, generic_delivery, inline_runtime
from voice_router.intake import inbox, processing
from voice_router.problems import impact_check
from voice_router.problems.forget_late import subject_hash

TAGS = ["pain-login", "pain-export", "PAIN Export", "pain-pdf", "billing"]
START = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)


def scenario(seed: int, count: int = 40) -> list[dict[str, Any]]:
    """Deliveries over a few tickets: tags added, removed, whole tag sets, late events."""
    rng = random.Random(seed)
    deliveries = []
    for n in range(count):
        ticket = f"T{rng.randint(1, 5)}"
        tags = rng.sample(TAGS, rng.randint(0, 2))
        removed = [t for t in rng.sample(TAGS, rng.randint(0, 1)) if t not in tags]
        body = generic_delivery(
            ticket,
            f"person{ticket}@acme{rng.randint(1, 2)}.example",
            tags,
            removed,
            company=rng.choice([None, "Acme"]),
            subject=rng.choice([None, f"Subject {n}"]),
            occurred_at=(START + timedelta(minutes=rng.randint(0, 600))).isoformat(),
            delivery_id=f"d{n}",
        )
        if rng.random() < 0.2:
            body["tags_complete"] = True
        deliveries.append(body)
    return deliveries


def store(runtime, source: str, bodies: list[dict[str, Any]]) -> None:  # type: ignore[no-untyped-def]
    for body in bodies:
        raw = json.dumps(body).encode()
        headers = sign(raw, SECRETS["generic"])
        receipt = inbox.receive(runtime.engine, runtime.settings, source, headers, raw)
        assert receipt.status == "pending"


def pain_points(runtime, source: str) -> set[tuple[Any, ...]]:  # type: ignore[no-untyped-def]
    with runtime.engine.connect() as connection:
        rows = connection.execute(
            sa.text(
                "SELECT pp.ticket_id, p.key, pp.tag, pp.removed_at IS NULL, pp.reported_at,"
                " pp.last_event_at, pp.subject, pp.ticket_url, pp.agent_email,"
                " c.email, a.key FROM painpoint pp JOIN problem p ON p.id = pp.problem_id"
                " JOIN customer c ON c.id = pp.customer_id"
                " LEFT JOIN account a ON a.id = pp.account_id WHERE pp.source = :source"
            ),
            {"source": source},
        ).all()
    return {tuple(row) for row in rows}


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_one_batch_ends_where_one_by_one_ends(make_settings, seed, caplog):
    sources = {**source_table(), "batched": {"kind": "generic", "secret": SECRETS["generic"]}}
    runtime = inline_runtime(make_settings(sources=sources, process_batch_size=1000))
    try:
        bodies = scenario(seed)
        store(runtime, "generic", bodies)
        while processing.process_batch(runtime.engine, runtime.settings, limit=1).claimed:
            pass
        store(runtime, "batched", bodies)
        with caplog.at_level("INFO", logger="voice_router.intake.processing"):
            result = processing.drain(runtime.engine, runtime.settings)
        assert result.processed == len(bodies) and result.failed == 0
        assert "batch.split" not in caplog.messages  # the whole batch in one go
        one_by_one = pain_points(runtime, "generic")
        assert one_by_one  # the scenario does attach something
        assert pain_points(runtime, "batched") == one_by_one
    finally:
        runtime.engine.dispose()


def test_two_helpdesks_in_one_batch_name_one_company(make_settings):
    """One batch, two sources naming the same company with changing MRR: the company is one
    account, its MRR the last event's, and the problem's MRR follows it."""
    sources = {**source_table(), "desk2": {"kind": "generic", "secret": SECRETS["generic"]}}
    runtime = inline_runtime(make_settings(sources=sources, process_batch_size=1000))
    try:
        for n, (source, mrr) in enumerate([("generic", 100), ("desk2", 200), ("generic", 300)]):
            body = generic_delivery(
                f"T{n}", f"p{n}@acme.com", ["pain-export"], company="Acme", mrr=mrr
            )
            store(runtime, source, [{**body, "id": f"d{n}"}])
        assert processing.drain(runtime.engine, runtime.settings).processed == 3
        with runtime.engine.connect() as connection:
            accounts = connection.execute(sa.text("SELECT key, mrr FROM account")).all()
            problem = connection.execute(sa.text("SELECT accounts, mrr FROM problem")).one()
        assert [(key, float(mrr)) for key, mrr in accounts] == [("acme.com", 300.0)]
        assert (problem.accounts, float(problem.mrr)) == (1, 300.0)
        assert impact_check.recompute_all(runtime.engine, fix=False) == []
    finally:
        runtime.engine.dispose()


def test_removing_many_tags_empties_their_tallies_in_a_few_statements(make_settings):
    """A helpdesk clean-up takes 600 pain tags off 600 tickets in one batch: every tally the
    customers and accounts held on those problems is deleted, the counts come back to zero as a
    recount has them, and the tallies go in a statement or two, not one statement each (which
    made removing 20,000 tags four times slower than adding them on PostgreSQL)."""
    runtime = inline_runtime(make_settings(process_batch_size=1000))
    tickets = [
        (f"T{n}", f"person{n}@company{n % 40}.example", f"pain-p{n % 7}") for n in range(600)
    ]
    deletes: list[str] = []

    def count_deletes(conn, cursor, statement, *_):  # type: ignore[no-untyped-def]
        if statement.lstrip().upper().startswith("DELETE FROM IMPACTMEMBER"):
            deletes.append(statement)

    try:
        added = [
            generic_delivery(t, email, [tag], company=email.split("@")[1])
            for t, email, tag in tickets
        ]
        store(runtime, "generic", added)
        assert processing.drain(runtime.engine, runtime.settings).processed == 600
        with runtime.engine.connect() as connection:
            held = connection.execute(sa.text("SELECT count(*) FROM impactmember")).scalar_one()
        assert held == 600 + 7 * 40  # a tally per customer, and one per account and problem
        removed = [generic_delivery(t, email, [], [tag]) for t, email, tag in tickets]
        store(runtime, "generic", removed)
        sa.event.listen(runtime.engine, "before_cursor_execute", count_deletes)
        result = processing.drain(runtime.engine, runtime.settings)
        sa.event.remove(runtime.engine, "before_cursor_execute", count_deletes)
        assert result.processed == 600 and result.failed == 0
        with runtime.engine.connect() as connection:
            left = connection.execute(sa.text("SELECT count(*) FROM impactmember")).scalar_one()
            counts = connection.execute(
                sa.text("SELECT sum(customers), sum(accounts), sum(tickets) FROM problem")
            ).one()
        assert left == 0
        assert tuple(counts) == (0, 0, 0)
        assert impact_check.recompute_all(runtime.engine, fix=False) == []
        assert 1 <= len(deletes) <= 2  # SQLite: 500 keys a statement
    finally:
        runtime.engine.dispose()


def test_a_new_address_another_customer_had_makes_them_one_in_one_batch(make_settings):
    """One batch: desk2 knows the person by their new address only; the generic source knows
    them by its id at the old address, on two problems, then sends the new address. The old
    address stays theirs, hashed, in one statement; a batch that changes no address writes
    none."""
    sources = {**source_table(), "desk2": {"kind": "generic", "secret": SECRETS["generic"]}}
    runtime = inline_runtime(make_settings(sources=sources, process_batch_size=1000))
    aliased: list[str] = []

    def count(conn, cursor, statement, *_):  # type: ignore[no-untyped-def]
        if "customeralias" in statement.lower():
            aliased.append(statement)

    sa.event.listen(runtime.engine, "before_cursor_execute", count)
    try:
        steps = [
            ("desk2", "Z1", "vernon@newco.com", None, "pain-export", "09:00"),
            ("generic", "G1", "vb@mywork.com", "c1", "pain-export", "10:00"),
            ("generic", "G2", "vb@mywork.com", "c1", "pain-import", "10:00"),
            ("generic", "G1", "vernon@newco.com", "c1", "pain-export", "11:00"),
            ("desk2", "Z2", "vernon@newco.com", None, "pain-import", "12:00"),
        ]
        for n, (source, ticket, email, customer_id, tag, at) in enumerate(steps):
            body = generic_delivery(
                ticket,
                email,
                [tag],
                customer_id=customer_id,
                occurred_at=f"2026-11-20T{at}:00Z",
                delivery_id=f"d{n}",
            )
            store(runtime, source, [body])
        result = processing.drain(runtime.engine, runtime.settings)
        assert (result.processed, result.claimed) == (5, 5)  # one batch
        with runtime.engine.connect() as connection:
            emails = connection.execute(sa.text("SELECT email FROM customer")).scalars().all()
            counts = connection.execute(
                sa.text("SELECT key, customers, tickets FROM problem ORDER BY key")
            ).all()
        assert emails == ["vernon@newco.com"]
        assert [tuple(row) for row in counts] == [("export", 1, 2), ("import", 1, 2)]
        # The insert, and the merge moving the other row's (as it moves its identities).
        assert [s.split()[0] for s in aliased] == ["INSERT", "DELETE", "UPDATE"]
        with runtime.engine.connect() as connection:
            hashes = connection.execute(sa.text("SELECT email_hash FROM customeralias"))
            assert list(hashes.scalars()) == [subject_hash("vb@mywork.com")]
        aliased.clear()
        again = generic_delivery("G3", "vernon@newco.com", ["pain-pdf"], customer_id="c1")
        store(runtime, "generic", [again])
        assert processing.drain(runtime.engine, runtime.settings).processed == 1
        assert aliased == []  # no address changed: no statement
    finally:
        sa.event.remove(runtime.engine, "before_cursor_execute", count)
        runtime.engine.dispose()
