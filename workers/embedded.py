"""The job runner of a deployment without Redis (`voice-router serve`, or gunicorn with no
`redis_url`): the job functions rq workers run (workers/jobs.py), with the same retries,
backoff, Retry-After handling, Jira pacing and periodic reconcile, in threads of one process.

Every web process starts one; a lease in the database lets one of them work at a time, and
passes to another within LEASE_TTL when its process dies. Three threads, so a Jira that does
not answer never holds up the inbox or the messages, nor a helpdesk that does not answer
Jira's work (the rq set-up has the same three lanes, workers/runner.py):

- inbox: drains due deliveries;
- outside: due Jira syncs, released versions, reconcile every `reconcile_seconds`;
- messages: due outbound messages (write-back notes, digests), the weekly digest for
  product once a week.

Each wakes on a signal from this process (workers.queue.EmbeddedQueue) and otherwise looks at
the database every POLL_SECONDS, so work signalled in another process, retries that come
due and anything left by a crash are found without one.
"""

from __future__ import annotations

import atexit
import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable
from datetime import timedelta

from integrations.jira.errors import JiraRateLimited, JiraUnavailable
from voice_router.platform import schedule
from voice_router.platform.runtime import Runtime
from voice_router.tracker import releases
from workers import jobs, outage
from workers.queue import EmbeddedQueue
from workers.stopping import STOP_WAIT_SECONDS, Lanes

log = logging.getLogger(__name__)

# On SQLite one transaction writes at a time, and webhooks are stored by this service's other
# threads: the inbox is worked in batches of at most SQLITE_BATCH with a pause between them,
# and after a pass that found work the next one waits, so deliveries arriving one by one are
# processed many at a time, not each in a transaction of its own: INBOX_PACE when the pass
# was busy (bigger batches cost less per delivery), a quarter of it when it was light (a
# short transaction keeps webhooks waiting for the writer's lock least).
SQLITE_BATCH = 200
SQLITE_PAUSE = 0.02
INBOX_PACE = 1.0
BUSY_PASS = 50
LEASE_NAME = "job-runner"
LEASE_TTL = timedelta(seconds=10)
LEASE_RENEW_SECONDS = 2.0
POLL_SECONDS = 1.0


class JobRunner:
    def __init__(self, runtime: Runtime, poll: float = POLL_SECONDS) -> None:
        if not isinstance(runtime.queue, EmbeddedQueue):
            raise ValueError("the embedded job runner is for deployments without redis_url")
        self.runtime = runtime
        self.queue: EmbeddedQueue = runtime.queue
        self.poll = poll
        self.holder = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.leading = threading.Event()
        self.stopping = self.queue.stopping  # the jobs it runs look at it too
        self._threads: list[threading.Thread] = []
        self.passes = {"inbox": 0, "outside": 0, "messages": 0}  # idle passes, for `settle`
        self.lanes = Lanes()
        self._stopped = threading.Lock()

    def start(self) -> JobRunner:
        self.stopping.clear()
        for name, loop in (
            ("lease", self._keep_lease),  # first: stop waits for it
            ("inbox", self._inbox),
            ("outside", self._outside),
            ("messages", self._messages),
        ):
            thread = threading.Thread(target=loop, name=f"voice-router-{name}", daemon=True)
            thread.start()
            self._threads.append(thread)
        return self

    def stop(self, timeout: float = STOP_WAIT_SECONDS) -> None:
        """Stop the threads and hand the lease over at once. The jobs in flight get `timeout`
        seconds in all, then are left (workers/stopping.py: they are found again, and said
        in one line). With the database unreachable the lease cannot be handed over: that is
        said once, and it runs out within LEASE_TTL (a stop that came before the lease's next
        renewal found out otherwise, with a traceback at exit). A second stop (at exit)
        returns at once."""
        if not self._stopped.acquire(blocking=False):
            return
        deadline = time.monotonic() + timeout
        self.stopping.set()  # its lanes, and the jobs they run, take no more work
        log.info("runner.stopping", extra={"holder": self.holder})
        self._wake_all()
        for lease in self._threads[:1]:  # its renewal in hand ends before the release
            lease.join(timeout)
        self.lanes.wait("runner", max(0.0, deadline - time.monotonic()))
        if not self.leading.is_set():
            return
        self.leading.clear()
        try:
            schedule.release_lease(self.runtime.engine, LEASE_NAME, self.holder)
        except Exception as exc:
            if not outage.unreachable(exc):
                raise
            log.warning(
                "runner.lease_left",
                extra={
                    "holder": self.holder,
                    "reason": "database unreachable",
                    "expires_within_seconds": LEASE_TTL.total_seconds(),
                },
            )

    def _keep_lease(self) -> None:
        while not self.stopping.is_set():
            try:
                self._renew()
            except Exception as exc:  # the database is away: stop working until it is back
                if outage.unreachable(exc):  # said once per outage, not every 2 s
                    outage.noted_away("job-runner", exc)
                else:
                    log.warning("runner.lease_failed", exc_info=True)
                self.leading.clear()
            else:
                outage.answered()
            self.stopping.wait(LEASE_RENEW_SECONDS)

    def _renew(self) -> None:
        held = schedule.take_lease(self.runtime.engine, LEASE_NAME, self.holder, LEASE_TTL)
        if held and not self.leading.is_set():
            self._take_over()
            log.info("runner.leading", extra={"holder": self.holder})
            self.leading.set()
            self._wake_all()
        elif not held and self.leading.is_set():
            log.info("runner.standing_by", extra={"holder": self.holder})
            self.leading.clear()

    def _take_over(self) -> None:
        """This runner alone syncs and sends now: whatever a previous one was in the middle
        of when it died is its to finish — a sync claimed is tried again at once, a message
        whose request went out is given up (it may have arrived; nobody hears twice), one
        still being prepared is due again (closing/sending.py)."""
        from voice_router.closing import sending

        released = schedule.release_sync_claims(self.runtime.engine)
        given_up = sending.give_up_interrupted(self.runtime.engine, timedelta(0))
        if released or given_up:
            log.warning(
                "runner.took_over", extra={"syncs_resumed": released, "messages_given_up": given_up}
            )

    def _inbox(self) -> None:
        self._loop("inbox", self.queue.inbox, self._inbox_pass)

    def _inbox_pass(self) -> bool:
        settings = self.runtime.settings
        if self.runtime.engine.dialect.name == "sqlite":
            batch = min(settings.process_batch_size, SQLITE_BATCH)
            summary = jobs.drain_inbox(self.runtime, batch, SQLITE_PAUSE)
        else:
            summary = jobs.drain_inbox(self.runtime)
        if summary["claimed"]:
            busy = summary["claimed"] >= BUSY_PASS
            self.stopping.wait(INBOX_PACE if busy else INBOX_PACE / 4)
        return bool(summary["claimed"])

    def _outside(self) -> None:
        self._loop("outside", self.queue.outside, self._outside_pass, lane="jira")

    def _outside_pass(self) -> bool:
        """Jira's work. Its own thread: a Jira that does not answer (each call waits
        `outbound_timeout_seconds`) holds up neither the inbox nor the messages."""
        worked = jobs.run_due_syncs(self.runtime) > 0
        if self.runtime.settings.jira.url:
            worked = jobs.apply_releases(self.runtime)["applied"] > 0 or worked
            worked = "skipped" not in jobs.reconcile(self.runtime) or worked
        return worked

    def _messages(self) -> None:
        self._loop("messages", self.queue.messages, self._messages_pass)

    def _messages_pass(self) -> bool:
        """Write-back notes, digests, the weekly digest. Their own thread: a helpdesk, Slack
        or SMTP server that does not answer holds up no Jira sync (a shipped problem's
        twenty notes to a hanging helpdesk held one for 3 min 48 s, in a fault audit)."""
        worked = any(jobs.deliver_outbound(None, self.runtime).values())
        return "sent" in jobs.weekly_digest(self.runtime) or worked

    def _wake_all(self) -> None:
        for wake in (self.queue.inbox, self.queue.outside, self.queue.messages):
            wake.set()

    def _loop(
        self, name: str, wake: threading.Event, one_pass: Callable[[], bool], lane: str = ""
    ) -> None:
        """While leading: run passes while they find work; between idle passes, wait for a
        signal or the poll interval. A failing pass is logged and tried again after the
        interval. While not leading: look again every poll interval, whatever is signalled."""
        while not self.stopping.is_set():
            if not self.leading.is_set():
                self.stopping.wait(self.poll)
                continue
            wake.clear()
            worked = False
            try:
                with self.lanes.job(lane or name):
                    worked = one_pass()
            except (JiraUnavailable, JiraRateLimited) as exc:  # Jira away: the next pass
                log.warning("runner.pass_failed", extra={"loop": name, "error": str(exc)})
            except Exception:
                log.exception("runner.pass_failed", extra={"loop": name})
            if not worked:
                self.passes[name] += 1
                wake.wait(self.poll)

    def settle(self, timeout: float = 60.0) -> bool:
        """Wait until both loops made an idle pass after this call and nothing is due within
        the sync fold delay (the demo and tests use it). False on timeout."""
        deadline = time.monotonic() + timeout
        seen = dict(self.passes)
        while time.monotonic() < deadline:
            idle = all(self.passes[name] > seen[name] for name in seen)
            engine = self.runtime.engine
            if (
                idle
                and not schedule.anything_due(engine, schedule.SYNC_DELAY * 2)
                and not releases.any_due(engine)
            ):
                return True
            self._wake_all()
            time.sleep(0.05)
        return False


def start_runner(runtime: Runtime) -> JobRunner:
    """Start a runner for this process; at exit it hands the lease over at once."""
    runner = JobRunner(runtime).start()
    atexit.register(runner.stop, 2.0)
    return runner
