"""Two long-running `voice-router worker` processes on one database and Redis; one is
SIGKILLed (its whole process group, as a power cut or the OOM killer would), first while it
idles, then while both are in the middle of a backlog. The other takes up the work, the
batch the dead one held is done again, and every count is exact (`voice-router recompute
--check` finds nothing to fix). A regression test of behaviour checked by hand before."""

from __future__ import annotations

from pathlib import Path

import pytest
from redis import Redis
from rq import Worker
from sqlmodel import Session, func, select

from tests.serving import Process, wait_until, worker, write_config
from tests.support import run_cli
from tests.test_worker import processed, store
from tests.test_worker_redis_outage import export_counts
from voice_router.models import PainPoint
from workers.runtime import build_runtime

pytestmark = pytest.mark.slow

BACKLOG = 1500


def idle_inbox_workers(redis_url: str) -> int:
    """Inbox rq workers (one per process; its lanes' names end in -jira, -messages) idling."""
    workers = Worker.all(connection=Redis.from_url(redis_url))
    return sum(1 for w in workers if "-" not in w.name and w.get_state() == "idle")


def pain_points(engine) -> int:  # type: ignore[no-untyped-def]
    with Session(engine) as session:
        return session.exec(select(func.count()).select_from(PainPoint)).one()


def test_a_worker_killed_idle_then_mid_batch_beside_another_loses_and_repeats_nothing(
    make_settings, redis_url, tmp_path: Path
):
    settings = make_settings(redis_url=redis_url)
    runtime = build_runtime(make_settings())  # stores only: the workers process
    config = write_config(
        tmp_path / "vr.toml", settings.database_url, redis_url=redis_url, process_batch_size=100
    )
    started: list[Process] = []

    def start(n: int) -> Process:
        started.append(worker(config, tmp_path / f"worker{n}.log").start())
        return started[-1]

    try:
        first, second = start(1), start(2)
        wait_until(lambda: idle_inbox_workers(redis_url) == 2, 60, "both workers idle")
        first.kill()  # idle: nothing in hand
        store(runtime, 100)
        wait_until(lambda: processed(runtime.engine) == 100, 120, "the other to take it all")

        third = start(3)
        wait_until(lambda: idle_inbox_workers(redis_url) >= 2, 60, "the new worker idle")
        store(runtime, BACKLOG, start=100)
        wait_until(lambda: processed(runtime.engine) > 500, 120, "the backlog under way")
        third.kill()  # mid-batch: its batch's transaction dies with it
        at_kill = processed(runtime.engine)
        assert at_kill < 100 + BACKLOG, "the kill must land while batches are still running"
        wait_until(
            lambda: processed(runtime.engine) == 100 + BACKLOG,
            300,
            "the other worker to finish the backlog:\n" + second.output()[-3000:],
        )
        assert second.process is not None and second.process.poll() is None
    finally:
        for process in started:
            process.stop()

    total = 100 + BACKLOG
    assert pain_points(runtime.engine) == total
    assert export_counts(runtime.engine) == (total, total, 50)
    check = run_cli(config, "recompute", "--check")
    assert check.returncode == 0, check.stdout + check.stderr
    runtime.engine.dispose()
