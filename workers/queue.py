"""How the web side tells the job runner that work is waiting: rq on Redis when `redis_url`
is set, else `voice-router serve`'s own runner (workers/embedded.py).

A signal is only a nudge. What is due lives in the database (voice_router/platform/schedule.py):
stored deliveries, problems whose Jira sync is due, outbound messages owed. A lost signal
costs a few seconds — the rq worker's sweep and the embedded runner both look at the
database every few seconds — never a delivery or a sync. Nothing here runs a job in the
caller's thread: a webhook's 202 never waits on processing, Jira, a helpdesk, Slack or SMTP.
"""

from __future__ import annotations

import atexit
import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from voice_router.platform.runtime import JobQueue

if TYPE_CHECKING:
    from rq import Queue, Retry

    from voice_router.platform.settings import Settings

log = logging.getLogger(__name__)

# Three queues, as the embedded runner has three threads: the inbox's drains; Jira's jobs
# (syncs, releases, reconcile); the messages (write-back notes, digests, the weekly digest).
# A Jira that does not answer holds up only its own; a helpdesk, Slack or SMTP server that
# does not answer, only the messages (workers/runner.py).
INBOX_QUEUE_NAME = "voice-router-inbox"
QUEUE_NAME = "voice-router"
MESSAGES_QUEUE_NAME = "voice-router-messages"
QUEUE_NAMES = (INBOX_QUEUE_NAME, QUEUE_NAME, MESSAGES_QUEUE_NAME)
DRAIN_FLAG = "voice-router:drain-scheduled"
DRAIN_FLAG_TTL = 120
DRAIN_REQUEST_INTERVAL = 1.0  # seconds between drain requests from one process
SIGNALS_AT_EXIT_SECONDS = 2.0  # a process that exits waits this long for its last signal
SYNC_FLAG = "voice-router:jira-sync:{}"
OUTBOUND_FLAG = "voice-router:outbound-sweep"
RELEASES_FLAG = "voice-router:releases"
RECONCILE_FLAG = "voice-router:reconcile"
WEEKLY_FLAG = "voice-router:weekly"  # at most one weekly-digest job a minute
WEEKLY_FLAG_SECONDS = 60
COALESCE_SECONDS = 10  # signals for sooner than this fold into one pending job
# A folded job's flag lives until the job starts (the job deletes it), or this long: while
# Jira hangs, jobs wait behind each other far longer than they run, and a flag gone before
# its job starts let every sweep add one more job per problem. Lost with its job only when
# Redis loses both (a flush), or a job is lost by hand: then the next signal after this.
FLAG_SECONDS = 600
# How long rq keeps a job's return value, and a failed job's record with its traceback text:
# Redis is out of `voice-router forget`'s reach, so both expire (rq's defaults: 500 s, a year).
RESULT_TTL = 60
FAILURE_TTL = 7 * 24 * 3600


class EmbeddedQueue:
    """Without Redis: a signal wakes this process's runner, if it holds the runner lease;
    a runner in another process finds the work on its next look at the database."""

    def __init__(self) -> None:
        self.inbox = threading.Event()  # deliveries to process
        self.outside = threading.Event()  # Jira syncs and releases
        self.messages = threading.Event()  # outbound messages
        # Set by the runner's stop: a job working through a list (messages, syncs) takes no
        # next one, which stays due (workers/jobs.py).
        self.stopping = threading.Event()

    def signal_drain(self) -> None:
        self.inbox.set()

    def signal_sync(self, problem_ids: list[int], wait: float = 0.0) -> None:
        self.outside.set()

    def signal_outbound(self, wait: float = 0.0) -> None:
        self.messages.set()

    def signal_releases(self) -> None:
        self.outside.set()

    def ping(self) -> bool:
        return True


class RedisQueue:
    """rq jobs, coalesced by short-lived Redis flags so a burst of signals is one job."""

    def __init__(self, redis_url: str) -> None:
        from redis import Redis
        from rq import Queue

        self.redis = Redis.from_url(redis_url, socket_connect_timeout=5, socket_timeout=30)
        self.inbox = Queue(INBOX_QUEUE_NAME, connection=self.redis)
        self.queue = Queue(QUEUE_NAME, connection=self.redis)
        self.messages = Queue(MESSAGES_QUEUE_NAME, connection=self.redis)
        # In the order a worker in --burst takes them.
        self.queues = [self.inbox, self.queue, self.messages]
        self.stopping = threading.Event()  # the worker's stop came: as EmbeddedQueue's
        self._last_drain_request = float("-inf")
        self._signals: deque[Callable[[], None]] = deque()  # for `soon`, oldest first
        self._sending = False
        self._signalled = threading.Condition()
        self._signaller: threading.Thread | None = None

    def _enqueue(
        self, function: str, *args: Any, wait: float = 0.0, on: Queue | None = None, **options: Any
    ) -> None:
        queue = on or self.queue
        if wait > 0:
            queue.enqueue_in(
                timedelta(seconds=wait),
                function,
                *args,
                result_ttl=RESULT_TTL,
                failure_ttl=FAILURE_TTL,
                **options,
            )
        else:
            queue.enqueue(
                function, *args, result_ttl=RESULT_TTL, failure_ttl=FAILURE_TTL, **options
            )

    def signal_drain(self) -> None:
        """At most one request a second per process: a drain that is queued or running takes
        every delivery stored before it finishes, and the worker's sweep the rest. Sent
        `soon`, so a webhook's 202 never waits on Redis."""
        now = time.monotonic()
        if now - self._last_drain_request < DRAIN_REQUEST_INTERVAL:
            return
        self._last_drain_request = now
        self.soon(self.request_drain)

    def soon(self, send: Callable[[], None]) -> None:
        """Have this process's signaller thread call `send`, in order: the caller never
        waits on Redis (one that hangs held every request that signalled for the client's
        30 s). The same signal waiting already (a drain) folds into it, so a long hang does
        not pile them up. A signal is only a nudge: one that fails is logged, and the
        worker's sweep finds what is due."""
        with self._signalled:
            if send not in self._signals:
                self._signals.append(send)
            self._signalled.notify_all()
            if self._signaller is None or not self._signaller.is_alive():  # or forked since
                self._signaller = threading.Thread(
                    target=self._send_signals, name="queue-signals", daemon=True
                )
                self._signaller.start()
                atexit.register(self.signals_sent, SIGNALS_AT_EXIT_SECONDS)

    def _send_signals(self) -> None:
        while True:
            with self._signalled:
                while not self._signals:
                    self._signalled.wait()
                send = self._signals.popleft()
                self._sending = True
            try:
                send()
            except Exception as exc:
                log.warning("queue.signal_failed", extra={"error": type(exc).__name__})
            with self._signalled:
                self._sending = False
                self._signalled.notify_all()

    def signals_sent(self, timeout: float) -> bool:
        """Wait until every signal sent `soon` is sent (a command that exits right after
        signalling); False after `timeout` seconds."""
        with self._signalled:
            return self._signalled.wait_for(
                lambda: not self._signals and not self._sending, timeout
            )

    def request_drain(self, own: bool = False) -> None:
        """A drain job unless one is queued already; with `own`, in any case: a worker that
        starts asks for a drain of its own, so that it helps with a backlog at once (two
        `--burst` workers started together could otherwise find one request for both, and
        one of them stop without draining)."""
        if self.redis.set(DRAIN_FLAG, b"1", nx=not own, ex=DRAIN_FLAG_TTL):
            self._enqueue(
                "workers.jobs.drain_inbox", on=self.inbox, job_timeout=600, retry=_retry()
            )

    def drain_started(self) -> None:
        self.redis.delete(DRAIN_FLAG)

    def signal_sync(self, problem_ids: list[int], wait: float = 0.0) -> None:
        """A job per problem, which checks the database for what is due; signals for the
        next few seconds fold into one pending job (a flag), a later one (a retry's time)
        is enqueued for then without blocking sooner ones. rq schedules to the second: a
        second later, so the job never runs just before it is due."""
        for problem_id in problem_ids:
            later = wait and wait + 1
            if wait > COALESCE_SECONDS or self.redis.set(
                SYNC_FLAG.format(problem_id), b"1", nx=True, ex=FLAG_SECONDS
            ):
                self._enqueue("workers.jobs.sync_jira", problem_id, wait=later, job_timeout=300)

    def sync_started(self, problem_id: int) -> None:
        self.redis.delete(SYNC_FLAG.format(problem_id))

    def signal_outbound(self, wait: float = 0.0) -> None:
        """Folded like signal_sync; a later one (a retry's time) sends whatever is due then."""
        if wait > COALESCE_SECONDS or self.redis.set(OUTBOUND_FLAG, b"1", nx=True, ex=FLAG_SECONDS):
            self._enqueue(
                "workers.jobs.deliver_outbound", wait=wait, on=self.messages, job_timeout=600
            )

    def outbound_started(self) -> None:
        self.redis.delete(OUTBOUND_FLAG)

    def signal_releases(self) -> None:
        if self.redis.set(RELEASES_FLAG, b"1", nx=True, ex=FLAG_SECONDS):
            self._enqueue("workers.jobs.apply_releases", job_timeout=600)

    def releases_started(self) -> None:
        self.redis.delete(RELEASES_FLAG)

    def signal_reconcile(self) -> None:
        """Folded like signal_sync. The sweep signals only when the database says a pass is
        due (its lease is free); the pass's lease, not this flag, keeps passes apart."""
        if self.redis.set(RECONCILE_FLAG, b"1", nx=True, ex=FLAG_SECONDS):
            self._enqueue("workers.jobs.reconcile", job_timeout=900)

    def reconcile_started(self) -> None:
        self.redis.delete(RECONCILE_FLAG)

    def signal_weekly(self) -> None:
        """The weekly digest job; it sends only what this week has not had (weekly.py)."""
        if self.redis.set(WEEKLY_FLAG, b"1", nx=True, ex=WEEKLY_FLAG_SECONDS):
            self._enqueue("workers.jobs.weekly_digest", on=self.messages, job_timeout=300)

    def ping(self) -> bool:
        return bool(self.redis.ping())


def _retry() -> Retry:
    from rq import Retry

    return Retry(max=5, interval=[5, 15, 60, 300, 900])


def make_queue(settings: Settings) -> JobQueue:
    """The queue `voice_router.platform.runtime.JobQueue` signals: rq with `redis_url`, else the
    embedded runner's."""
    if settings.redis_url:
        return RedisQueue(settings.redis_url)
    return EmbeddedQueue()
