"""The job runner in a process of its own, beside gunicorn's web processes.

`gunicorn -c deploy/gunicorn.conf.py` with no `redis_url` starts it as a gunicorn *dirty app*
(voice_router/gunicorn_config.py): gunicorn's master starts a dirty arbiter, which starts one
dirty worker, which loads this app — and each restarts the one below it when it dies, as the
master does with web workers. (`voice-router serve` starts its own runner process:
workers/serve_runner.py.) The runner's threads then
never share an interpreter (and its lock) with a request: a 202 waits for nothing but its
own insert, whatever the runner is applying or waiting on (Jira, a helpdesk, SMTP).

The app takes no calls from the web processes: they store deliveries and leave them for the
runner, which looks at the database every `workers.embedded.POLL_SECONDS` (and sooner while
it finds work). `status` answers whoever asks through gunicorn's dirty client.

A stop is seen through however it comes (`see_stops_through`, called by the
`dirty_worker_init` hook in voice_router/gunicorn_config.py): gunicorn 27's dirty worker acts
on SIGTERM only once its event loop listens, and its arbiter may be killed before it kills
a worker that did not stop. Either way the job runner ran on, orphaned, holding the lease.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
import time
from typing import Any

from gunicorn.dirty.app import DirtyApp

from voice_router.platform import logs
from voice_router.platform.settings import load_settings
from workers.embedded import JobRunner, start_runner
from workers.jobs import freeze_loaded
from workers.runtime import build_runtime

log = logging.getLogger(__name__)

LOOK_SECONDS = 0.2  # how often the stop-watch looks whether the process was told to stop
PARENT_LOOKS = 5  # and every this many looks, whether its arbiter is still there
LOOP_GRACE_SECONDS = 3.0  # for gunicorn's loop to end the process once the apps are closed


class JobRunnerApp(DirtyApp):
    workers = 1

    def __init__(self) -> None:
        self.runner: JobRunner | None = None
        self._closing = threading.Lock()  # a second close waits for the first one's handover

    def init(self) -> None:
        settings = load_settings()
        logs.configure(settings)
        if settings.redis_url:  # the master normally starts no dirty worker then
            log.info("runner.not_needed", extra={"reason": "redis_url is set"})
            return
        runtime = build_runtime(settings)
        freeze_loaded()
        self.runner = start_runner(runtime)
        log.info("runner.started", extra={"pid": os.getpid()})

    def status(self) -> dict[str, object]:
        runner = self.runner
        return {
            "running": runner is not None,
            "leading": runner is not None and runner.leading.is_set(),
            "passes": dict(runner.passes) if runner is not None else {},
        }

    def close(self) -> None:
        with self._closing:
            if self.runner is not None:
                self.runner.stop()
                self.runner = None


def see_stops_through(worker: Any) -> None:
    """In gunicorn's dirty worker `worker`, once its apps have loaded: a stop (gunicorn's own
    signal handlers clear `worker.alive`) closes the apps, so the runner hands the lease
    over, whether or not gunicorn's event loop hears it (it does not before it listens), and
    so does the death of the dirty arbiter that started this process (killed, its worker is
    nobody's). The process then ends as gunicorn ends it, or `LOOP_GRACE_SECONDS` later by
    itself. A thread that looks, rather than a handler of our own: nothing to take a lock in
    a signal handler."""
    threading.Thread(
        target=_stop_when_told, args=(worker, os.getppid()), name="runner-stop", daemon=True
    ).start()


def _stop_when_told(worker: Any, parent: int) -> None:
    looks = 0
    while worker.alive:
        time.sleep(LOOK_SECONDS)
        looks += 1
        if looks % PARENT_LOOKS == 0 and os.getppid() != parent:
            log.warning("runner.orphaned", extra={"reason": "gunicorn's dirty arbiter is gone"})
            os.kill(os.getpid(), signal.SIGTERM)  # stopped as any stop is
    for path, app in worker.apps.items():
        try:
            app.close()
        except Exception:
            log.exception("runner.close_failed", extra={"app": path})
    time.sleep(LOOP_GRACE_SECONDS)
    log.warning("runner.exit_forced", extra={"reason": "gunicorn's loop missed the stop"})
    os._exit(0)
