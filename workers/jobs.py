"""Job functions: importable, argument-free or id-taking, idempotent."""

from __future__ import annotations

import logging

from voice_router import metrics, processing
from voice_router.runtime import Runtime, process_runtime

log = logging.getLogger(__name__)


@metrics.counts_failures("drain_inbox")
def drain_inbox(runtime: Runtime | None = None) -> dict[str, int]:
    """Process every due delivery in batches; schedule the next retry if one is waiting."""
    runtime = runtime or process_runtime()
    runtime.queue.drain_started()
    result = processing.drain(runtime.engine, runtime.settings)
    if result.touched and runtime.settings.jira.url:
        runtime.queue.enqueue_sync(sorted(result.touched))
    if result.shipped:
        runtime.queue.enqueue_outbound(sorted(result.shipped))
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


@metrics.counts_failures("sync_jira")
def sync_jira(problem_id: int, runtime: Runtime | None = None) -> str:
    """Bring one problem's Jira issue up to date; transient failures come back later."""
    from integrations.jira.errors import JiraError
    from voice_router import jira_sync

    runtime = runtime or process_runtime()
    runtime.queue.sync_started(problem_id)
    try:
        return jira_sync.sync_with_retries(runtime.engine, runtime.settings, problem_id).action
    except JiraError as exc:
        jira_sync.note_transient(runtime.engine, problem_id, exc)
        runtime.queue.schedule_sync(problem_id, jira_sync.retry_delay(exc))
        return "retry-scheduled"


@metrics.counts_failures("deliver_outbound")
def deliver_outbound(problem_id: int | None = None, runtime: Runtime | None = None) -> dict:
    """Send what shipped problems owe (write-back notes, agent digests), at most once each;
    with no id, everything that is due."""
    from voice_router import notify, outbound

    runtime = runtime or process_runtime()
    if problem_id is None:
        ids = notify.pending_outbound(runtime.engine)
    else:
        ids = outbound.outbound_ids_for(runtime.engine, problem_id)
    counts = outbound.deliver_due(runtime.engine, runtime.settings, ids)
    if counts.get("retry"):
        runtime.queue.schedule_outbound_sweep()
    return counts


@metrics.counts_failures("reconcile")
def reconcile(runtime: Runtime | None = None) -> dict:
    """The periodic pass: Jira state since the last cursor, then what is owed."""
    from voice_router import reconcile as reconcile_mod

    runtime = runtime or process_runtime()
    result = reconcile_mod.reconcile(runtime.engine, runtime.settings)
    if result.shipped:
        runtime.queue.enqueue_outbound(sorted(result.shipped))
    return {"issues": result.issues_seen, "transitions": result.transitions}
