"""`voice-router worker` while its PostgreSQL goes away and comes back (a restart, a
failover): jobs that find the database unreachable leave their work where it is (it is due
in the database, and the sweep asks again every few seconds) instead of failing into rq's
failed list with a traceback each, or retrying on rq's schedule long after the database is
back. One warning per outage, a line when it is back, a count in /metrics. A PostgreSQL
cluster of the test's own, stopped and started on the same port."""

from __future__ import annotations

import json

import pytest
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector
from redis import Redis
from rq import Worker
from rq.registry import BaseRegistry, FailedJobRegistry, ScheduledJobRegistry

from tests.conftest import source_table
from tests.serving import Process, wait_until, worker, write_config
from tests.support import inline_runtime, run_cli
from tests.test_readiness import postgres  # noqa: F401 - a cluster of the module's own
from tests.test_worker import processed, store
from tests.test_worker_redis_outage import export_counts
from voice_router.platform.settings import parse_settings
from workers.queue import QUEUE_NAMES

pytestmark = pytest.mark.slow


def in_registry(redis_url: str, registry: type[BaseRegistry]) -> list[str]:
    """The ids of jobs `registry` holds (failed ones, or retries waiting) on every queue."""
    redis = Redis.from_url(redis_url)
    return [
        job_id for name in QUEUE_NAMES for job_id in registry(name, connection=redis).get_job_ids()
    ]


def jobs_run(redis_url: str) -> int:
    """Jobs the worker's rq workers have run, whatever their outcome."""
    workers = Worker.all(connection=Redis.from_url(redis_url))
    return sum(w.successful_job_count + w.failed_job_count for w in workers)


def counted_while_away(running: Process) -> float:
    """voice_router_jobs_database_unreachable_total{job="drain_inbox"}, as /metrics adds up
    the worker's counter files."""
    registry = CollectorRegistry()
    MultiProcessCollector(registry, path=str(running.log.with_suffix(".metrics")))
    for line in generate_latest(registry).decode().splitlines():
        if line.startswith('voice_router_jobs_database_unreachable_total{job="drain_inbox"}'):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


def events(running: Process, name: str) -> list[dict[str, object]]:
    lines = [line for line in running.output().splitlines() if line.startswith("{")]
    return [record for record in map(json.loads, lines) if record.get("event") == name]


def test_drains_while_postgres_is_away_leave_no_failed_jobs_and_log_once(
    postgres,  # noqa: F811 - the fixture imported above
    redis_url,
    tmp_path,
):
    settings = parse_settings(
        {"database_url": postgres.url, "redis_url": "", "sources": source_table()}, {}, "t"
    )
    runtime = inline_runtime(settings)
    store(runtime, 20)
    config = write_config(tmp_path / "vr.toml", postgres.url, redis_url=redis_url)
    running = worker(config, tmp_path / "worker.log").start()
    try:
        wait_until(lambda: processed(runtime.engine) == 20, 60, "the first deliveries")

        postgres.stop()
        before = jobs_run(redis_url)
        wait_until(lambda: jobs_run(redis_url) >= before + 6, 60, "jobs run meanwhile")
        postgres.start()
        store(runtime, 10, start=20)
        wait_until(
            lambda: processed(runtime.engine) == 30,
            60,
            "the worker to process again:\n" + running.output()[-3000:],
        )
        assert in_registry(redis_url, FailedJobRegistry) == [], running.output()[-3000:]
        wait_until(lambda: events(running, "database.back"), 30, "the outage's end noted")
        assert running.process is not None and running.process.poll() is None
    finally:
        running.stop()

    assert in_registry(redis_url, FailedJobRegistry) == []
    assert (
        in_registry(redis_url, ScheduledJobRegistry) == []
    )  # nothing left to retry on rq's schedule
    assert len(events(running, "database.unreachable")) == 1, running.output()[-3000:]
    assert "Traceback" not in running.output()
    assert counted_while_away(running) >= 3
    assert export_counts(runtime.engine) == (30, 30, 30)
    check = run_cli(config, "recompute", "--check")
    assert check.returncode == 0, check.stdout + check.stderr
    runtime.engine.dispose()
