"""Where jobs run: rq on Redis when `redis_url` is set, else in-process, inline.

Processing is one coalesced job: however many deliveries arrive, at most one `drain_inbox`
job waits in the queue (a Redis flag with a TTL guards the enqueue), and it drains the
inbox in batches.
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import timedelta
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from voice_router.runtime import Runtime

log = logging.getLogger(__name__)

QUEUE_NAME = "voice-router"
DRAIN_FLAG = "voice-router:drain-scheduled"
DRAIN_FLAG_TTL = 120
DRAIN_REQUEST_INTERVAL = 1.0  # seconds between drain requests from one process


SYNC_FLAG = "voice-router:jira-sync:{}"
SYNC_LAST = "voice-router:jira-synced-at:{}"
OUTBOUND_FLAG = "voice-router:outbound-sweep"
RECONCILE_FLAG = "voice-router:reconcile"
RECONCILE_LOCK_SECONDS = 50
SYNC_DELAY = timedelta(seconds=2)
# How long rq keeps a job's return value, and a failed job's record with its traceback text:
# Redis is out of `voice-router forget`'s reach, so both expire (rq's defaults: 500 s, a year).
RESULT_TTL = 60
FAILURE_TTL = 7 * 24 * 3600


class JobQueue(Protocol):
    def enqueue_drain(self) -> None: ...
    def drain_started(self) -> None: ...
    def schedule_drain(self, wait: timedelta) -> None: ...
    def enqueue_sync(self, problem_ids: list[int], urgent: bool = False) -> None: ...
    def sync_started(self, problem_id: int) -> None: ...
    def schedule_sync(self, problem_id: int, wait: float) -> None: ...
    def enqueue_outbound(self, problem_ids: list[int]) -> None: ...
    def schedule_outbound_sweep(self) -> None: ...
    def ping(self) -> bool: ...


class EmbeddedQueue:
    """Runs the job right away in the calling thread: no Redis, no worker to start."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self._draining = threading.Lock()
        self._synced_at: dict[int, float] = {}
        self._waiting: set[int] = set()

    def enqueue_drain(self) -> None:
        from workers.jobs import drain_inbox

        if not self._draining.acquire(blocking=False):
            return  # a drain is running in another thread; it will take this delivery too
        try:
            drain_inbox(self.runtime)
        except Exception:  # the deliveries are stored; the next drain picks them up
            log.exception("inbox.drain_crashed")
        finally:
            self._draining.release()

    def drain_started(self) -> None:
        return None

    def schedule_drain(self, wait: timedelta) -> None:
        return None  # retried on the next delivery, `deliveries replay` or the serve sweep

    def enqueue_sync(self, problem_ids: list[int], urgent: bool = False) -> None:
        """Sync now, unless this problem's block was rewritten less than the update
        interval ago: then remember it, and `run_due_syncs` (the serve sweep) catches up."""
        interval = self.runtime.settings.jira.update_interval_seconds
        now = time.monotonic()
        for problem_id in problem_ids:
            last = self._synced_at.get(problem_id)
            if urgent or interval <= 0 or last is None or now - last >= interval:
                self._sync(problem_id, now)
            else:
                self._waiting.add(problem_id)

    def run_due_syncs(self) -> None:
        interval = self.runtime.settings.jira.update_interval_seconds
        now = time.monotonic()
        for problem_id in sorted(self._waiting):
            if now - self._synced_at.get(problem_id, float("-inf")) >= interval:
                self._sync(problem_id, now)

    def _sync(self, problem_id: int, now: float) -> None:
        from workers.jobs import sync_jira

        self._waiting.discard(problem_id)
        self._synced_at[problem_id] = now
        try:
            sync_jira(problem_id, self.runtime)
        except Exception:  # one problem's sync must not stop the others
            log.exception("jira.sync_crashed", extra={"problem_id": problem_id})

    def sync_started(self, problem_id: int) -> None:
        return None

    def schedule_sync(self, problem_id: int, wait: float) -> None:
        return None  # the next change or reconcile syncs it again

    def enqueue_outbound(self, problem_ids: list[int]) -> None:
        from workers.jobs import deliver_outbound

        for problem_id in problem_ids:
            try:
                deliver_outbound(problem_id, self.runtime)
            except Exception:
                log.exception("outbound.crashed", extra={"problem_id": problem_id})

    def schedule_outbound_sweep(self) -> None:
        return None  # reconcile (or the serve sweep) sends what is due

    def ping(self) -> bool:
        return True


class RedisQueue:
    def __init__(self, redis_url: str, update_interval: int = 300) -> None:
        from redis import Redis
        from rq import Queue

        self.redis = Redis.from_url(redis_url, socket_connect_timeout=5, socket_timeout=30)
        self.queue = Queue(QUEUE_NAME, connection=self.redis)
        self._last_drain_request = float("-inf")
        self.settings_interval = max(0, update_interval)

    def enqueue_drain(self) -> None:
        """Ask for a drain, at most once a second per process: a drain that is queued or
        running takes every delivery stored before it finishes, and the worker's sweep
        catches the rest within SWEEP_SECONDS."""
        now = time.monotonic()
        if now - self._last_drain_request < DRAIN_REQUEST_INTERVAL:
            return
        self._last_drain_request = now
        if self.redis.set(DRAIN_FLAG, b"1", nx=True, ex=DRAIN_FLAG_TTL):
            self.queue.enqueue(
                "workers.jobs.drain_inbox",
                job_timeout=600,
                result_ttl=RESULT_TTL,
                failure_ttl=FAILURE_TTL,
                retry=_retry(),
            )

    def drain_started(self) -> None:
        self.redis.delete(DRAIN_FLAG)

    def schedule_drain(self, wait: timedelta) -> None:
        self.queue.enqueue_in(
            wait + timedelta(seconds=1),
            "workers.jobs.drain_inbox",
            job_timeout=600,
            result_ttl=RESULT_TTL,
            failure_ttl=FAILURE_TTL,
        )

    def enqueue_sync(self, problem_ids: list[int], urgent: bool = False) -> None:
        """One pending sync per problem, a moment later so a burst folds into it, and no
        sooner than the update interval after the last one (urgent: a person is waiting)."""
        interval = self.settings_interval
        now = time.time()
        for problem_id in problem_ids:
            wait = SYNC_DELAY.total_seconds()
            last = None if urgent else self.redis.get(SYNC_LAST.format(problem_id))
            if last is not None:
                wait = max(wait, float(last) + interval - now)
            flag = SYNC_FLAG.format(problem_id) + (":urgent" if urgent else "")
            if self.redis.set(flag, b"1", nx=True, ex=int(wait) + DRAIN_FLAG_TTL):
                self.schedule_sync(problem_id, wait)

    def sync_started(self, problem_id: int) -> None:
        self.redis.delete(SYNC_FLAG.format(problem_id), SYNC_FLAG.format(problem_id) + ":urgent")
        self.redis.set(
            SYNC_LAST.format(problem_id), str(time.time()), ex=self.settings_interval + 60
        )

    def schedule_sync(self, problem_id: int, wait: float) -> None:
        self.queue.enqueue_in(
            timedelta(seconds=wait),
            "workers.jobs.sync_jira",
            problem_id,
            job_timeout=300,
            result_ttl=RESULT_TTL,
            failure_ttl=FAILURE_TTL,
        )

    def enqueue_reconcile(self) -> None:
        """One reconcile at a time across every worker replica."""
        if self.redis.set(RECONCILE_FLAG, b"1", nx=True, ex=RECONCILE_LOCK_SECONDS):
            self.queue.enqueue(
                "workers.jobs.reconcile",
                job_timeout=900,
                result_ttl=RESULT_TTL,
                failure_ttl=FAILURE_TTL,
            )

    def enqueue_outbound(self, problem_ids: list[int]) -> None:
        for problem_id in problem_ids:
            self.queue.enqueue(
                "workers.jobs.deliver_outbound",
                problem_id,
                job_timeout=600,
                result_ttl=RESULT_TTL,
                failure_ttl=FAILURE_TTL,
            )

    def schedule_outbound_sweep(self) -> None:
        if self.redis.set(OUTBOUND_FLAG, b"1", nx=True, ex=60):
            self.queue.enqueue_in(
                timedelta(seconds=60),
                "workers.jobs.deliver_outbound",
                job_timeout=600,
                result_ttl=RESULT_TTL,
                failure_ttl=FAILURE_TTL,
            )

    def ping(self) -> bool:
        return bool(self.redis.ping())


def _retry():  # type: ignore[no-untyped-def]
    from rq import Retry

    return Retry(max=5, interval=[5, 15, 60, 300, 900])


def make_queue(runtime: Runtime) -> JobQueue:
    if runtime.settings.redis_url:
        return RedisQueue(runtime.settings.redis_url, runtime.settings.jira.update_interval_seconds)
    return EmbeddedQueue(runtime)
