"""gunicorn settings for voice-router's scaled set-up:

    gunicorn -c deploy/gunicorn.conf.py 'voice_router.web:create_app()'

(`voice-router serve` runs granian instead, with the same guarantees: voice_router/server.py.)
Without `redis_url` the job runner (workers/embedded.py) runs in a process of its own beside
the web processes: a gunicorn dirty worker (workers/runner_process.py), which gunicorn's
master starts and restarts as it does web workers.

- Threads (`gthread`), 64 per worker process: a request holds its thread for as long as its
  sender takes to send the body. With sync workers (one request per process), two clients
  trickling a body were enough to leave nobody to answer `/healthz` (the liveness probe
  would restart a healthy pod) or the next webhook. A thread waiting on a socket costs next to
  nothing, and 64 let one worker alone sit out 50 slow senders and still answer at once
  (tests/test_web_servers.py). They do not need 64 database connections: a thread takes
  one from the pool only while it stores or queries (a few ms, never while a body is still
  arriving), so the pool (voice_router/platform/db.py: 10 + 10 overflow per process) bounds the
  requests that use the database at once and the others queue for at most `pool_timeout`
  (10 s, then 503 with Retry-After). PostgreSQL sees at most 20 connections per worker
  process, 40 per web container by default.
- A sender that stalls is cut: each request's socket gets `timeout` (60 s) as its timeout,
  so a read of the body (or a write of the answer) that waits longer ends the request (a
  body: 408). A sync worker's heartbeat used to bound a stuck request this way; a threaded
  worker's main loop keeps beating whatever its threads wait on.
- More than that is for a proxy: a sender that keeps trickling still holds its thread. Put
  a reverse proxy that buffers whole request bodies in front of a public endpoint (nginx and
  ingress-nginx do by default); see docs/deploy.md.
- Metrics from every worker add up: PROMETHEUS_MULTIPROC_DIR is set here, before any worker
  imports prometheus_client (a fresh private directory when the environment does not name
  one). At start-up the files of processes that are gone are removed (their counts reset,
  which Prometheus' rate() handles); files of live processes sharing the directory, such as
  an rq worker on this host, are kept. A worker that exits is marked dead.
- Logs: gunicorn's own lines and the app's go to stderr in `log_format`
  (voice_router.platform.logs); the access log stays off, the app logs one `http.request` event per
  request with its id. Off means not built either (`logger_class`): with `logconfig_dict` set,
  gunicorn made every request's access line (every environ variable and header in a dict,
  36 µs a request here) for a logger with no handler.
- The job runner: `dirty_apps` / `dirty_workers` start it in one dirty worker, never in a web
  process, so a request never shares an interpreter lock with a batch being applied. With
  `redis_url` set (jobs run in `voice-router worker`) or when the app served is not
  voice-router's, `on_starting` starts no dirty worker.
- Command-line flags (`-b`, `-w`) and GUNICORN_CMD_ARGS override what is set here.
"""

from __future__ import annotations

import os
import secrets as _secrets
from typing import TYPE_CHECKING, Any

from gunicorn.glogging import Logger as _GunicornLogger

from voice_router.platform import processes as _processes

if TYPE_CHECKING:
    from gunicorn.arbiter import Arbiter
    from gunicorn.http.message import Request
    from gunicorn.workers.base import Worker

bind = [f"0.0.0.0:{os.environ.get('PORT', '8000')}"]
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
worker_class = "gthread"
threads = 64
timeout = 60  # also what a request may wait on its sender at a time (`pre_request`)
graceful_timeout = 20
if os.path.isdir("/dev/shm"):
    worker_tmp_dir = "/dev/shm"  # the heartbeat file off a possibly slow container disk

accesslog = None
logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "root": {"level": "INFO", "handlers": ["json"]},
    "loggers": {
        "gunicorn.error": {"level": "INFO", "handlers": ["json"], "propagate": False},
        "gunicorn.access": {"level": "INFO", "handlers": [], "propagate": False},
    },
    "handlers": {
        "json": {"class": "voice_router.platform.logs.StderrHandler", "formatter": "json"}
    },
    "formatters": {"json": {"()": "voice_router.platform.logs.JsonFormatter"}},
}


class AccessLogOff(_GunicornLogger):
    """gunicorn's logger without its access log (see the module's docstring)."""

    @property
    def access_log_enabled(self) -> bool:
        return False

    def access(self, resp: object, req: object, environ: object, request_time: object) -> None:
        return None


logger_class = AccessLogOff

_processes.metrics_directory()  # before any worker imports prometheus_client


def on_starting(server: Arbiter) -> None:
    """Drop the metric files of processes that no longer run (a previous gunicorn); decide
    whether this deployment's job runner runs here, and give the web processes one secret
    key when none is configured."""
    _processes.remove_dead_metric_files()
    _dirty_stops_first(server)
    _prepare_processes(server)


def _dirty_stops_first(server: Arbiter) -> None:
    """`dirty_graceful_timeout` under `graceful_timeout`, whatever the command line set:
    with `--graceful-timeout 10` (a pod's shorter grace period, say) the master killed the
    arbiter before the arbiter killed a job runner that did not stop, which then ran on,
    orphaned, holding the lease."""
    cfg = server.cfg
    if cfg.dirty_graceful_timeout >= cfg.graceful_timeout:
        cfg.set("dirty_graceful_timeout", max(1, int(cfg.graceful_timeout) - 5))


def _serves_voice_router(server: Arbiter) -> bool:
    app_uri = getattr(server.app, "app_uri", None)
    return app_uri is None or str(app_uri).startswith("voice_router.web")


def _prepare_processes(server: Arbiter) -> None:
    from voice_router.platform.db import make_engine
    from voice_router.platform.schema import require_current
    from voice_router.platform.settings import load_settings
    from voice_router.platform.startup import stops_with_one_line
    from workers.runtime import RUNNER_PROCESS_FLAG as ENVIRONMENT_FLAG

    if not _serves_voice_router(server):
        server.cfg.set("dirty_workers", 0)
        return
    # The lines `voice-router serve` says, not a traceback from every worker: settings, and
    # a database that cannot be used (SQLite migrated once, PostgreSQL at this release).
    with stops_with_one_line():
        settings = load_settings()
        engine = make_engine(settings.database_url)
        try:
            require_current(engine)
        finally:
            engine.dispose()  # before the fork: no connection is shared with a worker
    # Loaded before the fork, so each web process starts with the app's modules (shared,
    # copy-on-write) instead of importing them again; the app itself is each worker's own.
    from voice_router.web import load_modules

    load_modules()

    if not settings.secret_key.strip():
        _processes.share_one_secret_key()
    if settings.redis_url:
        server.cfg.set("dirty_workers", 0)
        os.environ.pop(ENVIRONMENT_FLAG, None)
        return
    os.environ[ENVIRONMENT_FLAG] = "1"  # the web processes start no runner of their own


def pre_request(worker: Worker, req: Request) -> None:
    """Bound every socket operation of this request (reading the body, writing the answer)
    by `timeout`; the worker resets the socket to blocking before the next request."""
    sock = getattr(getattr(req, "unreader", None), "sock", None)
    if sock is not None and hasattr(sock, "settimeout"):
        sock.settimeout(worker.cfg.timeout)


def child_exit(server: Arbiter, worker: Worker) -> None:
    _processes.mark_dead(worker.pid)


def dirty_worker_init(worker: Any) -> None:
    """A stop (SIGTERM, SIGINT or SIGQUIT) that reaches the job runner's process while its
    app loads (about a second: the imports, the runtime, the runner's threads) only clears
    the worker's `alive` in gunicorn 27: its event loop does not exist yet, so nothing
    stops it, and the process ran on after the master and its arbiter had gone: a job
    runner nobody stops, holding the lease (seen when a test stopped gunicorn right after
    it started). gunicorn calls this once the app has loaded: such a process stops here,
    as its loop would have, handing the lease over. A stop that comes later, before the loop
    listens, and the arbiter's death are seen through by the process itself
    (workers.runner_process.see_stops_through)."""
    if worker.alive:
        from workers.runner_process import see_stops_through

        see_stops_through(worker)
        return
    for app in worker.apps.values():
        app.close()
    raise SystemExit(0)


def dirty_worker_exit(arbiter: object, worker: Worker) -> None:
    """The job runner's process is gone: its gauges go with it (its counts stay summed)."""
    _processes.mark_dead(worker.pid)


dirty_apps = ["workers.runner_process:JobRunnerApp"]
# gunicorn keeps its dirty arbiter's pid in /tmp/gunicorn-dirty-<proc_name>.pid and, starting,
# stops the process that file names as an orphan of a crashed master. With the default name
# (the app's) every voice-router gunicorn on a host shares the file: starting a second one
# killed the first one's job runner (SIGTERM, SIGKILL a second later), and a file left by a
# killed arbiter named a pid the host may have given to anything since. A name of this
# master's own; its arbiter stops by itself within a second of the master's death anyway.
proc_name = f"voice-router-{_secrets.token_hex(6)}"
dirty_workers = 1
# The arbiter kills a dirty worker that has not stopped this long after it was told; under
# graceful_timeout, so that it does before the master kills the arbiter (gunicorn's default,
# 30 s, left the runner to run on, orphaned, holding the lease). Kept under it when the
# command line lowers graceful_timeout (`_dirty_stops_first`).
dirty_graceful_timeout = 15
control_socket_disable = True  # no writable $HOME on read-only filesystems (Kubernetes)
