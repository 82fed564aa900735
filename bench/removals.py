"""Taking tags off: does a batch of removals cost about what adding the same tags did?

    python bench/removals.py [--deliveries 20000] [--rounds 2] [--databases postgresql,sqlite]

For each database and round: `bench/processing.py`'s inbox of N generic deliveries (each a
ticket with one pain tag, ~2,000 customers, ~300 company domains, ~100 problems) is drained
in this process (`processing.drain`, batches of 1,000); then one delivery per pain point
takes its tag off again (`removed_tags`, the same ticket and customer: a helpdesk's clean-up)
and that inbox is drained too. Reported: seconds and pain points per second of both
drains, the SQL statements each sent by kind, and what is left afterwards (active pain
points, tallies and the problems' counts, which must all be zero). Every removal empties
the customer's tally on its problem, and most empty an account's as well.
"""

from __future__ import annotations

import argparse
import gc
import json
import statistics
import time
import uuid
from collections import Counter
from datetime import UTC, datetime
from typing import Any

from common import (
    compile_code,
    machine,
    rounds_on_databases,
    settings_for,
    sign_generic,
    stored_delivery,
    write_result,
)
from processing import fill_inbox


def removal_rows(engine: Any) -> list[dict[str, Any]]:
    """A delivery per pain point that takes its tag off, stored as intake stores one."""
    import sqlalchemy as sa

    with engine.connect() as connection:
        found = connection.execute(
            sa.text(
                "SELECT p.ticket_id, p.tag, c.email FROM painpoint p "
                "JOIN customer c ON c.id = p.customer_id ORDER BY p.id"
            )
        ).all()
    now = datetime.now(UTC).isoformat(timespec="seconds")
    rows = []
    for ticket, tag, email in found:
        document = {
            "id": f"bench-rm-{uuid.uuid4().hex}",
            "ticket": {"id": ticket},
            "customer": {"email": email},
            "tags": ["billing"],
            "removed_tags": [tag],
            "occurred_at": now,
        }
        body = json.dumps(document, separators=(",", ":")).encode()
        rows.append(stored_delivery(body, sign_generic(body)))
    return rows


def one_round(database_url: str, count: int) -> dict[str, Any]:
    """Fill, drain the additions, store the removals, drain them; the figures of both."""
    import sqlalchemy as sa

    from voice_router.intake import processing
    from voice_router.models import Delivery
    from voice_router.platform.db import make_engine

    fill_inbox(database_url, count, seed=7)
    engine = make_engine(database_url)
    settings = settings_for(database_url, process_batch_size=1000)
    statements: Counter[str] = Counter()

    @sa.event.listens_for(engine, "before_cursor_execute")
    def _count(conn, cursor, statement, *_):  # type: ignore[no-untyped-def]
        statements[statement.split(None, 1)[0].upper()] += 1

    def drained() -> dict[str, Any]:
        statements.clear()
        gc.collect()
        started = time.perf_counter()
        result = processing.drain(engine, settings)
        seconds = time.perf_counter() - started
        if result.failed or result.retrying:
            raise RuntimeError(f"deliveries failed: {result}")
        return {
            "deliveries": result.processed,
            "seconds": round(seconds, 2),
            "per_s": round(result.processed / seconds),
            "statements": dict(statements),
        }

    try:
        added = drained()
        rows = removal_rows(engine)
        with engine.begin() as connection:
            for start in range(0, len(rows), 1000):
                connection.execute(sa.insert(Delivery.__table__), rows[start : start + 1000])  # type: ignore[attr-defined]  # SQLModel leaves __table__ undeclared
        removed = drained()
        with engine.connect() as connection:

            def one(sql: str) -> Any:
                return connection.execute(sa.text(sql)).scalar_one()

            left = {
                "active_pain_points": one(
                    "SELECT count(*) FROM painpoint WHERE removed_at IS NULL"
                ),
                "tallies": one("SELECT count(*) FROM impactmember"),
                "counts": one(
                    "SELECT coalesce(sum(customers + accounts + tickets), 0) FROM problem"
                ),
            }
    finally:
        engine.dispose()
    return {"added": added, "removed": removed, "left": left, "ok": not any(left.values())}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--deliveries", type=int, default=20000)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--databases", default="postgresql,sqlite")
    parser.add_argument("--output", default="removals", help="bench/results/<OUTPUT>.json")
    args = parser.parse_args()
    compile_code()
    runs = rounds_on_databases(
        args.databases,
        args.rounds,
        "removals",
        lambda url: one_round(url, args.deliveries),
        lambda found: (
            f"added {found['added']['per_s']}/s, removed {found['removed']['per_s']}/s, "
            f"DELETEs {found['removed']['statements'].get('DELETE', 0)}, "
            f"{'all back to zero' if found['ok'] else 'LEFT: ' + str(found['left'])}"
        ),
    )
    path = write_result(args.output, {"benchmark": "removals", "machine": machine(), "runs": runs})
    print(f"removals: {args.deliveries} tags added, then taken off again (in-process drains)")
    print(
        f"{'database':<12}{'added /s':>10}{'removed /s':>12}{'removed ÷ added':>17}{'DELETEs':>9}"
    )
    for database in sorted({r["database"] for r in runs}):
        mine = [r for r in runs if r["database"] == database]
        added = statistics.median(r["added"]["per_s"] for r in mine)
        removed = statistics.median(r["removed"]["per_s"] for r in mine)
        deletes = max(r["removed"]["statements"].get("DELETE", 0) for r in mine)
        print(f"{database:<12}{added:>10.0f}{removed:>12.0f}{removed / added:>17.2f}{deletes:>9}")
    print(f"-> {path}")
    return 0 if all(r["ok"] for r in runs) else 1


if __name__ == "__main__":
    raise SystemExit(main())
