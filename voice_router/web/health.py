"""Liveness, readiness and Prometheus metrics.

Readiness also compares the database schema's revision with this release's migrations:
a schema behind (`voice-router db upgrade` not run) is not ready.

Readiness and the scrape-time gauges use their own connections with short timeouts, so a
stopped or hung PostgreSQL or Redis turns into a quick 503 (or `voice_router_state_up 0`)
instead of a probe that hangs: PostgreSQL through a pool-less engine with `connect_timeout`
and `tcp_user_timeout`, Redis through a client with socket timeouts and no retries.
"""

from __future__ import annotations

import functools
import logging
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import sqlalchemy as sa
from flask import Blueprint, Response, current_app, jsonify
from flask.typing import ResponseReturnValue
from prometheus_client.core import GaugeMetricFamily
from sqlalchemy.pool import NullPool

from voice_router.intake import spool
from voice_router.platform import metrics
from voice_router.platform.schema import read_state
from voice_router.web.context import runtime

if TYPE_CHECKING:
    from prometheus_client.metrics_core import Metric
    from redis import Redis
    from sqlalchemy.engine import Engine

bp = Blueprint("health", __name__)
log = logging.getLogger(__name__)

PROBE_TIMEOUT = 2  # seconds, for connecting and for each answer


@dataclass
class Probes:
    engine: Engine
    redis: Redis | None


def _probe_engine(engine: Engine) -> Engine:
    if engine.dialect.name != "postgresql":
        return engine  # SQLite: a local file, nothing to wait for
    return sa.create_engine(
        engine.url,
        hide_parameters=True,  # as every engine (voice_router/platform/db.py)
        poolclass=NullPool,  # a fresh connection per probe: never a stale one to wait on
        connect_args={
            "connect_timeout": PROBE_TIMEOUT,
            "tcp_user_timeout": PROBE_TIMEOUT * 1000,
            "application_name": "voice-router-probe",
        },
    )


def _probe_redis(redis_url: str) -> Redis | None:
    if not redis_url:
        return None
    from redis import Redis
    from redis.backoff import NoBackoff
    from redis.retry import Retry

    return Redis.from_url(
        redis_url,
        socket_connect_timeout=PROBE_TIMEOUT,
        socket_timeout=PROBE_TIMEOUT,
        retry=Retry(NoBackoff(), 0),
    )


def probes() -> Probes:
    found = current_app.extensions.get("voice_router_probes")
    if found is None:
        rt = runtime()
        found = Probes(_probe_engine(rt.engine), _probe_redis(rt.settings.redis_url))
        current_app.extensions["voice_router_probes"] = found
    return found


@bp.get("/healthz")
def healthz() -> ResponseReturnValue:
    return jsonify({"status": "ok"})


@bp.get("/readyz")
def readyz() -> ResponseReturnValue:
    found = probes()
    checks: dict[str, str] = {}
    try:
        with found.engine.connect() as connection:
            connection.execute(sa.text("SELECT 1"))
            state = read_state(connection)
        checks["database"] = "ok"
        # A schema behind this release (`voice-router db upgrade` not run): every request
        # and job naming a newer column would fail, so no traffic is routed here.
        checks["schema"] = "ok" if state.usable else f"behind: {state.describe()}"
    except Exception as exc:
        checks["database"] = f"unreachable: {type(exc).__name__}"
    if found.redis is not None:
        try:
            checks["redis"] = "ok" if found.redis.ping() else "unreachable"
        except Exception as exc:
            checks["redis"] = f"unreachable: {type(exc).__name__}"
    failed = [name for name, value in checks.items() if value != "ok"]
    if failed:
        log.warning("health.not_ready", extra={"failed": failed})
    body: dict[str, object] = {"ready": not failed, "checks": checks, "failed": failed}
    directory = spool.of_engine(found.engine)
    waiting = spool.state(directory) if directory is not None else spool.State()
    if waiting.waiting or waiting.corrupt:  # told, never a reason to leave the rotation
        body["spool"] = asdict(waiting)
    return jsonify(body), 503 if failed else 200


@bp.get("/metrics")
def metrics_view() -> ResponseReturnValue:
    found = probes()
    checks: dict[str, metrics.StateCheck] = {}
    if found.redis is not None:
        from workers.metrics import queue_gauges

        checks["redis"] = functools.partial(queue_gauges, found.redis)
    directory = spool.of_engine(found.engine)
    if directory is not None:
        checks["spool"] = functools.partial(_spool_gauges, directory)
    state = metrics.StateCollector(found.engine, checks)
    text, content_type = metrics.generate(state)
    return Response(text, content_type=content_type)


def _spool_gauges(directory: Path) -> list[Metric]:
    """SQLite's spool: deliveries answered 202 that are not in the table yet, and files set
    aside because they could not be read back (docs/operating.md)."""
    found = spool.state(directory)
    files = GaugeMetricFamily(
        "voice_router_spool_files",
        "SQLite's spool: files waiting to be taken into the delivery table, and files set "
        "aside in corrupt/ for an operator (never taken in).",
        labels=["state"],
    )
    files.add_metric(["waiting"], found.waiting)
    files.add_metric(["corrupt"], found.corrupt)
    oldest = GaugeMetricFamily(
        "voice_router_spool_oldest_seconds",
        "Age of the oldest file waiting in SQLite's spool (0 when none waits).",
        value=found.oldest_seconds,
    )
    return [files, oldest]
