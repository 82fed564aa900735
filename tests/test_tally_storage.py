"""How PostgreSQL stores the impact tallies a batch moves: in place (a heap-only tuple, no
new index entry), so the busiest table of processing does not grow dead versions in its
indexes batch after batch (migration 0019)."""

from __future__ import annotations

import time

from tests.conftest import _truncate_postgres, source_table
from tests.support import generic_delivery, receive_generic
from voice_router.intake import processing
from voice_router.platform.db import make_engine
from voice_router.platform.settings import parse_settings

CUSTOMERS = 30


def _updates(url: str) -> tuple[int, int]:
    """impactmember's (updates, heap-only updates) so far, as the statistics have them: a
    backend hands its counts over as it exits, a moment after its client closed it."""
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            row = connection.exec_driver_sql(
                "SELECT n_tup_upd, n_tup_hot_upd FROM pg_stat_user_tables "
                "WHERE relname = 'impactmember'"
            ).one()
    finally:
        engine.dispose()
    return int(row[0]), int(row[1])


def _updates_after(url: str, before: int, expected: int) -> tuple[int, int]:
    """The counts once `expected` updates beyond `before` have been handed over (10 s at
    most)."""
    deadline = time.monotonic() + 10
    while (found := _updates(url))[0] < before + expected and time.monotonic() < deadline:
        time.sleep(0.05)
    return found


def _settled_updates(url: str) -> tuple[int, int]:
    """The counts once they stay the same for 0.2 s (10 s at most): what earlier writers did
    is all in."""
    deadline = time.monotonic() + 10
    found, then = _updates(url), None
    while found != then and time.monotonic() < deadline:
        time.sleep(0.2)
        found, then = _updates(url), found
    return found


def _tag_everyone(url: str, round_: int) -> int:
    settings = parse_settings({"database_url": url, "sources": source_table()}, {}, "test")
    engine = make_engine(url)
    try:
        for i in range(CUSTOMERS):
            delivery = generic_delivery(
                f"R{round_}-T{i}", f"person{i}@company{i}.com", ["pain-export"]
            )
            receive_generic(engine, settings, delivery)
        return processing.drain(engine, settings).processed
    finally:
        engine.dispose()


def test_a_batch_moves_its_tallies_without_writing_an_index(postgres_database):
    _truncate_postgres(postgres_database)
    assert _tag_everyone(postgres_database, 1) == CUSTOMERS  # each tally starts at 1
    updates, heap_only = _settled_updates(postgres_database)

    assert _tag_everyone(postgres_database, 2) == CUSTOMERS  # the same people again: 2
    moved = _updates_after(postgres_database, updates, 2 * CUSTOMERS)
    # a customer's tally and their company's, for each of them
    assert moved[0] - updates == 2 * CUSTOMERS
    assert moved[1] - heap_only == 2 * CUSTOMERS
