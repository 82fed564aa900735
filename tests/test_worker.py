"""Processing through rq workers on a real Redis, including a worker killed mid-batch."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from redis import Redis
from rq import Queue
from sqlmodel import Session, func, select

from integrations import registry
from tests.support import SECRETS, generic_delivery
from voice_router import inbox
from voice_router.models import Delivery, PainPoint, Problem
from voice_router.runtime import build_runtime
from workers.queue import QUEUE_NAME


def write_config(path: Path, database_url: str, redis_url: str, batch: int) -> Path:
    lines = [
        f'database_url = "{database_url}"',
        f'redis_url = "{redis_url}"',
        f"process_batch_size = {batch}",
        "[sources.generic]",
        'kind = "generic"',
        f'secret = "{SECRETS["generic"]}"',
    ]
    path.write_text("\n".join(lines) + "\n")
    return path


def store(runtime, count: int) -> None:
    adapter = registry.adapter("generic")
    for i in range(count):
        body = json.dumps(
            generic_delivery(f"T{i}", f"person{i}@company{i % 50}.com", ["pain-export"])
        ).encode()
        headers = adapter.sign(body, SECRETS["generic"])
        inbox.receive(runtime.engine, runtime.settings, "generic", headers, body)


def worker(config: Path, *args: str) -> subprocess.Popen:
    env = {**os.environ, "VOICE_ROUTER_CONFIG": str(config)}
    return subprocess.Popen(
        [sys.executable, "-m", "voice_router", "worker", *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )


def processed(engine) -> int:
    with Session(engine) as session:
        return session.exec(
            select(func.count()).select_from(Delivery).where(Delivery.status == "processed")
        ).one()


def test_a_burst_of_deliveries_enqueues_one_coalesced_job(make_settings, redis_url):
    runtime = build_runtime(make_settings(redis_url=redis_url))
    from tests.support import post_signed
    from voice_router.web import create_app

    client = create_app(runtime=runtime).test_client()
    for i in range(20):
        body = generic_delivery(f"T{i}", f"p{i}@acme.com", ["pain-export"])
        assert post_signed(client, "generic", body).status_code == 202
    assert len(Queue(QUEUE_NAME, connection=Redis.from_url(redis_url))) == 1
    assert processed(runtime.engine) == 0  # nothing runs in the web process
    runtime.engine.dispose()


def test_worker_processes_the_inbox_through_redis(make_settings, redis_url, tmp_path):
    settings = make_settings(redis_url=redis_url)
    runtime = build_runtime(settings)
    store(runtime, 30)
    config = write_config(tmp_path / "vr.toml", settings.database_url, redis_url, 500)
    proc = worker(config, "--burst")
    output, _ = proc.communicate(timeout=120)
    assert proc.returncode == 0, output.decode()
    assert processed(runtime.engine) == 30
    with Session(runtime.engine) as session:
        problem = session.exec(select(Problem).where(Problem.key == "export")).one()
    assert (problem.customers, problem.tickets, problem.accounts) == (30, 30, 30)
    runtime.engine.dispose()


def test_worker_killed_mid_batch_loses_nothing_and_counts_once(make_settings, redis_url, tmp_path):
    total = 1500
    settings = make_settings(redis_url=redis_url)
    runtime = build_runtime(settings)
    store(runtime, total)
    config = write_config(tmp_path / "vr.toml", settings.database_url, redis_url, 100)
    first = worker(config)
    deadline = time.monotonic() + 120
    while processed(runtime.engine) == 0 and time.monotonic() < deadline:
        time.sleep(0.02)
    done_at_kill = processed(runtime.engine)
    first.send_signal(signal.SIGKILL)
    first.wait(timeout=30)
    assert 0 < done_at_kill < total, "the kill must land while batches are still running"

    second = worker(config, "--burst")
    output, _ = second.communicate(timeout=300)
    assert second.returncode == 0, output.decode()
    assert processed(runtime.engine) == total
    with Session(runtime.engine) as session:
        pain_points = session.exec(select(func.count()).select_from(PainPoint)).one()
        problem = session.exec(select(Problem).where(Problem.key == "export")).one()
    assert pain_points == total
    assert (problem.customers, problem.tickets, problem.accounts) == (total, total, 50)
    runtime.engine.dispose()
