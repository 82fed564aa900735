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
"""

from __future__ import annotations

import logging
import os

from gunicorn.dirty.app import DirtyApp

from voice_router.platform import logs
from voice_router.platform.settings import load_settings
from workers.embedded import JobRunner, start_runner
from workers.jobs import freeze_loaded
from workers.runtime import build_runtime

log = logging.getLogger(__name__)


class JobRunnerApp(DirtyApp):
    workers = 1

    def __init__(self) -> None:
        self.runner: JobRunner | None = None

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
        if self.runner is not None:
            self.runner.stop()
            self.runner = None
