"""`voice-router worker`: an rq worker for each of our queues, and a sweep that reads what is
due from the database every few seconds and enqueues it, so a lost enqueue (a crashed worker,
a Redis restart, a retry that came due) costs seconds, never work.

As `voice-router serve`'s runner has three threads, a worker has three rq workers: the
inbox's (the process's main thread: drains), Jira's (a thread: syncs, releases, reconcile)
and the messages' (a thread: write-back notes, digests, the weekly digest). A Jira that does
not answer holds up only its own; a helpdesk, Slack or SMTP server that does not, only the
messages; deliveries keep being processed either way. `--burst` (tests, benchmarks) takes
every queue in one thread, the inbox's first, until none has a job.
"""

from __future__ import annotations

import itertools
import logging
import signal
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, suppress
from datetime import UTC, datetime
from functools import partial
from types import FrameType
from typing import Any

from redis.exceptions import RedisError
from rq import Queue, SimpleWorker
from rq.exceptions import DequeueTimeout
from rq.job import Job
from rq.timeouts import TimerDeathPenalty
from rq.worker import WorkerStatus

from voice_router.platform import schedule
from voice_router.platform.runtime import Runtime
from voice_router.tracker import releases
from workers import outage
from workers.jobs import RECONCILE_LEASE, freeze_loaded
from workers.queue import RedisQueue
from workers.runtime import set_process_runtime
from workers.stopping import STOP_WAIT_SECONDS, Lanes

log = logging.getLogger(__name__)

SWEEP_SECONDS = 5.0
BURST_WAIT_LIMIT = 15.0  # --burst also runs jobs scheduled to start within this many seconds
# rq restarts its scheduler (which moves jobs whose time came onto their queue) only in its
# maintenance, by default every 10 minutes; the scheduler dies when Redis goes away, and a
# Jira sync folded into a scheduled job waited for it after Redis came back.
MAINTENANCE_SECONDS = 10
# While Redis is away the worker tries it again this often (rq's backoff grows to 60 s: a
# worker left idle through a Redis restart slept on for up to a minute after it was back).
REDIS_RETRY_SECONDS = 5.0
OTHERS_WAIT_SECONDS = 5  # a lane's thread waits this long for a job, then looks again


class InboxWorker(SimpleWorker):
    """rq's worker for the inbox queue, whose scheduler serves every queue (rq's own would
    move only the inbox's jobs: a delayed Jira sync would then wait for the sweep)."""

    scheduled: list[Queue] = []
    max_connection_wait_time = REDIS_RETRY_SECONDS
    stopping = False  # SIGTERM or SIGINT: rq's loop ends for good
    told: threading.Event | None = None  # set then too: the lanes and jobs stop taking work

    def request_stop(self, signum: int, frame: FrameType | None) -> None:
        self.stopping = True
        if self.told is not None:
            self.told.set()
        super().request_stop(signum, frame)  # type: ignore[no-untyped-call]  # rq leaves it untyped

    def unsubscribe(self) -> None:
        """rq's, with its pub/sub thread told to stop before the unsubscribe's answer wakes
        it. redis-py's `stop()` waits for the thread; woken while still told to run, it waited
        for a subscription again, rq's 60 s, and the worker's stop with it (now and then)."""
        thread: Any = self.pubsub_thread  # rq types it as None
        if thread is not None:
            try:
                thread.stop(timeout=0)  # redis-py 8: stop, without waiting here
            except TypeError:  # before: stop() took no timeout, and never waited
                thread.stop()
        super().unsubscribe()  # type: ignore[no-untyped-call]  # rq leaves it untyped

    def _start_scheduler(self, *args: Any, **kwargs: Any) -> None:
        own, self.queues = self.queues, self.scheduled or self.queues
        try:
            super()._start_scheduler(*args, **kwargs)
        finally:
            self.queues = own


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
        if schedule.lease_free(runtime.engine, RECONCILE_LEASE):  # a pass is due
            queue.signal_reconcile()


def sweep_seconds(runtime: Runtime) -> float:
    """How often the sweep looks: every SWEEP_SECONDS, or every `reconcile_seconds` when
    that is shorter and Jira is on, so that a pass comes that often."""
    if not runtime.settings.jira.url:
        return SWEEP_SECONDS
    return min(SWEEP_SECONDS, float(runtime.settings.reconcile_seconds))


def _sweep(runtime: Runtime, queue: RedisQueue, stop: threading.Event) -> None:
    while not stop.wait(sweep_seconds(runtime)):
        try:
            sweep_once(runtime, queue)
        except Exception as exc:  # Redis or the database away for a moment: the next tries
            if outage.unreachable(exc):
                outage.went_away("sweep", exc)  # said once per outage, by whoever meets it
            else:
                log.warning("worker.sweep_failed", exc_info=True)
    log.info("worker.stopping")  # here, not in the signal handler that set `stop`


def run_worker(runtime: Runtime, burst: bool = False) -> None:
    if not isinstance(runtime.queue, RedisQueue):
        raise SystemExit("voice-router worker needs redis_url (VOICE_ROUTER_REDIS_URL)")
    set_process_runtime(runtime)
    queue = runtime.queue
    queue.request_drain(own=True)
    sweep_once(runtime, queue)  # its drain request folds into that one
    stop, lanes, others = queue.stopping, Lanes(), []
    running: dict[str, Job] = {}  # each lane's job in hand
    stop.clear()  # a run of its own (tests run --burst again on one runtime)
    name = uuid.uuid4().hex  # rq's names: the inbox's worker, its lanes' "<name>-jira" …
    if not burst:
        threading.Thread(target=_sweep, args=(runtime, queue, stop), daemon=True).start()
        others = [
            threading.Thread(
                target=_work_others,
                args=(
                    queue,
                    lane,
                    f"{name}-{kind}",
                    stop,
                    partial(_in_flight, lanes, running, kind),
                ),
                daemon=True,
            )
            for kind, lane in (("jira", queue.queue), ("messages", queue.messages))
        ]
        for thread in others:
            thread.start()
    freeze_loaded()
    try:
        if not burst:
            _work_inbox(queue, name, stop)
            return
        worker = InboxWorker([queue.inbox], connection=queue.redis)
        while True:
            _work_off(worker, queue)
            wait = _next_scheduled_in(queue)
            if wait is None or wait > BURST_WAIT_LIMIT:
                return
            time.sleep(max(0.0, wait) + 0.1)
            _enqueue_due(queue)
    finally:
        stop.set()
        deadline = time.monotonic() + STOP_WAIT_SECONDS  # one wait in all (workers/stopping.py)
        left = lanes.wait("worker")  # a job still in flight is due again, and found
        _let_go([job for kind in left if (job := running.get(kind)) is not None])
        for thread in others:  # an idle lane tells rq it stopped once its wait for a job ends
            thread.join(max(0.0, deadline - time.monotonic()))


@contextmanager
def _in_flight(lanes: Lanes, running: dict[str, Job], kind: str, job: Job) -> Iterator[None]:
    """`job` is lane `kind`'s job in hand while it runs (the stop's wait counts it)."""
    with lanes.job(kind):
        running[kind] = job
        try:
            yield
        finally:
            running.pop(kind, None)


def _let_go(jobs: list[Job]) -> None:
    """The rq jobs a stop left in flight, deleted: their work is due in the database, and
    the sweep enqueues it again. Left `started`, rq's cleanup in another worker later found
    each one abandoned and put it in the failed list: a failed job after every stop that
    left a lane busy (`voice_router_queue_jobs{state="failed"}`)."""
    for job in jobs:
        try:
            job.delete()  # and out of every registry
        except RedisError:
            log.warning("worker.job_left_started", extra={"job": job.id})


def _work_inbox(queue: RedisQueue, name: str, stop: threading.Event) -> None:
    """rq's loop for the inbox, in the main thread, until SIGTERM or SIGINT. rq leaves its loop
    for good on a Redis error met anywhere but while it waits for a job (recording the end of
    the drain in hand, a heartbeat): a Redis restart during a drain stopped the whole worker,
    its sweep and lanes with it, and deliveries waited for someone to start it again. The
    loop starts again, as a new rq worker with a new scheduler, once Redis answers."""
    for attempt in itertools.count():
        worker = InboxWorker(
            [queue.inbox], connection=queue.redis, name=f"{name}-{attempt}" if attempt else name
        )
        worker.maintenance_interval = MAINTENANCE_SECONDS
        worker.scheduled = queue.queues
        worker.told = stop
        torn_down = False
        try:
            worker.work(with_scheduler=True, logging_level="WARNING")
            torn_down = True
        except RedisError:  # its teardown could not tell Redis it stopped
            pass
        if worker.stopping:
            return
        log.warning("worker.inbox_restarting", extra={"worker": worker.name})
        if not _redis_answers(queue, stop):
            return
        if not torn_down:  # rq's record of it, its command channel
            with suppress(RedisError):
                worker.teardown()  # type: ignore[no-untyped-call]  # rq leaves it untyped


def _redis_answers(queue: RedisQueue, stop: threading.Event) -> bool:
    """Wait until Redis answers (True) or SIGTERM or SIGINT comes (False)."""
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    pause = 1.0  # at first: rq may have quit its loop on something else than Redis
    while not stop.wait(pause):
        with suppress(RedisError):
            if queue.redis.ping():
                return True
        pause = REDIS_RETRY_SECONDS
    return False


def _work_others(
    queue: RedisQueue,
    lane: Queue,
    name: str,
    stop: threading.Event,
    in_flight: Callable[[Job], AbstractContextManager[None]],
) -> None:
    """The jobs of `lane`, one at a time, until `stop`, each `in_flight` while it runs. An rq
    worker of its own (rq lists it, its jobs are registered and retried as any), driven here:
    `Worker.work` installs signal handlers, which only the main thread may. Job timeouts by
    a timer, not SIGALRM."""
    worker = SimpleWorker([lane], connection=queue.redis, name=name)
    worker.death_penalty_class = TimerDeathPenalty
    born = False
    while not stop.is_set():
        try:
            if not born:
                worker.register_birth()  # type: ignore[no-untyped-call]  # rq leaves it untyped
                worker.set_state(WorkerStatus.IDLE)
                born = True
            found = Queue.dequeue_any([lane], OTHERS_WAIT_SECONDS, connection=queue.redis)
            if found is not None:
                job, from_queue = found
                with in_flight(job):
                    worker.execute_job(job, from_queue)
        except DequeueTimeout:
            with suppress(RedisError):
                worker.heartbeat()
        except Exception:  # Redis away, or rq's bookkeeping failed: the lane goes on, and
            # the sweep enqueues again what is due
            log.warning("worker.lane_failed", extra={"lane": lane.name}, exc_info=True)
            stop.wait(OTHERS_WAIT_SECONDS)
    if born:
        try:
            worker.register_death()  # type: ignore[no-untyped-call]  # rq leaves it untyped
        except RedisError:
            log.warning("worker.lane_death_unregistered", extra={"lane": lane.name})


def _work_off(worker: Any, queue: RedisQueue) -> None:
    """Perform every queued job (--burst), the inbox's first. Not `Worker.work(burst=True)`:
    its teardown can wait up to a minute on a pub/sub thread, every time it is called."""
    while (found := Queue.dequeue_any(queue.queues, None, connection=queue.redis)) is not None:
        job, from_queue = found
        worker.execute_job(job, from_queue)


def _enqueue_due(queue: RedisQueue) -> None:
    """Move scheduled jobs that are due onto their queue (burst mode runs no scheduler)."""
    from rq.job import Job
    from rq.registry import ScheduledJobRegistry

    now = int(datetime.now(UTC).timestamp())
    for target in queue.queues:
        registry = ScheduledJobRegistry(queue=target)
        for job_id in registry.get_jobs_to_schedule(now):
            if registry.remove(job_id):  # else another worker in --burst moved it
                target.enqueue_job(Job.fetch(job_id, connection=queue.redis))


def _next_scheduled_in(queue: RedisQueue) -> float | None:
    """Seconds until the earliest scheduled job (a coalesced Jira sync, a retry) is due."""
    from rq.registry import ScheduledJobRegistry

    times = []
    for target in queue.queues:
        registry = ScheduledJobRegistry(queue=target)
        times += [registry.get_scheduled_time(job_id) for job_id in registry.get_job_ids()]
    if not times:
        return None
    return (min(times) - datetime.now(UTC)).total_seconds()
