"""Processing through rq workers on a real Redis, including a worker killed mid-batch."""

from __future__ import annotations

import ast
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from redis import Redis
from rq import Queue
from rq.job import Job
from rq.registry import ScheduledJobRegistry
from sqlmodel import Session, func, select

from tests.conftest import _truncate_postgres, source_table
from tests.support import SECRETS, generic_delivery, inline_runtime, receive_generic
from voice_router.models import Delivery, PainPoint, Problem
from voice_router.platform.settings import parse_settings
from workers.queue import INBOX_QUEUE_NAME, RedisQueue


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


def store(runtime, count: int, start: int = 0) -> None:
    for i in range(start, start + count):
        delivery = generic_delivery(f"T{i}", f"person{i}@company{i % 50}.com", ["pain-export"])
        receive_generic(runtime.engine, runtime.settings, delivery)


def worker(config: Path, *args: str) -> subprocess.Popen:
    env = {**os.environ, "VOICE_ROUTER_CONFIG": str(config)}
    return subprocess.Popen(
        [sys.executable, "-m", "voice_router", "worker", *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group, to kill with its job's work horse
    )


def processed(engine) -> int:
    with Session(engine) as session:
        return session.exec(
            select(func.count()).select_from(Delivery).where(Delivery.status == "processed")
        ).one()


def test_a_burst_of_deliveries_enqueues_one_coalesced_job(make_settings, redis_url):
    runtime = inline_runtime(make_settings(redis_url=redis_url))
    from tests.support import post_signed
    from voice_router.web import create_app

    client = create_app(runtime=runtime).test_client()
    for i in range(20):
        body = generic_delivery(f"T{i}", f"p{i}@acme.com", ["pain-export"])
        assert post_signed(client, "generic", body).status_code == 202
    assert runtime.queue.signals_sent(5)  # by a thread of its own: the 202 did not wait
    assert len(Queue(INBOX_QUEUE_NAME, connection=Redis.from_url(redis_url))) == 1
    assert processed(runtime.engine) == 0  # nothing runs in the web process
    runtime.engine.dispose()


def test_worker_processes_the_inbox_through_redis(make_settings, redis_url, tmp_path):
    settings = make_settings(redis_url=redis_url)
    runtime = inline_runtime(settings)
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


@pytest.mark.slow
def test_two_burst_workers_started_together_both_drain(postgres_database, redis_url, tmp_path):
    """On PostgreSQL, where workers claim batches side by side (SKIP LOCKED)."""
    _truncate_postgres(postgres_database)
    settings = parse_settings(
        {"database_url": postgres_database, "redis_url": redis_url, "sources": source_table()},
        {},
        "test",
    )
    runtime = inline_runtime(settings)
    store(runtime, 2000)
    config = write_config(tmp_path / "vr.toml", settings.database_url, redis_url, 100)
    RedisQueue(redis_url).request_drain()  # as a worker that started a moment before asks
    workers = [worker(config, "--burst") for _ in range(2)]
    drained = []
    for proc in workers:
        output, _ = proc.communicate(timeout=300)
        assert proc.returncode == 0, output.decode()
        lines = [json.loads(line) for line in output.decode().splitlines() if line.startswith("{")]
        drained.append(sum(r["processed"] for r in lines if r["event"] == "inbox.drained"))
    assert processed(runtime.engine) == 2000 == sum(drained)
    assert all(drained), drained  # each worker took part
    runtime.engine.dispose()


def test_a_drain_that_finds_a_backlog_asks_at_once_for_another_worker(make_settings, redis_url):
    """Idle workers join a backlog without waiting for the next webhook's request or the
    sweep: the drain that finds more than a batch waiting asks for one more drain (once)."""
    from workers import jobs

    runtime = inline_runtime(make_settings(redis_url=redis_url))
    queue = Queue(INBOX_QUEUE_NAME, connection=Redis.from_url(redis_url))
    store(runtime, 25)
    assert jobs.drain_inbox(runtime, batch_size=10)["processed"] == 25
    assert [job.func_name for job in queue.get_jobs()] == ["workers.jobs.drain_inbox"]

    queue.empty()
    store(runtime, 5)  # less than a batch: this drain alone takes it all
    assert jobs.drain_inbox(runtime, batch_size=10)["processed"] == 5
    assert queue.get_jobs() == []
    runtime.engine.dispose()


def working_on_a_backlog(settings, total: int, batch: int, config: Path):  # type: ignore[no-untyped-def]
    """`total` deliveries stored and a worker started on them, returned once it has committed
    its first batch, with the runtime the test reads the database through."""
    runtime = inline_runtime(settings)
    store(runtime, total)
    write_config(config, settings.database_url, settings.redis_url, batch)
    first = worker(config)
    deadline = time.monotonic() + 120
    while processed(runtime.engine) == 0 and time.monotonic() < deadline:
        time.sleep(0.02)
    return runtime, first


def burst_finishes_exactly(runtime, config: Path, total: int) -> None:  # type: ignore[no-untyped-def]
    """A burst worker processes what is left: every delivery once, the counts exact."""
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


def test_worker_killed_mid_batch_loses_nothing_and_counts_once(make_settings, redis_url, tmp_path):
    total, config = 1500, tmp_path / "vr.toml"
    runtime, first = working_on_a_backlog(make_settings(redis_url=redis_url), total, 100, config)
    done_at_kill = processed(runtime.engine)
    # The whole group: rq runs each job in a forked work horse, which a SIGKILL of the
    # worker alone leaves running (it then blocked on the full output pipe, for ever).
    os.killpg(first.pid, signal.SIGKILL)
    first.wait(timeout=30)
    first.stdout.close()
    assert 0 < done_at_kill < total, "the kill must land while batches are still running"
    burst_finishes_exactly(runtime, config, total)


def test_a_worker_told_to_stop_during_a_backlog_stops_after_the_batch_in_hand(
    make_settings, redis_url, tmp_path
):
    """SIGTERM (Kubernetes' stop, systemd's) during a backlog: the worker went on through
    all of it before stopping, and was killed when the grace period ran out. Now the drain
    starts no next batch; what is left stays due for the next worker, and nothing counts
    twice."""
    total, config = 2000, tmp_path / "vr.toml"
    runtime, first = working_on_a_backlog(make_settings(redis_url=redis_url), total, 20, config)
    first.send_signal(signal.SIGTERM)
    output, _ = first.communicate(timeout=120)
    assert first.returncode == 0, output.decode()
    assert b"inbox.drain_stopped" in output
    assert 0 < processed(runtime.engine) < total, "the stop waited for the whole backlog"
    burst_finishes_exactly(runtime, config, total)


RESULT_TTL_MAX = 60  # seconds a job's return value stays in Redis
FAILURE_TTL_MAX = 7 * 24 * 3600  # a failed job's record (its traceback text), at most a week
ROOT = Path(__file__).resolve().parents[1]


def test_every_kind_of_job_keeps_its_result_briefly_and_its_failure_for_a_bounded_time(
    redis_url,
):
    """rq keeps results and failure records (with the exception text) in Redis, which
    `voice-router forget` cannot reach: rq's defaults are 500 s and one year."""
    queue = RedisQueue(redis_url)
    queue.signal_drain()
    assert queue.signals_sent(5)
    queue.signal_sync([1])
    queue.signal_sync([2], 30)
    queue.signal_reconcile()
    queue.signal_outbound()
    queue.outbound_started()
    queue.signal_outbound(60)
    ids = [
        i
        for q in queue.queues
        for i in q.get_job_ids() + ScheduledJobRegistry(queue=q).get_job_ids()
    ]
    jobs = Job.fetch_many(ids, connection=queue.redis)
    assert sorted(job.func_name.rsplit(".", 1)[1] for job in jobs if job) == [
        "deliver_outbound",
        "deliver_outbound",
        "drain_inbox",
        "reconcile",
        "sync_jira",
        "sync_jira",
    ]
    for job in jobs:
        assert job is not None
        assert job.result_ttl is not None and 0 < job.result_ttl <= RESULT_TTL_MAX, job.func_name
        assert job.failure_ttl is not None and 0 < job.failure_ttl <= FAILURE_TTL_MAX, job.func_name


def test_every_enqueue_in_the_code_says_how_long_rq_keeps_results_and_failures():
    """Also the enqueues no test drives (the worker's start-up job): each passes both TTLs."""
    missing = []
    for path in [
        *ROOT.joinpath("workers").glob("*.py"),
        *ROOT.joinpath("voice_router").rglob("*.py"),
    ]:
        for node in ast.walk(ast.parse(path.read_text())):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
                continue
            if node.func.attr not in ("enqueue", "enqueue_in", "enqueue_at", "enqueue_call"):
                continue
            given = {keyword.arg for keyword in node.keywords}
            if not {"result_ttl", "failure_ttl"} <= given:
                missing.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert missing == []


DRAIN_IN_A_FRESH_PROCESS = """
import json, sys
from voice_router.platform.settings import load_settings
from voice_router.problems import meaning
from workers import jobs
from workers.runtime import build_runtime

summary = jobs.drain_inbox(build_runtime(load_settings(None)))
print(json.dumps({"processed": summary["processed"], "numpy": "numpy" in sys.modules,
                  "encoder": meaning.loaded()}))
"""


def drain_in_a_fresh_process(config: Path) -> dict:
    env = {**os.environ, "VOICE_ROUTER_CONFIG": str(config)}
    child = subprocess.run(
        [sys.executable, "-c", DRAIN_IN_A_FRESH_PROCESS], env=env, capture_output=True, timeout=120
    )
    assert child.returncode == 0, child.stderr.decode()
    return json.loads(child.stdout.decode().splitlines()[-1])


def test_a_drain_loads_the_encoder_only_when_a_vector_is_to_be_made(make_settings, tmp_path):
    """A worker whose drain leaves every meaning vector current spends neither the start of
    numpy nor the encoder's (about a third of a second, and their memory); one whose drain
    brings a new problem still makes its vector."""
    from voice_router.intake import processing
    from voice_router.models import ProblemVector
    from voice_router.problems import vectors
    from workers.runtime import build_runtime

    settings = make_settings()
    runtime = build_runtime(settings)  # no Redis, no runner: deliveries wait for the child

    def deliver(ticket: str, tag: str) -> None:
        receive_generic(
            runtime.engine, settings, generic_delivery(ticket, f"{ticket}@acme.com", [tag])
        )

    for i in range(25):  # a problem past its first 20 tickets, its vector made at 25
        deliver(f"T{i}", "pain-export")
    processing.drain(runtime.engine, settings)
    assert vectors.update(runtime.engine) == 1
    config = write_config(tmp_path / "vr.toml", settings.database_url, "", 500)

    deliver("T25", "pain-export")  # one ticket more: its vector is still current
    assert drain_in_a_fresh_process(config) == {"processed": 1, "numpy": False, "encoder": False}

    deliver("T26", "pain-sso-login")  # a new problem: its vector is made after the drain
    assert drain_in_a_fresh_process(config) == {"processed": 1, "numpy": True, "encoder": True}
    with Session(runtime.engine) as session:
        sso = session.exec(select(Problem).where(Problem.key == "sso-login")).one()
        assert session.get(ProblemVector, sso.id) is not None
    runtime.engine.dispose()


def test_the_inbox_workers_scheduler_also_moves_the_other_queues_due_jobs(redis_url):
    """rq's scheduler serves the queues of the worker that starts it; the inbox's worker
    starts the process's scheduler, and a delayed Jira sync (the other queue) must still
    come due through it, not only through the sweep a few seconds later."""
    from datetime import timedelta

    from workers.runner import InboxWorker

    queue = RedisQueue(redis_url)
    sync = queue.queue.enqueue_in(
        timedelta(seconds=-1), "workers.jobs.sync_jira", 7, result_ttl=60, failure_ttl=60
    )
    drain = queue.inbox.enqueue_in(
        timedelta(seconds=-1), "workers.jobs.drain_inbox", result_ttl=60, failure_ttl=60
    )
    worker = InboxWorker([queue.inbox], connection=queue.redis)
    worker.scheduled = queue.queues
    worker._start_scheduler(burst=True)  # what `work` does first: move the due jobs
    assert queue.queue.get_job_ids() == [sync.id]
    assert queue.inbox.get_job_ids() == [drain.id]
    assert worker.queues == [queue.inbox]  # it still takes only the inbox's jobs


def test_a_folded_job_keeps_its_flag_while_it_waits_behind_others(redis_url):
    """While Jira hangs, jobs wait in the queue far longer than they run; a flag that
    expired meanwhile let every sweep (each 5 s) add one more job per due problem, and the
    queue grew without end. The flag now lives until its job starts (or ten minutes)."""
    from workers.queue import OUTBOUND_FLAG, RELEASES_FLAG, SYNC_FLAG

    queue = RedisQueue(redis_url)
    queue.signal_sync([7])
    queue.signal_outbound()
    queue.signal_releases()
    for flag in (SYNC_FLAG.format(7), OUTBOUND_FLAG, RELEASES_FLAG):
        assert queue.redis.ttl(flag) > 300, flag
    for _ in range(3):  # the sweeps that come while the jobs wait
        queue.signal_sync([7])
        queue.signal_outbound()
        queue.signal_releases()
    jobs = {q.name: [job.func_name for job in q.get_jobs()] for q in queue.queues}
    assert jobs == {
        "voice-router-inbox": [],
        "voice-router": ["workers.jobs.sync_jira", "workers.jobs.apply_releases"],
        "voice-router-messages": ["workers.jobs.deliver_outbound"],
    }
    queue.releases_started()  # a job that starts lets the next signal enqueue again
    queue.signal_releases()
    assert len(queue.queue) == 3


def test_a_lane_that_meets_a_failure_goes_on_with_the_next_job(redis_url, monkeypatch):
    """A lane's thread (Jira's, the messages') runs rq's job handling itself: a failure
    there (Redis gone mid-job) must not end the thread, or that worker would never sync or
    send again until restarted."""
    import threading
    from functools import partial

    from rq import SimpleWorker

    from workers import runner
    from workers.stopping import Lanes

    queue = RedisQueue(redis_url)
    tried: list[str] = []
    execute = SimpleWorker.execute_job

    def redis_goes_away_once(self, job, from_queue):  # type: ignore[no-untyped-def]
        tried.append(job.id)
        if len(tried) == 1:
            raise ConnectionError("Redis went away mid-job")
        return execute(self, job, from_queue)

    monkeypatch.setattr(SimpleWorker, "execute_job", redis_goes_away_once)
    monkeypatch.setattr(runner, "OTHERS_WAIT_SECONDS", 1)
    stop = threading.Event()
    in_flight = partial(runner._in_flight, Lanes(), {}, "jira")
    lane = threading.Thread(
        target=runner._work_others, args=(queue, queue.queue, "lane", stop, in_flight)
    )
    lane.start()
    try:
        queue.queue.enqueue("time.time", result_ttl=60, failure_ttl=60)
        later = queue.queue.enqueue("time.time", result_ttl=60, failure_ttl=60)
        deadline = time.monotonic() + 20
        while later.get_status(refresh=True) != "finished" and time.monotonic() < deadline:
            time.sleep(0.1)
        assert later.get_status(refresh=True) == "finished", tried
    finally:
        stop.set()
        lane.join(10)
    assert not lane.is_alive()


def test_a_worker_starts_without_the_jira_library():
    """The Jira library (and requests under it: ~45 ms and ~7 MB) loads when a Jira job
    runs, not when a worker starts: a worker of an install without Jira, or one that only
    drains, never pays for it (docs/benchmarks.md, start-up and peak memory)."""
    probe = (
        "import sys\n"
        "import workers.runner, workers.jobs, voice_router.intake.processing\n"
        "print(sorted(m for m in ('jira', 'requests', 'integrations.jira.client')"
        " if m in sys.modules))\n"
    )
    child = subprocess.run([sys.executable, "-c", probe], capture_output=True, timeout=120)
    assert child.returncode == 0, child.stderr.decode()
    assert child.stdout.decode().strip() == "[]"


@pytest.mark.slow
def test_an_inbox_workers_stop_does_not_wait_on_its_pub_sub_thread(redis_url, monkeypatch):
    """Found by a stop test: `voice-router worker` now and then took a minute to stop, in rq's
    teardown. rq unsubscribes its command channel, then asks redis-py's pub/sub thread to stop,
    which waits for the thread; when the unsubscribe's answer reached the thread first, the
    thread, still told to run, waited for a subscription again (rq's 60 s). Here the answer
    always comes first (redis-py's stop made late), as it did now and then."""
    from redis.client import PubSubWorkerThread

    from workers.runner import InboxWorker

    stop = PubSubWorkerThread.stop

    def late(self, timeout=None):  # type: ignore[no-untyped-def]
        time.sleep(0.5)
        stop(self, timeout)

    monkeypatch.setattr(PubSubWorkerThread, "stop", late)
    queue = RedisQueue(redis_url)
    worker = InboxWorker([queue.inbox], connection=queue.redis)
    worker.subscribe()
    thread = worker.pubsub_thread
    started = time.monotonic()
    worker.unsubscribe()
    assert time.monotonic() - started < 10  # a second or so, not 60
    assert thread is not None and not thread.is_alive()
