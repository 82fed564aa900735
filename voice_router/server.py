"""`voice-router serve`: granian's WSGI server for the web processes, and (without
`redis_url`) the job runner in a process of its own, which serve starts, restarts and stops.

granian (a Rust HTTP server) takes webhooks for about half the CPU gunicorn spends on each
(docs/benchmarks.md, Serve); the scaled set-up keeps gunicorn (deploy/gunicorn.conf.py) and
gets the same guarantees by other means:

- Web processes: `workers` (one per core plus one unless told: cli/service.py), forked by
  granian's main process, which restarts one that dies.
- Threads: 64 per web process (`BLOCKING_THREADS`), so slow senders trickling a body
  leave threads to answer /healthz and the next webhook; a sender that stalls for `timeout`
  seconds is cut with a 408 (voice_router/web/stalled.py: granian alone waits for ever).
- The job runner (workers/serve_runner.py) runs in one process beside them, never in a web
  process; `_Runner` restarts it when it dies (it takes the lease over) and stops it after
  the web processes on SIGTERM or SIGINT.
- Metrics add up over the processes (voice_router/platform/processes.py): files of processes
  gone before start-up are removed, a process that exits is marked dead.
- Logs: granian's lines and the app's go to stderr as JSON (voice_router.platform.logs).
- One random secret key for every web process when none is configured.
"""

from __future__ import annotations

import errno
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from typing import Any

from voice_router.platform import processes

log = logging.getLogger(__name__)

BLOCKING_THREADS = 64
BODY_TIMEOUT = 60.0  # seconds a request may wait on its sender's next bytes
STOP_SECONDS = 20  # for the web processes to finish their requests, then SIGKILL
RESPAWN_SECONDS = 1.0
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "root": {"level": "INFO", "handlers": ["json"]},
    "loggers": {
        "_granian": {
            "level": "INFO",
            "handlers": ["json"],
            "propagate": False,
            "filters": ["threads_intended"],
        }
    },
    "filters": {"threads_intended": {"()": "voice_router.server.ThreadsIntended"}},
    "handlers": {
        "json": {"class": "voice_router.platform.logs.StderrHandler", "formatter": "json"}
    },
    "formatters": {"json": {"()": "voice_router.platform.logs.JsonFormatter"}},
}
_TIMEOUT_VARIABLE = "VOICE_ROUTER_SERVE_BODY_TIMEOUT"  # serve → its web processes


class ThreadsIntended(logging.Filter):
    """Drops granian's start-up warning that 64 threads per process "seem quite high" for
    the cores: they are there for slow senders, and wait on sockets, not on the CPU."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith("Configuration allows spawning up to")


def web_app() -> Any:
    """The app each web process serves (granian's factory target), built in the process
    granian has just forked. Until granian's worker takes its signals over (once this
    returns), SIGTERM ends it as it would any process: the handler inherited from serve's
    main process would only set a flag there, and a stop that came while a worker was still
    booting left that worker running after serve had gone."""
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    from voice_router.web import create_app
    from voice_router.web.stalled import Watchdog

    parent = os.getppid()
    threading.Thread(target=_stop_without, args=(parent,), name="serve", daemon=True).start()
    return Watchdog(create_app(), float(os.environ.get(_TIMEOUT_VARIABLE) or BODY_TIMEOUT))


def _stop_without(parent: int) -> None:
    """A web process whose serve is gone (killed with SIGKILL) stops as on SIGTERM, finishing
    its requests, as gunicorn's workers do when their master dies: granian's would go on
    serving the port, old code included, beside the next serve."""
    while os.getppid() == parent:
        time.sleep(1.0)
    log.warning("web.orphaned", extra={"reason": "serve is gone"})
    os.kill(os.getpid(), signal.SIGTERM)


def serve(
    host: str, port: int, workers: int, timeout: float = BODY_TIMEOUT, config: str | None = None
) -> None:
    """Run the web processes, and the job runner unless `redis_url` is set, until SIGTERM or
    SIGINT. `config` (`voice-router --config FILE serve`) is handed to them as
    VOICE_ROUTER_CONFIG: they read their settings themselves, and read the environment's
    file (or ./voice-router.toml) without it."""
    from granian.constants import Interfaces
    from granian.server import Server

    from voice_router.platform.settings import CONFIG_VARIABLE, load_settings
    from workers.runtime import RUNNER_PROCESS_FLAG

    if config:
        os.environ[CONFIG_VARIABLE] = os.path.abspath(config)
    _port_free(host, port)
    private_metrics = not os.environ.get(processes.MULTIPROC)  # made here, for this run only
    processes.metrics_directory()
    processes.remove_dead_metric_files()
    import prometheus_client.multiprocess  # noqa: F401  # now, not in a thread while forking

    settings = load_settings()
    if not settings.secret_key.strip():
        processes.share_one_secret_key()
    os.environ[_TIMEOUT_VARIABLE] = str(timeout)
    if settings.redis_url:
        os.environ.pop(RUNNER_PROCESS_FLAG, None)
    else:
        os.environ[RUNNER_PROCESS_FLAG] = "1"  # the web processes start no runner of their own
    # The web processes are forked from this one: with the app's modules loaded here first,
    # each starts with them (shared, copy-on-write) instead of importing them all again, at
    # every start and respawn. Nothing is made here: the app, its engine and its connections
    # are each process's own.
    from voice_router.web import load_modules

    load_modules()

    runner = _Runner(jobs=not settings.redis_url)
    server = Server(
        "voice_router.server:web_app",
        address=host,
        port=port,
        interface=Interfaces.WSGI,
        workers=workers,
        blocking_threads=BLOCKING_THREADS,
        websockets=False,
        factory=True,
        respawn_failed_workers=True,
        respawn_interval=RESPAWN_SECONDS,
        workers_kill_timeout=STOP_SECONDS,
        log_dictconfig=LOGGING,
    )
    try:
        runner.start()
        server.serve()
    finally:
        runner.stop()
        if private_metrics:  # else one directory more in /tmp per start
            shutil.rmtree(os.environ[processes.MULTIPROC], ignore_errors=True)


def _port_free(host: str, port: int) -> None:
    """Exit if something listens on host:port already. granian binds with SO_REUSEPORT, so a
    second `serve` on the port started without a word and the kernel gave it a share of the
    connections: webhooks acknowledged into whatever database its configuration named."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        # Takes a port whose old connections linger in TIME_WAIT, never one with a listener.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except socket.gaierror as exc:  # a host name that does not resolve
            raise SystemExit(f"voice-router serve: --host {host}: {exc.strerror}") from None
        except OSError as exc:
            if exc.errno != errno.EADDRINUSE:  # not ours to bind (EADDRNOTAVAIL, EACCES)
                raise SystemExit(
                    f"voice-router serve: cannot listen on {host}:{port} ({exc.strerror})"
                ) from None
            raise SystemExit(
                f"voice-router serve: {host}:{port} is in use ({exc.strerror}); "
                "is another voice-router serve running? Stop it, or give --port"
            ) from None


class _Runner:
    """The job runner's process (with `jobs`, i.e. no `redis_url`): started with the web
    processes, started again when it dies, stopped (SIGTERM, then SIGKILL after 30 s) when
    serve stops. Either way it marks dead the metric files of any of serve's processes that
    has gone (a web process granian restarted)."""

    def __init__(self, jobs: bool) -> None:
        self.jobs = jobs
        self.process: subprocess.Popen[bytes] | None = None
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._supervise, name="runner", daemon=True)
        self.marked: set[int] = set()

    def start(self) -> None:
        if self.jobs:
            self.process = self._spawn()
        self.thread.start()

    def _spawn(self) -> subprocess.Popen[bytes]:
        return subprocess.Popen([sys.executable, "-m", "workers.serve_runner"])

    def _supervise(self) -> None:
        while not self.stopping.wait(RESPAWN_SECONDS):
            self._mark_gone_processes()
            process = self.process
            if process is None or process.poll() is None:  # none wanted, or running
                continue
            log.warning("runner.exited", extra={"pid": process.pid, "code": process.returncode})
            if not self.stopping.is_set():
                self.process = self._spawn()

    def _mark_gone_processes(self) -> None:
        for pid in processes.metric_file_pids() - self.marked:
            if not processes.alive(pid):
                processes.mark_dead(pid)
                self.marked.add(pid)

    def stop(self) -> None:
        self.stopping.set()
        self.thread.join(5)
        process = self.process
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)
