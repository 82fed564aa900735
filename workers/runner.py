"""`voice-router worker`: an rq worker for our queue plus a sweep that keeps the inbox moving
even when an enqueue was lost (a crashed worker, a Redis restart)."""

from __future__ import annotations

import logging
import threading
import time
from datetime import UTC, datetime

from voice_router.runtime import Runtime, set_process_runtime
from workers.queue import (
    DRAIN_FLAG,
    FAILURE_TTL,
    QUEUE_NAME,
    RESULT_TTL,
    EmbeddedQueue,
    RedisQueue,
)

log = logging.getLogger(__name__)

SWEEP_SECONDS = 5.0
BURST_WAIT_LIMIT = 15.0  # --burst also runs jobs scheduled to start within this many seconds


def _sweep(queue: RedisQueue, stop: threading.Event, reconcile_every: float) -> None:
    last_reconcile = 0.0
    while not stop.wait(SWEEP_SECONDS):
        try:
            queue.enqueue_drain()
            if time.monotonic() - last_reconcile >= reconcile_every:
                queue.enqueue_reconcile()
                last_reconcile = time.monotonic()
        except Exception:  # Redis away for a moment: the next sweep tries again
            log.warning("worker.sweep_failed", exc_info=True)


def start_embedded_sweep(queue: EmbeddedQueue, every: float = 30.0) -> threading.Event:
    """`voice-router serve` without Redis: drain due retries now and then."""
    stop = threading.Event()

    def loop() -> None:
        while not stop.wait(every):
            queue.enqueue_drain()
            queue.run_due_syncs()

    threading.Thread(target=loop, daemon=True, name="voice-router-sweep").start()
    return stop


def run_worker(runtime: Runtime, burst: bool = False) -> None:
    from rq import SimpleWorker

    if not isinstance(runtime.queue, RedisQueue):
        raise SystemExit("voice-router worker needs redis_url (VOICE_ROUTER_REDIS_URL)")
    set_process_runtime(runtime)
    queue = runtime.queue
    queue.redis.delete(DRAIN_FLAG)
    queue.enqueue_drain()
    queue.queue.enqueue(
        "workers.jobs.deliver_outbound",
        job_timeout=600,
        result_ttl=RESULT_TTL,
        failure_ttl=FAILURE_TTL,
    )
    stop = threading.Event()
    if not burst:
        every = runtime.settings.reconcile_seconds
        threading.Thread(target=_sweep, args=(queue, stop, every), daemon=True).start()
    worker = SimpleWorker([QUEUE_NAME], connection=queue.redis)
    try:
        if not burst:
            worker.work(with_scheduler=True, logging_level="WARNING")
            return
        while True:
            worker.work(burst=True, logging_level="WARNING")
            wait = _next_scheduled_in(queue)
            if wait is None or wait > BURST_WAIT_LIMIT:
                return
            time.sleep(max(0.0, wait) + 0.1)
            _enqueue_due(queue)
    finally:
        stop.set()


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
