"""A stop's one wait for the jobs its lanes hold.

Both runtimes work in lanes (threads): the inbox, Jira's work, the messages (workers/runner.py,
workers/embedded.py). A lane waiting on a Jira, helpdesk, Slack or SMTP server that does not
answer holds its job for up to `outbound_timeout_seconds` a call. From the moment a stop
comes (the queue's `stopping`) a lane starts no new job, nor a job its next message or sync
(workers/jobs.py). The stop waits for every lane's job together, STOP_WAIT_SECONDS in all
(serve's runner joined its lanes one after the other, each up to 10 s: 13 s to stop while
Jira and a helpdesk hung), then leaves what is still in flight, saying in one line which
lanes held it. A drain starts no next batch either (processing.drain's `stop_asked`).
Nothing left is lost, all of it being in the database: deliveries stay due;
a Jira sync's claim is taken over by the next serve runner (tried again at once) or lapses
for a worker's sweep (`SYNC_LEASE`), and a create whose answer never came is confirmed by a
search before any second one; a message whose request went out may have been received, so
it is given up as possibly sent (`voice-router outbound failed`, `voice-router outbound
resend`), never sent twice, and one whose request had not gone out is sent again
(closing/sending.py).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

log = logging.getLogger(__name__)

STOP_WAIT_SECONDS = 5.0  # how long a stop waits for the jobs in flight, all lanes together
# What becomes of a job each lane leaves, for the line that names them.
LEFT = {
    "inbox": "its deliveries stay due",
    "jira": "a sync, release look-up or reconcile pass is due again (a create whose answer "
    "never came is confirmed before any second one)",
    "messages": "a message whose request went out is given up as possibly sent, never sent "
    "twice (voice-router outbound failed); one still being prepared is sent again",
}


class Lanes:
    """Which lanes hold a job now: a lane marks its job (`job`), a stop waits for them all
    at once (`wait`)."""

    def __init__(self) -> None:
        self._busy: list[str] = []
        self._changed = threading.Condition()

    @contextmanager
    def job(self, lane: str) -> Iterator[None]:
        with self._changed:
            self._busy.append(lane)
        try:
            yield
        finally:
            with self._changed:
                self._busy.remove(lane)
                self._changed.notify_all()

    def wait(self, who: str, seconds: float = STOP_WAIT_SECONDS) -> list[str]:
        """Wait up to `seconds` in all for every lane's job to end; the lanes still holding
        one, said in one line (`who`: the runner or worker stopping)."""
        started = time.monotonic()
        with self._changed:
            self._changed.wait_for(lambda: not self._busy, seconds)
            left = sorted(set(self._busy))
        if left:
            log.warning(
                "stop.jobs_left",
                extra={
                    "who": who,
                    "lanes": left,
                    "waited_seconds": round(time.monotonic() - started, 1),
                    "then": "; ".join(f"{lane}: {LEFT[lane]}" for lane in left),
                },
            )
        return left
