"""Job functions: importable, argument-free or id-taking, idempotent."""

from __future__ import annotations

import logging

from voice_router import processing
from voice_router.runtime import Runtime, process_runtime

log = logging.getLogger(__name__)


def drain_inbox(runtime: Runtime | None = None) -> dict[str, int]:
    """Process every due delivery in batches; schedule the next retry if one is waiting."""
    runtime = runtime or process_runtime()
    runtime.queue.drain_started()
    result = processing.drain(runtime.engine, runtime.settings)
    wait = processing.next_retry_in(runtime.engine)
    if wait is not None:
        runtime.queue.schedule_drain(wait)
    summary = {
        "claimed": result.claimed,
        "processed": result.processed,
        "retrying": result.retrying,
        "failed": result.failed,
        "changes": result.changes,
    }
    if result.claimed:
        log.info("inbox.drained", extra=summary)
    return summary
