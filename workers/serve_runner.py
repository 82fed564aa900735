"""The job runner as `voice-router serve` runs it: a process of its own beside granian's web
processes, started, restarted and stopped by serve (voice_router/server.py), never inside a
web process, so a request never shares an interpreter (and its lock) with a batch being
applied or a call to Jira that hangs.

    python -m workers.serve_runner

It runs until SIGTERM (serve stopping), or until the process that started it is gone (serve
killed): then it stops the runner as on SIGTERM, releasing the lease. SIGINT is ignored: a
Ctrl-C in serve's terminal reaches every process of the group, and serve stops this one
itself after its web processes.
"""

from __future__ import annotations

import logging
import os
import signal
import threading

from voice_router.platform import logs
from voice_router.platform.settings import load_settings
from workers.embedded import start_runner
from workers.jobs import freeze_loaded
from workers.runtime import build_runtime

log = logging.getLogger("workers.serve_runner")


def main() -> None:
    parent = os.getppid()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    settings = load_settings()
    logs.configure(settings)
    runtime = build_runtime(settings)
    freeze_loaded()
    runner = start_runner(runtime)
    log.info("runner.started", extra={"pid": os.getpid()})
    while not stop.wait(1.0):
        if os.getppid() != parent:
            log.warning("runner.orphaned", extra={"reason": "serve is gone"})
            break
    runner.stop()
    log.info("runner.stopped", extra={"pid": os.getpid()})


if __name__ == "__main__":
    main()
