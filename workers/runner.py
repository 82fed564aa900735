"""`voice-router worker`: an rq worker for our queue plus a sweep that keeps the inbox moving
even when an enqueue was lost (a crashed worker, a Redis restart)."""

from __future__ import annotations

import logging
import threading

from voice_router.runtime import Runtime, set_process_runtime
from workers.queue import DRAIN_FLAG, QUEUE_NAME, RedisQueue

log = logging.getLogger(__name__)

SWEEP_SECONDS = 5.0


def _sweep(queue: RedisQueue, stop: threading.Event) -> None:
    while not stop.wait(SWEEP_SECONDS):
        try:
            queue.enqueue_drain()
        except Exception:  # Redis away for a moment: the next sweep tries again
            log.warning("worker.sweep_failed", exc_info=True)


def run_worker(runtime: Runtime, burst: bool = False) -> None:
    from rq import SimpleWorker

    if not isinstance(runtime.queue, RedisQueue):
        raise SystemExit("voice-router worker needs redis_url (VOICE_ROUTER_REDIS_URL)")
    set_process_runtime(runtime)
    queue = runtime.queue
    queue.redis.delete(DRAIN_FLAG)
    queue.enqueue_drain()
    stop = threading.Event()
    if not burst:
        threading.Thread(target=_sweep, args=(queue, stop), daemon=True).start()
    worker = SimpleWorker([QUEUE_NAME], connection=queue.redis)
    try:
        worker.work(burst=burst, with_scheduler=not burst, logging_level="WARNING")
    finally:
        stop.set()
