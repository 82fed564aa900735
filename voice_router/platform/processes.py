"""What a server of several voice-router processes sets up before it starts them, whichever
server it is (gunicorn with voice_router/gunicorn_config.py, or `voice-router serve` with
granian: voice_router/server.py). Nothing here imports prometheus_client or Flask,
so a server can load it before it sets the environment its processes start with.

- Metrics from every process add up: PROMETHEUS_MULTIPROC_DIR names a directory they share
  (a fresh private one when the environment names none), set before any process imports
  prometheus_client. At start-up the files of processes that are gone are removed (their
  counts reset, which Prometheus' rate() handles); files of live processes sharing the
  directory, such as an rq worker on this host, are kept. A process that exits is marked
  dead (its live gauges go, its counts stay summed).
- No `secret_key` set: one random key for every web process, made before they start.
"""

from __future__ import annotations

import glob
import logging
import os
import re
import secrets
import tempfile

MULTIPROC = "PROMETHEUS_MULTIPROC_DIR"


def metrics_directory() -> str:
    """PROMETHEUS_MULTIPROC_DIR, set to a fresh private directory when unset; created."""
    if not os.environ.get(MULTIPROC):
        os.environ[MULTIPROC] = tempfile.mkdtemp(prefix="voice-router-metrics-")
    os.makedirs(os.environ[MULTIPROC], exist_ok=True)
    return os.environ[MULTIPROC]


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def metric_file_pids() -> set[int]:
    """The processes that have left metric files in the shared directory."""
    found = (re.search(r"_(\d+)\.db$", path) for path in glob.glob(f"{metrics_directory()}/*.db"))
    return {int(match.group(1)) for match in found if match}


def remove_dead_metric_files() -> None:
    """At start-up: drop the files of processes that no longer run (a previous server)."""
    directory = metrics_directory()
    for pid in metric_file_pids():
        if not alive(pid):
            for path in glob.glob(os.path.join(directory, f"*_{pid}.db")):
                os.remove(path)


def mark_dead(pid: int | str) -> None:
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(pid)


def share_one_secret_key() -> None:
    """No `secret_key` set: one random key for every web process of this server, made here
    before they start. With a key each, a form served by one process failed its CSRF check
    when the browser posted it on a connection another process answered (a 400 for most
    forms once a browser holds several connections). Sign-ins still end when the server
    restarts, and several servers behind one address still need a configured key."""
    os.environ["VOICE_ROUTER_SECRET_KEY"] = secrets.token_hex(32)
    logging.getLogger("voice_router.web.ui").warning(
        "ui.secret_key.generated",
        extra={"hint": "sign-ins end when this server restarts: set secret_key to keep them"},
    )
