"""`voice-router worker` while its Redis goes away and comes back, as a Redis restart does:
the worker keeps running, takes up the inbox again within seconds of Redis's return, and
the counts stay exact. Its own redis-server, stopped and started on the same port."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from redis import Redis
from redis.exceptions import RedisError
from sqlmodel import Session, select

from tests.conftest import _truncate_postgres, source_table
from tests.serving import Process, free_port, wait_until, worker, write_config
from tests.support import (
    JIRA_EMAIL,
    JIRA_TOKEN,
    generic_delivery,
    inline_runtime,
    receive_generic,
    run_cli,
)
from tests.test_worker import processed, store
from voice_router.models import Problem
from voice_router.platform.settings import parse_settings

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("jira_openapi_check")]

OUTAGE_SECONDS = 32  # long enough for rq's reconnect backoff to reach 32 s between tries
BACK_WITHIN_SECONDS = 20  # after Redis answers again, new deliveries are processed within


class RedisServer:
    """A redis-server of the test's own, to stop and start again on the same port."""

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> RedisServer:
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
        )  # fmt: skip
        wait_until(self.answers, 10, "redis-server to answer")
        return self

    def answers(self) -> bool:
        try:
            return bool(Redis.from_url(self.url, socket_timeout=1).ping())
        except RedisError:
            return False

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)


@pytest.fixture
def own_redis() -> Iterator[RedisServer]:
    server = RedisServer().start()
    yield server
    server.stop()


@pytest.fixture
def start_worker(tmp_path: Path) -> Iterator[Callable[[Path], Process]]:
    """`voice-router worker` on a config file, stopped after the test whatever its outcome."""
    started: list[Process] = []

    def start(config: Path) -> Process:
        started.append(worker(config, tmp_path / "worker.log").start())
        return started[-1]

    yield start
    for process in started:
        process.stop()


def settings_on(postgres_database: str) -> Any:
    _truncate_postgres(postgres_database)
    return parse_settings(
        {"database_url": postgres_database, "redis_url": "", "sources": source_table()},
        {},
        "test",
    )


def export_counts(engine: Any) -> tuple[int, int, int]:
    with Session(engine) as session:
        problem = session.exec(select(Problem).where(Problem.key == "export")).one()
    return problem.customers, problem.tickets, problem.accounts


def test_a_worker_outlives_redis_going_away_while_a_drain_is_in_hand(
    postgres_database, own_redis, tmp_path, start_worker
):
    """rq cannot record the end of the drain in hand and leaves its loop: the worker used to
    exit with it, and nothing was processed until someone started it again."""
    runtime = inline_runtime(settings_on(postgres_database))  # stores straight into the database
    store(runtime, 600)
    config = write_config(
        tmp_path / "vr.toml", postgres_database, redis_url=own_redis.url, process_batch_size=50
    )
    running = start_worker(config)

    wait_until(lambda: processed(runtime.engine) > 0, 120, "the drain to start")
    own_redis.stop()
    assert processed(runtime.engine) < 600, "Redis must go away while the drain is in hand"
    wait_until(lambda: processed(runtime.engine) == 600, 120, "the drain to finish")
    time.sleep(3)  # rq meets the missing Redis as it records the drain's end
    own_redis.start()
    store(runtime, 10, start=600)
    wait_until(
        lambda: processed(runtime.engine) == 610,
        BACK_WITHIN_SECONDS,
        "the worker to process again:\n" + running.output()[-3000:],
    )
    assert running.process is not None and running.process.poll() is None
    running.stop()

    assert export_counts(runtime.engine) == (610, 610, 50)
    check = run_cli(config, "recompute", "--check")
    assert check.returncode == 0, check.stdout + check.stderr
    runtime.engine.dispose()


def test_a_worker_idle_through_a_redis_restart_is_back_at_work_within_seconds(
    postgres_database, own_redis, tmp_path, sandbox, start_worker
):
    """While Redis was away rq's reconnect backoff grew to a minute, and its scheduler (which
    moves a coalesced Jira sync onto its queue when due) died, restarted only by rq's
    maintenance: after half a minute away, deliveries waited another half minute and
    Jira syncs up to a minute."""
    runtime = inline_runtime(settings_on(postgres_database))
    jira = {"url": sandbox.url, "email": JIRA_EMAIL, "api_token": JIRA_TOKEN}
    config = write_config(
        tmp_path / "vr.toml",
        postgres_database,
        redis_url=own_redis.url,
        jira={**jira, "update_interval_seconds": 0},
    )
    running = start_worker(config)
    store(runtime, 10)
    wait_until(lambda: len(sandbox.issues()) == 1, 60, "the first problem's Jira issue")

    own_redis.stop()
    time.sleep(OUTAGE_SECONDS)
    own_redis.start()
    store(runtime, 10, start=10)
    receive_generic(
        runtime.engine, runtime.settings, generic_delivery("T99", "ann@acme.com", ["pain-sso"])
    )
    wait_until(
        lambda: processed(runtime.engine) == 21,
        BACK_WITHIN_SECONDS,
        "the worker to process again:\n" + running.output()[-3000:],
    )
    wait_until(
        lambda: len(sandbox.issues()) == 2,
        BACK_WITHIN_SECONDS,
        "the new problem's Jira issue:\n" + running.output()[-3000:],
    )
    assert running.process is not None and running.process.poll() is None
    running.stop()
    assert export_counts(runtime.engine) == (20, 20, 20)
    runtime.engine.dispose()


def test_a_drain_that_cannot_ask_for_help_goes_on_alone(postgres_database, own_redis):
    """A drain that finds a backlog asks Redis for one more drain, which another worker
    takes; when Redis refuses (an ACL without SET here, as an outage would from one command
    to the next) the drain used to fail after its first batch and leave the rest of the
    backlog to the next sweep."""
    from workers import jobs
    from workers.runtime import build_runtime

    Redis.from_url(own_redis.url).execute_command(
        "ACL", "SETUSER", "helpless", "on", ">pw", "~*", "&*", "+@all", "-set"
    )
    runtime = inline_runtime(settings_on(postgres_database))
    store(runtime, 120)
    helpless = own_redis.url.replace("redis://", "redis://helpless:pw@")
    on_helpless = build_runtime(
        parse_settings(
            {"database_url": postgres_database, "redis_url": helpless, "sources": source_table()},
            {},
            "test",
        )
    )

    summary = jobs.drain_inbox(on_helpless, batch_size=50)

    assert summary["processed"] == 120
    assert processed(runtime.engine) == 120
    assert export_counts(runtime.engine) == (120, 120, 50)
    on_helpless.engine.dispose()
    runtime.engine.dispose()
