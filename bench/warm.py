"""Workers that are already running when a backlog arrives (`bench/processing.py --warm`).

A `worker --burst` run is timed over the worker's whole life: interpreter, imports,
connections, rq's start and stop, about a second on a 2-core machine, paid by every worker
of a run side by side. Deployed workers run for days; what matters there is how soon a
backlog is worked off once it is there, and whether a second worker halves that.

Here the inbox's deliveries are set aside in a table of their own, the workers (`voice-router
worker`, no --burst) are started and left to settle (each registered with rq and idle, the
queue empty), then the deliveries come back in one commit and one drain is asked for, as a
webhook asks. The clock runs from that commit until every worker is idle again with nothing
pending and nothing queued: the batches and what a drain does after them (meaning vectors).
The workers are then stopped; their peak memory and CPU cover their whole life.
"""

from __future__ import annotations

import signal
import subprocess
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from common import REDIS_URL, flush_redis, postgres_cpu_seconds

POLL_SECONDS = 0.005
SETTLE_TIMEOUT = 60.0


def set_aside(database_url: str) -> None:
    """Move the pending deliveries into `bench_backlog`, leaving the inbox empty."""
    with _connect(database_url) as connection:
        connection.execute("CREATE TABLE bench_backlog AS SELECT * FROM delivery")
        connection.execute("TRUNCATE delivery")


def bring_back(database_url: str) -> None:
    """The backlog in one commit, with fresh statistics as autovacuum would gather them."""
    with _connect(database_url) as connection:
        connection.execute("INSERT INTO delivery SELECT * FROM bench_backlog")
        connection.execute("ANALYZE delivery")


def run_warm(
    database_url: str,
    batch: int,
    count: int,
    workdir: Path,
    max_seconds: float,
    code: Path | None = None,
    workers: int = 1,
) -> dict[str, Any]:
    """`workers` running workers meet the inbox's `count` deliveries (see the module's
    docstring); the figures as `processing.run_worker` gives them, with mode "warm"."""
    from processing import _spent, _wait_measured, measured, start_workers
    from redis import Redis
    from rq import Queue

    from workers.queue import QUEUE_NAMES, RedisQueue

    set_aside(database_url)
    flush_redis()
    redis = Redis.from_url(REDIS_URL)
    queues = [Queue(name, connection=redis) for name in QUEUE_NAMES]
    processes, outputs = start_workers(database_url, batch, workdir, code, workers)
    try:
        if not _settled(queues, redis, workers, SETTLE_TIMEOUT, processes):
            raise RuntimeError(f"the workers did not settle:\n{_tails(outputs)}")
        bring_back(database_url)
        database_cpu = postgres_cpu_seconds()
        started = time.perf_counter()
        wall_start = datetime.now(UTC)
        RedisQueue(REDIS_URL).request_drain()
        complete = _settled(queues, redis, workers, max_seconds, processes, database_url)
        elapsed = time.perf_counter() - started
        database_cpu = _spent(database_cpu, database_url)
    finally:
        for process in processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        peaks_kb, cpu = _wait_measured(processes, 30)
    if complete and any(p.returncode not in (0, -signal.SIGTERM) for p in processes):
        codes = [p.returncode for p in processes]
        raise RuntimeError(f"a worker exited {codes}:\n{_tails(outputs)}")
    flush_redis()
    return measured(
        database_url,
        count,
        complete,
        wall_start,
        elapsed,
        peaks_kb,
        cpu,
        "warm",
        batch,
        workers,
        database_cpu,
    )


def _settled(
    queues: list[Any],
    redis: Any,
    workers: int,
    timeout: float,
    processes: list[subprocess.Popen[bytes]],
    database_url: str | None = None,
) -> bool:
    """Wait until `workers` worker processes are registered and idle (three rq workers each:
    the inbox's, Jira's, the messages') with nothing queued (and, with `database_url`, nothing
    pending there); False after `timeout`."""
    from rq import Worker

    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        if any(p.poll() is not None for p in processes):
            return False
        if not any(len(queue) for queue in queues):
            found = Worker.all(connection=redis)
            idle = len(found) == 3 * workers and all(w.get_state() == "idle" for w in found)
            if idle and (database_url is None or _pending(database_url) == 0):
                return True
        time.sleep(POLL_SECONDS)
    return False


def _pending(database_url: str) -> int:
    with _connect(database_url) as connection:
        row = connection.execute("SELECT count(*) FROM delivery WHERE status = 'pending'")
        return int(row.fetchone()[0])  # type: ignore[index]


def _connect(database_url: str) -> Any:
    import psycopg

    return psycopg.connect(database_url.replace("postgresql+psycopg://", "postgresql://"))


def _tails(outputs: list[Path]) -> str:
    return "\n".join(o.read_text(errors="replace")[-2000:] for o in outputs)
