"""The job queue's state gauges, read from rq's registries in Redis when `/metrics` is
scraped (voice_router.platform.metrics.StateCollector runs this as its `redis` check)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from prometheus_client.core import GaugeMetricFamily
from rq import Queue
from rq.registry import FailedJobRegistry, ScheduledJobRegistry, StartedJobRegistry

from workers.queue import QUEUE_NAMES

if TYPE_CHECKING:
    from prometheus_client.metrics_core import Metric
    from redis import Redis


def queue_gauges(redis: Redis) -> list[Metric]:
    queues = [Queue(name, connection=redis) for name in QUEUE_NAMES]
    depth = GaugeMetricFamily(
        "voice_router_queue_jobs",
        "rq jobs of voice-router's queues (the inbox's, Jira's, the messages') by state: queued "
        "(waiting for a worker), scheduled (a retry or a coalesced sync, due later), started, "
        "failed (kept 7 days).",
        labels=["state"],
    )
    depth.add_metric(["queued"], sum(queue.count for queue in queues))
    for state, registry_class in (
        ("scheduled", ScheduledJobRegistry),
        ("started", StartedJobRegistry),
        ("failed", FailedJobRegistry),
    ):
        count = sum(registry_class(queue=queue).get_job_count(cleanup=False) for queue in queues)
        depth.add_metric([state], count)
    return [depth]
