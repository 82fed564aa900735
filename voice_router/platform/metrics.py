"""Prometheus metrics, through the official client (`prometheus_client`).

Two kinds, kept apart on purpose:

- **Counters** of things that happen in a process (deliveries received, deliveries
  processed, jobs failed, Jira calls, notifications). Under gunicorn every worker counts its
  own; with `PROMETHEUS_MULTIPROC_DIR` set (deploy/gunicorn.conf.py sets it) each process
  writes them to a file there and `/metrics` adds the files up, so two workers that took 3
  and 4 deliveries report 7. rq workers on the same host that share the directory are added
  in too.
- **State gauges** (processing lag, pending and failed deliveries, queue depth) are not
  counted anywhere: `StateCollector` reads them from the database, and from Redis through
  the check workers/metrics.py gives it, when `/metrics` is scraped. It is registered only
  on the registry built for that scrape, never in the multiprocess files, so every worker
  reports the same truth and nothing is summed twice.

docs/operating.md lists every metric, its labels and what it means.
"""

from __future__ import annotations

import functools
import logging
import os
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any, ParamSpec, Protocol, TypeVar

import sqlalchemy as sa
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, Counter
from prometheus_client import generate_latest as _generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

from voice_router.platform.clock import to_utc, utcnow

if TYPE_CHECKING:
    from prometheus_client.metrics_core import Metric
    from sqlalchemy.engine import Engine

    from voice_router.platform.settings import Settings

log = logging.getLogger(__name__)
P = ParamSpec("P")
R = TypeVar("R")


def _multiprocess_dir_made() -> None:
    """prometheus_client writes each counter to a file in PROMETHEUS_MULTIPROC_DIR from its
    first use, and fails when the directory is not there: under plain gunicorn (which makes
    none: deploy/gunicorn.conf.py does) every web process stopped on its first webhook."""
    path = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if path:
        os.makedirs(path, exist_ok=True)


_multiprocess_dir_made()

DELIVERY_OUTCOMES = (
    "accepted",
    "duplicate",
    "spooled",
    "bad_signature",
    "bad_payload",
    "too_large",
    "unknown_source",
    "handshake",
    "error",
)
UNKNOWN_SOURCE = "unknown"  # one label value for every unconfigured name: no label explosion
PROCESS_OUTCOMES = ("processed", "retry", "failed")
JIRA_RESULTS = ("ok", "rate_limited", "unavailable", "unauthorized", "bad_request", "not_found")
CHANNELS = ("writeback", "slack", "email")
NOTIFY_OUTCOMES = ("sent", "retry", "failed", "nothing_to_send")
JOBS = ("drain_inbox", "sync_jira", "deliver_outbound", "reconcile", "weekly_digest")

DELIVERIES = Counter(
    "voice_router_deliveries",
    "Webhook deliveries received, by source and outcome.",
    ["source", "outcome"],
)
PROCESSED = Counter(
    "voice_router_deliveries_processed",
    "Stored deliveries the inbox worked on, by outcome (processed, retry, failed).",
    ["outcome"],
)
JOBS_FAILED = Counter(
    "voice_router_jobs_failed", "Jobs that ended with an exception, by job.", ["job"]
)
JOBS_DATABASE_UNREACHABLE = Counter(
    "voice_router_jobs_database_unreachable",
    "Jobs that found the database unreachable and left their work for a later run, by job.",
    ["job"],
)
JIRA_CALLS = Counter("voice_router_jira_calls", "Calls to the Jira API, by result.", ["result"])
NOTIFICATIONS = Counter(
    "voice_router_notifications",
    "Notification attempts (write-back notes, Slack and e-mail digests), by channel and outcome.",
    ["channel", "outcome"],
)

for _outcome in PROCESS_OUTCOMES:
    PROCESSED.labels(_outcome)
for _result in JIRA_RESULTS:
    JIRA_CALLS.labels(_result)
for _job in JOBS:
    JOBS_FAILED.labels(_job)
    JOBS_DATABASE_UNREACHABLE.labels(_job)
for _channel in CHANNELS:
    for _outcome in NOTIFY_OUTCOMES:
        NOTIFICATIONS.labels(_channel, _outcome)


# -- recording ----------------------------------------------------------------------------


def init_sources(settings: Settings) -> None:
    """Create every source's series at zero, so a rate over them exists before traffic."""
    for name in [*settings.sources, "jira", UNKNOWN_SOURCE]:
        for outcome in DELIVERY_OUTCOMES:
            DELIVERIES.labels(name, outcome)


def delivery(source: str, outcome: str) -> None:
    if outcome == "unknown_source":
        source = UNKNOWN_SOURCE
    _delivery_counter(source, outcome).inc()


@functools.lru_cache(maxsize=1024)
def _delivery_counter(source: str, outcome: str) -> Any:
    """The labelled child, looked up once: every webhook counts one (unknown names all
    share one label, so the cache stays small)."""
    return DELIVERIES.labels(source, outcome)


class BatchCounts(Protocol):
    """What a processing batch counted (voice_router.intake.processing.BatchResult)."""

    processed: int
    retrying: int
    failed: int


def batch(result: BatchCounts) -> None:
    """Count a committed processing batch."""
    for outcome, amount in (
        ("processed", result.processed),
        ("retry", result.retrying),
        ("failed", result.failed),
    ):
        if amount:
            PROCESSED.labels(outcome).inc(amount)


def jira_call(result: str) -> None:
    """The JiraClient observer: "ok" or the JiraError reason of one call."""
    JIRA_CALLS.labels(result).inc()


def notification(channel: str, outcome: str) -> None:
    NOTIFICATIONS.labels(channel, outcome).inc()


def database_unreachable(job: str) -> None:
    JOBS_DATABASE_UNREACHABLE.labels(job).inc()


def counts_failures(job: str) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Decorate a job function: an exception escaping it counts in voice_router_jobs_failed."""

    def decorate(fn: Callable[P, R]) -> Callable[P, R]:
        @functools.wraps(fn)
        def run(*args: P.args, **kwargs: P.kwargs) -> R:
            try:
                return fn(*args, **kwargs)
            except Exception:  # rq's JobTimeoutException included
                JOBS_FAILED.labels(job).inc()
                raise

        return run

    return decorate


# -- state read at scrape time ------------------------------------------------------------


StateCheck = Callable[[], list["Metric"]]  # gauges read from one state source at a scrape


class StateCollector(Collector):
    """Gauges computed from the database, and from whatever `checks` read (the job queue in
    Redis: workers/metrics.py), on each scrape (never stored per process).

    Give it connections with short timeouts (see voice_router.web.health): a scrape while
    PostgreSQL or Redis is down answers quickly with `voice_router_state_up{check} 0`.
    """

    def __init__(self, engine: Engine, checks: Mapping[str, StateCheck] | None = None) -> None:
        self.engine = engine
        self.checks = dict(checks or {})

    def describe(self) -> Iterable[Metric]:
        return []  # computed on collect; nothing to check at registration

    def collect(self) -> Iterator[Metric]:
        up = GaugeMetricFamily(
            "voice_router_state_up",
            "1 when the scrape could read this state source (database, redis), else 0.",
            labels=["check"],
        )
        try:
            families = self._database()
            up.add_metric(["database"], 1)
            yield from families
        except Exception as exc:
            up.add_metric(["database"], 0)
            log.warning("metrics.state_unavailable", extra={"check": "database", "error": _n(exc)})
        for check, read in self.checks.items():
            try:
                families = read()
                up.add_metric([check], 1)
                yield from families
            except Exception as exc:
                up.add_metric([check], 0)
                log.warning("metrics.state_unavailable", extra={"check": check, "error": _n(exc)})
        yield up

    def _database(self) -> list[Metric]:
        from voice_router.models import Delivery, Outbound, held, pending

        delivery_table: sa.Table = Delivery.__table__  # type: ignore[attr-defined]  # SQLModel leaves __table__ undeclared
        outbound_table: sa.Table = Outbound.__table__  # type: ignore[attr-defined]  # SQLModel leaves __table__ undeclared
        by_status = sa.select(
            delivery_table.c.status, sa.func.count(), sa.func.min(delivery_table.c.received_at)
        ).group_by(delivery_table.c.status)
        with self.engine.connect() as connection:
            # one statement per partial index (ix_delivery_pending, ix_delivery_held)
            rows = [
                *connection.execute(by_status.where(pending())).all(),
                *connection.execute(by_status.where(held())).all(),
            ]
            outbound = connection.execute(
                sa.select(sa.func.count())
                .select_from(outbound_table)
                .where(outbound_table.c.status == "pending")
            ).scalar_one()
        counts = {row[0]: row[1] for row in rows}
        oldest = next((row[2] for row in rows if row[0] == "pending"), None)
        lag = max(0.0, (utcnow() - to_utc(oldest)).total_seconds()) if oldest else 0.0
        deliveries = GaugeMetricFamily(
            "voice_router_deliveries_stored",
            "Stored deliveries by status: pending (to process or waiting for a retry), failed "
            "(gave up; see `voice-router deliveries failed`), invalid (kept for inspection).",
            labels=["status"],
        )
        for name in ("pending", "failed", "invalid"):
            deliveries.add_metric([name], counts.get(name, 0))
        return [
            GaugeMetricFamily(
                "voice_router_processing_lag_seconds",
                "Age of the oldest pending delivery (0 when none is pending).",
                value=lag,
            ),
            deliveries,
            GaugeMetricFamily(
                "voice_router_notifications_pending",
                "Notifications (write-back notes, digests) due or waiting for a retry.",
                value=outbound,
            ),
        ]


def _n(exc: BaseException) -> str:
    return type(exc).__name__


# -- exposition ---------------------------------------------------------------------------


class _ThisProcess(Collector):
    """Single-process mode: everything in the default registry (counters, process_*)."""

    def describe(self) -> Iterable[Metric]:
        return []

    def collect(self) -> Iterator[Metric]:
        yield from REGISTRY.collect()


def multiprocess_dir() -> str | None:
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR") or None


def generate(state: Collector | None = None) -> tuple[bytes, str]:
    """The text for one scrape: counters (added up over every process writing to
    PROMETHEUS_MULTIPROC_DIR, or this process's own) plus the state gauges."""
    registry = CollectorRegistry()
    path = multiprocess_dir()
    if path:
        MultiProcessCollector(registry, path=path)
    else:
        registry.register(_ThisProcess())
    if state is not None:
        registry.register(state)
    return _generate_latest(registry), CONTENT_TYPE_LATEST


def start_exporter(port: int, addr: str = "0.0.0.0") -> None:
    """Serve this process's counters on their own port (an rq worker on another host or in
    another container, where it cannot share the web's multiprocess directory)."""
    from prometheus_client import start_http_server

    registry = CollectorRegistry()
    if multiprocess_dir():
        MultiProcessCollector(registry)
        start_http_server(port, addr, registry=registry)
    else:
        start_http_server(port, addr)
