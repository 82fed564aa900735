"""`voice-router worker`: an rq worker for our queue plus a sweep that reads what is due from
the database every few seconds and enqueues it, so a lost enqueue (a crashed worker, a Redis
restart, a retry that came due) costs seconds, never work."""

from __future__ import annotations

import logging
import threading
import time
from datetime import UTC, datetime
from typing import Any

from voice_router.platform import schedule
from voice_router.platform.runtime import Runtime
from voice_router.tracker import releases
from workers.jobs import freeze_loaded
from workers.queue import QUEUE_NAME, RedisQueue
from workers.runtime import set_process_runtime

log = logging.getLogger(__name__)

SWEEP_SECONDS = 5.0
BURST_WAIT_LIMIT = 15.0  # --burst also runs jobs scheduled to start within this many seconds


def sweep_once(runtime: Runtime, queue: RedisQueue) -> None:
    """Enqueue what the database says is due: the inbox, Jira syncs, outbound messages."""
    queue.request_drain()
    queue.signal_outbound()
    if runtime.settings.notify.weekly_top > 0:
        queue.signal_weekly()
    if runtime.settings.jira.url:
        due = schedule.due_syncs(runtime.engine)
        if due:
            queue.signal_sync(due)
        if releases.any_due(runtime.engine):
            queue.signal_releases()
        queue.signal_reconcile()  # the job runs only once per reconcile_seconds (a lease)


def _sweep(runtime: Runtime, queue: RedisQueue, stop: threading.Event) -> None:
    while not stop.wait(SWEEP_SECONDS):
        try:
            sweep_once(runtime, queue)
        except Exception:  # Redis or the database away for a moment: the next sweep tries
            log.warning("worker.sweep_failed", exc_info=True)


def run_worker(runtime: Runtime, burst: bool = False) -> None:
    from rq import SimpleWorker

    if not isinstance(runtime.queue, RedisQueue):
        raise SystemExit("voice-router worker needs redis_url (VOICE_ROUTER_REDIS_URL)")
    set_process_runtime(runtime)
    queue = runtime.queue
    queue.request_drain(own=True)
    sweep_once(runtime, queue)  # its drain request folds into that one
    stop = threading.Event()
    if not burst:
        threading.Thread(target=_sweep, args=(runtime, queue, stop), daemon=True).start()
    worker = SimpleWorker([QUEUE_NAME], connection=queue.redis)
    freeze_loaded()
    try:
        if not burst:
            worker.work(with_scheduler=True, logging_level="WARNING")
            return
        while True:
            _work_off(worker, queue)
            wait = _next_scheduled_in(queue)
            if wait is None or wait > BURST_WAIT_LIMIT:
                return
            time.sleep(max(0.0, wait) + 0.1)
            _enqueue_due(queue)
    finally:
        stop.set()


def _work_off(worker: Any, queue: RedisQueue) -> None:
    """Perform every queued job (--burst). Not `Worker.work(burst=True)`: its teardown can
    wait up to a minute on a pub/sub thread, every time it is called."""
    from rq import Queue

    while (found := Queue.dequeue_any([queue.queue], None, connection=queue.redis)) is not None:
        job, from_queue = found
        worker.execute_job(job, from_queue)


def _enqueue_due(queue: RedisQueue) -> None:
    """Move scheduled jobs that are due onto the queue (burst mode runs no scheduler)."""
    from rq.job import Job
    from rq.registry import ScheduledJobRegistry

    registry = ScheduledJobRegistry(queue=queue.queue)
    now = int(datetime.now(UTC).timestamp())
    for job_id in registry.get_jobs_to_schedule(now):
        job = Job.fetch(job_id, connection=queue.redis)
        registry.remove(job)
        queue.queue.enqueue_job(job)


def _next_scheduled_in(queue: RedisQueue) -> float | None:
    """Seconds until the earliest scheduled job (a coalesced Jira sync, a retry) is due."""
    from rq.registry import ScheduledJobRegistry

    registry = ScheduledJobRegistry(queue=queue.queue)
    times = [registry.get_scheduled_time(job_id) for job_id in registry.get_job_ids()]
    if not times:
        return None
    return (min(times) - datetime.now(UTC)).total_seconds()
