"""Forgetting a person over a grown database: how long `forget` takes, and how long a webhook
waits meanwhile.

    python bench/forget.py [--deliveries 20000] [--rounds 2] [--databases postgresql,sqlite]

For each database and round: `bench/processing.py`'s inbox of N generic deliveries (~2,000
customers, twelve agents) is drained in this process; then `privacy.forget` erases the
customer with the most tickets, then one agent (who handled a twelfth of them), as
`voice-router forget --yes` does (on SQLite the file is compacted afterwards). Meanwhile a
thread stores a signed delivery through `inbox.receive` every 20 ms, as webhooks arrive. On
SQLite forget is the one writer while it runs, so a webhook waits for all of it. Reported:
each forget's seconds, the CPU seconds of the thread that ran it (steadier than the seconds
on a shared machine; on PostgreSQL the server's share is not in them), and the longest a
delivery took to store while it ran.
"""

from __future__ import annotations

import argparse
import statistics
import threading
import time
from datetime import UTC, datetime
from typing import Any

from common import (
    Population,
    compile_code,
    generic_body,
    machine,
    rounds_on_databases,
    settings_for,
    sign_generic,
    write_result,
)
from processing import fill_inbox

WHO = ("customer", "agent")
WEBHOOK_EVERY = 0.02


class Webhooks:
    """A thread storing a delivery every WEBHOOK_EVERY seconds; (start, seconds) of each."""

    def __init__(self, database_url: str) -> None:
        from voice_router.platform.db import make_engine

        self.engine = make_engine(database_url)
        self.settings = settings_for(database_url)
        self.stored: list[tuple[float, float]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> Webhooks:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()
        self.engine.dispose()

    def _run(self) -> None:
        from voice_router.intake import inbox

        population = Population(seed=99)
        index = 10_000_000
        while not self._stop.wait(WEBHOOK_EVERY):
            index += 1
            body = generic_body(population, index, datetime.now(UTC).isoformat())
            started = time.perf_counter()
            inbox.receive(self.engine, self.settings, "generic", sign_generic(body), body)
            self.stored.append((started, time.perf_counter() - started))

    def longest_within(self, start: float, end: float) -> float:
        """The longest store that overlapped [start, end]."""
        return max((s for t, s in self.stored if t <= end and t + s >= start), default=0.0)


def people(engine: Any) -> dict[str, str]:
    import sqlalchemy as sa

    with engine.connect() as connection:
        customer = connection.execute(
            sa.text(
                "SELECT c.email FROM customer c JOIN painpoint p ON p.customer_id = c.id "
                "GROUP BY c.id, c.email ORDER BY count(*) DESC, c.id LIMIT 1"
            )
        ).scalar_one()
        agent = connection.execute(
            sa.text("SELECT min(agent_email) FROM painpoint WHERE agent_email IS NOT NULL")
        ).scalar_one()
    return {"customer": customer, "agent": agent}


def one_round(database_url: str, deliveries: int) -> dict[str, Any]:
    from voice_router.intake import processing
    from voice_router.platform.db import make_engine
    from voice_router.problems import privacy

    fill_inbox(database_url, deliveries, seed=1)
    engine = make_engine(database_url)
    try:
        processing.drain(engine, settings_for(database_url, process_batch_size=1000))
        found: dict[str, Any] = {
            "seconds": {},
            "cpu_seconds": {},
            "webhook_wait_ms": {},
            "erased": {},
        }
        with Webhooks(database_url) as webhooks:
            time.sleep(0.5)  # the thread's first stores, before the clock runs
            for who, email in people(engine).items():
                cpu, started = time.thread_time(), time.perf_counter()
                report = privacy.forget(engine, email, "bench")
                ended = time.perf_counter()
                found["seconds"][who] = round(ended - started, 2)
                found["cpu_seconds"][who] = round(time.thread_time() - cpu, 2)
                wait = webhooks.longest_within(started, ended)
                found["webhook_wait_ms"][who] = round(wait * 1000, 1)
                found["erased"][who] = {
                    "pain_points": report.pain_points,
                    "deliveries": report.deliveries,
                    "scrubbed": dict(report.scrubbed),
                }
            time.sleep(0.2)
        found["webhooks_stored"] = len(webhooks.stored)
    finally:
        engine.dispose()
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--deliveries", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--databases", default="postgresql,sqlite")
    parser.add_argument("--output", default="forget", help="bench/results/<OUTPUT>.json")
    args = parser.parse_args()
    compile_code()
    runs = rounds_on_databases(
        args.databases,
        args.rounds,
        "forget",
        lambda url: one_round(url, args.deliveries),
        lambda found: (
            f"{found['seconds']} s (cpu {found['cpu_seconds']}); "
            f"longest webhook {found['webhook_wait_ms']} ms"
        ),
    )
    path = write_result(
        args.output,
        {"benchmark": "forget", "deliveries": args.deliveries, "machine": machine(), "runs": runs},
    )
    print(f"forget over {args.deliveries} deliveries (medians of the rounds)")
    print(f"{'database':<12}{'who':<10}{'forget s':>10}{'cpu s':>8}{'longest webhook ms':>20}")
    for database in sorted({r["database"] for r in runs}):
        mine = [r for r in runs if r["database"] == database]
        for who in WHO:
            seconds = statistics.median(r["seconds"][who] for r in mine)
            cpu = statistics.median(r["cpu_seconds"][who] for r in mine)
            wait = statistics.median(r["webhook_wait_ms"][who] for r in mine)
            print(f"{database:<12}{who:<10}{seconds:>10.2f}{cpu:>8.2f}{wait:>20.1f}")
    print(f"-> {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
