"""The job queue's state gauges, read from rq's registries in Redis when `/metrics` is
scraped (voice_router.platform.metrics.StateCollector runs this as its `redis` check)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from prometheus_client.core import GaugeMetricFamily
from rq import Queue
from rq.registry import FailedJobRegistry, ScheduledJobRegistry, StartedJobRegistry

from workers.queue import QUEUE_NAME

if TYPE_CHECKING:
    from prometheus_client.metrics_core import Metric
    from redis import Redis


def queue_gauges(redis: Redis, queue_name: str = QUEUE_NAME) -> list[Metric]:
    queue = Queue(queue_name, connection=redis)
    depth = GaugeMetricFamily(
        "voice_router_queue_jobs",
        "rq jobs of the voice-router queue by state: queued (waiting for a worker), "
        "scheduled (a retry or a coalesced sync, due later), started, failed (kept 7 days).",
        labels=["state"],
    )
    depth.add_metric(["queued"], queue.count)
    for state, registry_class in (
        ("scheduled", ScheduledJobRegistry),
        ("started", StartedJobRegistry),
        ("failed", FailedJobRegistry),
    ):
        registry = registry_class(queue=queue)
        depth.add_metric([state], registry.get_job_count(cleanup=False))
    return [depth]
