"""gunicorn settings for voice-router.

    gunicorn -c deploy/gunicorn.conf.py 'voice_router.web:create_app()'

- Metrics from every worker add up: PROMETHEUS_MULTIPROC_DIR is set here, before any worker
  imports prometheus_client (a fresh private directory when the environment does not name
  one). At start-up the files of processes that are gone are removed (their counts reset,
  which Prometheus' rate() handles); files of live processes sharing the directory, such as
  an rq worker on this host, are kept. A worker that exits is marked dead.
- Logs: gunicorn's own lines and the app's go to stderr as JSON (voice_router.logs); the
  access log stays off, the app logs one `http.request` event per request with its id.
- Command-line flags (`-b`, `-w`) and GUNICORN_CMD_ARGS override what is set here.
"""

from __future__ import annotations

import glob
import os
import re
import tempfile

bind = [f"0.0.0.0:{os.environ.get('PORT', '8000')}"]
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
timeout = 60  # a webhook with the embedded queue processes inline; rq keeps requests short
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
    "handlers": {"json": {"class": "voice_router.logs.StderrHandler", "formatter": "json"}},
    "formatters": {"json": {"()": "voice_router.logs.JsonFormatter"}},
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


def on_starting(server) -> None:  # type: ignore[no-untyped-def]
    """Drop the metric files of processes that no longer run (a previous gunicorn)."""
    for path in glob.glob(os.path.join(os.environ[_MULTIPROC], "*.db")):
        found = re.search(r"_(\d+)\.db$", path)
        if found and not _alive(int(found.group(1))):
            os.remove(path)


def child_exit(server, worker) -> None:  # type: ignore[no-untyped-def]
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


control_socket_disable = True  # no writable $HOME on read-only filesystems (Kubernetes)
