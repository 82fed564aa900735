"""gunicorn settings for voice-router, used by `voice-router serve` and by

    gunicorn -c deploy/gunicorn.conf.py 'voice_router.web:create_app()'

Either way, without `redis_url` the job runner (workers/embedded.py) runs in a process of
its own beside the web processes: a gunicorn dirty worker (workers/runner_process.py), which
gunicorn's master starts and restarts as it does web workers.

- Threads (`gthread`), 64 per worker process: a request holds its thread for as long as its
  sender takes to send the body. With sync workers (one request per process), two clients
  trickling a body were enough to leave nobody to answer `/healthz` (the liveness probe
  would restart a healthy pod) or the next webhook. A thread waiting on a socket costs next to
  nothing, and 64 let one worker alone sit out 50 slow senders and still answer at once
  (tests/test_gunicorn_config.py). They do not need 64 database connections: a thread takes
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
  request with its id.
- The job runner: `dirty_apps` / `dirty_workers` start it in one dirty worker, never in a web
  process, so a request never shares an interpreter lock with a batch being applied. With
  `redis_url` set (jobs run in `voice-router worker`) or when the app served is not
  voice-router's, `on_starting` starts no dirty worker.
- Command-line flags (`-b`, `-w`) and GUNICORN_CMD_ARGS override what is set here.
"""

from __future__ import annotations

import glob
import os
import re
import tempfile
from typing import TYPE_CHECKING

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

_MULTIPROC = "PROMETHEUS_MULTIPROC_DIR"
if not os.environ.get(_MULTIPROC):
    os.environ[_MULTIPROC] = tempfile.mkdtemp(prefix="voice-router-metrics-")
os.makedirs(os.environ[_MULTIPROC], exist_ok=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def on_starting(server: Arbiter) -> None:
    """Drop the metric files of processes that no longer run (a previous gunicorn); decide
    whether this deployment's job runner runs here, and give the web processes one secret
    key when none is configured."""
    for path in glob.glob(os.path.join(os.environ[_MULTIPROC], "*.db")):
        found = re.search(r"_(\d+)\.db$", path)
        if found and not _alive(int(found.group(1))):
            os.remove(path)
    _prepare_processes(server)


def _serves_voice_router(server: Arbiter) -> bool:
    app_uri = getattr(server.app, "app_uri", None)  # None: `voice-router serve`'s own app
    return app_uri is None or str(app_uri).startswith("voice_router.web")


def _prepare_processes(server: Arbiter) -> None:
    from voice_router.platform.settings import load_settings
    from workers.runtime import RUNNER_PROCESS_FLAG as ENVIRONMENT_FLAG

    if not _serves_voice_router(server):
        server.cfg.set("dirty_workers", 0)
        return
    settings = load_settings()
    if not settings.secret_key.strip():
        _share_one_secret_key()
    if settings.redis_url:
        server.cfg.set("dirty_workers", 0)
        os.environ.pop(ENVIRONMENT_FLAG, None)
        return
    os.environ[ENVIRONMENT_FLAG] = "1"  # the web processes start no runner of their own


def _share_one_secret_key() -> None:
    """No `secret_key` set: one random key for every web process of this server, made here
    before they fork. With a key each, a form served by one process failed its CSRF check
    when the browser posted it on a connection another process answered (a 400 for most
    forms once a browser holds several connections). Sign-ins still end when the server
    restarts, and several servers behind one address still need a configured key."""
    import logging
    import secrets

    os.environ["VOICE_ROUTER_SECRET_KEY"] = secrets.token_hex(32)
    logging.getLogger("voice_router.web.ui").warning(
        "ui.secret_key.generated",
        extra={"hint": "sign-ins end when this server restarts: set secret_key to keep them"},
    )


def pre_request(worker: Worker, req: Request) -> None:
    """Bound every socket operation of this request (reading the body, writing the answer)
    by `timeout`; the worker resets the socket to blocking before the next request."""
    sock = getattr(getattr(req, "unreader", None), "sock", None)
    if sock is not None and hasattr(sock, "settimeout"):
        sock.settimeout(worker.cfg.timeout)


def _mark_dead(pid: int | str) -> None:
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(pid)


def child_exit(server: Arbiter, worker: Worker) -> None:
    _mark_dead(worker.pid)


def dirty_worker_exit(arbiter: object, worker: Worker) -> None:
    """The job runner's process is gone: its gauges go with it (its counts stay summed)."""
    _mark_dead(worker.pid)


dirty_apps = ["workers.runner_process:JobRunnerApp"]
dirty_workers = 1
control_socket_disable = True  # no writable $HOME on read-only filesystems (Kubernetes)
