"""Job functions: importable, argument-free or id-taking, idempotent. rq workers and
`voice-router serve`'s own runner run exactly these; what is due is read from the database,
so running one twice, or after a crash, does the right thing."""

from __future__ import annotations

import gc
import logging
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent import futures
from concurrent.futures import Future
from contextlib import contextmanager, nullcontext
from datetime import timedelta
from functools import partial

from sqlalchemy.engine import Engine

from voice_router.intake import processing
from voice_router.platform import metrics, schedule
from voice_router.platform.clock import utcnow
from voice_router.platform.runtime import Runtime
from voice_router.platform.settings import Settings
from workers import outage
from workers.runtime import process_runtime

log = logging.getLogger(__name__)

RECONCILE_LEASE = "reconcile"
# A pass holds its lease this far ahead, renewed while it runs: a worker killed mid-pass
# holds off the next pass at most this long.
RECONCILE_HOLD = timedelta(seconds=60)
# Meaning vectors made after a drain (problems/vectors.py): 10-30 ms each, about 11 texts a
# problem (28 ms on the slower of our 2-core machines, docs/benchmarks.md section 2).
VECTORS_PER_DRAIN = 10
DRAIN_COUNTS = ("claimed", "processed", "retrying", "failed", "changes")


# The cyclic garbage collector looks at the youngest objects once this many more of them
# live than at its last look (Python's default: 700). A processing batch holds tens of
# thousands until it commits, so at 700 a worker's drain of 50,000 deliveries set it off
# some 1,700 times, 0.7 s of its 12 s of CPU and more in the caches it emptied; at 50,000
# it runs a few times a drain (docs/benchmarks.md, section 2). Garbage without cycles is
# freed at once either way, by reference counts.
YOUNG_OBJECTS_COLLECTED_AT = 50_000


def freeze_loaded() -> None:
    """Put every object alive now (the modules jobs need, this one's imports, the settings,
    the engine) out of the cyclic garbage collector's reach, as a job process starts, and
    collect the young ones less often (`YOUNG_OBJECTS_COLLECTED_AT`). A processing batch
    makes enough objects to set off collections, and each full one walked those hundreds of
    thousands of long-lived objects again: 0.6-1.5 s of an in-process drain of 20,000
    deliveries went to the collector, 0.1 s with them frozen (docs/benchmarks.md, section
    2). Objects freed later are still freed by their reference counts; only cycles among
    what is frozen here would stay, and these live as long as the process anyway."""
    gc.freeze()
    gc.set_threshold(YOUNG_OBJECTS_COLLECTED_AT, *gc.get_threshold()[1:])


@metrics.counts_failures("drain_inbox")
@outage.waits_out("drain_inbox", lambda: dict.fromkeys(DRAIN_COUNTS, 0))
def drain_inbox(
    runtime: Runtime | None = None, batch_size: int | None = None, pause: float = 0.0
) -> dict[str, int]:
    """Process every due delivery in batches (each batch marks the Jira syncs it makes
    due), then nudge the Jira syncs and outbound messages it made due."""
    runtime = runtime or process_runtime()
    started = getattr(runtime.queue, "drain_started", None)
    if started is not None:
        started()
    # A backlog asks for one more drain at once, which an idle worker takes (and asks on in
    # turn while the backlog lasts): all of them join in without waiting for the next
    # webhook's request or the sweep.
    help_wanted = getattr(runtime.queue, "request_drain", None)
    beside: list[Future[tuple[int, int]]] = []

    def backlog() -> None:
        if help_wanted is not None:  # only rq's queue asks, so Redis is loaded
            from redis.exceptions import RedisError

            try:
                help_wanted()
            except RedisError:  # help is a nicety: the drain goes on alone (the sweep asks)
                log.warning("inbox.help_not_asked", exc_info=True)
        beside.append(_vectors_beside(runtime.engine))

    try:
        result = processing.drain(
            runtime.engine,
            runtime.settings,
            None,
            batch_size,
            pause,
            on_backlog=backlog,
            stop_asked=stop_asked_of(runtime),
        )
    finally:
        futures.wait(beside)  # a drain that failed still lets its thread finish first
    if result.touched and runtime.settings.jira.url:
        runtime.queue.signal_sync(sorted(result.touched), schedule.SYNC_DELAY.total_seconds())
    if result.shipped:
        runtime.queue.signal_outbound()
    if result.releases_owed:
        runtime.queue.signal_releases()
    # Its failure fails the drain, as one made after the batches would.
    made_beside = beside[0].result() if beside else None
    if result.touched:
        _after_drain(runtime, result.touched, made_beside)
    summary = {count: getattr(result, count) for count in DRAIN_COUNTS}
    if result.claimed:
        log.info("inbox.drained", extra=summary)
    return summary


def _vectors_beside(engine: Engine) -> Future[tuple[int, int]]:
    """A backlog drain's pass of meaning vectors, made in a thread while its batches run:
    (vectors made, the newest problem then). Made after the last batch, as a short drain's
    are, it added the encoder's load and its runs (0.5-1 s) to every backlog; beside them
    it runs mostly outside the GIL (onnxruntime and the tokenizer are native): off the
    critical path where the worker has a core to spare, and a backlog's new problems have
    their vectors (their merge suggestions) before it is worked off. On 2 cores shared
    with PostgreSQL it takes about as long from the batches as it saved (docs/benchmarks.md
    section 2). Its vectors are of the problems as the first batch left them: after the
    batches, only problems made since and still without one are encoded (within the
    drain's share), and the next drain or reconcile makes again those that grew
    (vectors.py, `_stale`)."""
    from voice_router.problems import vectors

    made: Future[tuple[int, int]] = Future()
    made.set_running_or_notify_cancel()

    def run() -> None:
        try:
            made.set_result(vectors.update_seeing(engine, VECTORS_PER_DRAIN))
        except BaseException as exc:  # handed to the drain, which raises it
            made.set_exception(exc)

    threading.Thread(target=run, name="meaning-vectors", daemon=True).start()
    return made


def _after_drain(
    runtime: Runtime, touched: set[int], made_beside: tuple[int, int] | None = None
) -> None:
    """The meaning vectors that went stale (or, when `made_beside` the batches, those still
    missing of problems newer than that pass saw), then auto-merge (when `auto_merge_above`
    is set) of their surest duplicates; the Jira issues of merged problems owe a sync."""
    from voice_router.closing import shipping
    from voice_router.platform.db import session_scope
    from voice_router.problems import auto_merge, vectors

    if made_beside is None:
        vectors.update(runtime.engine, VECTORS_PER_DRAIN)
    else:
        made, seen = made_beside
        vectors.update(runtime.engine, VECTORS_PER_DRAIN - made, newer_than=seen)
    merged = auto_merge.run(runtime.engine, runtime.settings, touched)
    owed = [shipping.owe_after_merge(runtime.engine, runtime.settings, i) for i in merged]
    if any(owed):
        runtime.queue.signal_outbound()
    if merged and runtime.settings.jira.url:
        with session_scope(runtime.engine) as session:
            schedule.sync_due(session, runtime.settings, merged)
        runtime.queue.signal_sync(sorted(merged), schedule.SYNC_DELAY.total_seconds())


@metrics.counts_failures("sync_jira")
@outage.waits_out("sync_jira", lambda: "database-unreachable")
def sync_jira(problem_id: int, runtime: Runtime | None = None) -> str:
    """Bring one problem's Jira issue up to date, if its sync is due; a transient failure
    makes it due again later (Retry-After, else backoff), and `jira.error` says so until
    a later try succeeds. A sync waiting on Jira (`retry_in`) is due again after that wait."""
    from integrations.jira.errors import JiraError, JiraRateLimited
    from voice_router.tracker import sync

    runtime = runtime or process_runtime()
    started = getattr(runtime.queue, "sync_started", None)
    if started is not None:
        started(problem_id)
    claimed = schedule.claim_sync(runtime.engine, problem_id)
    if claimed is None:
        return "not-due"
    try:
        outcome = sync.sync_problem(runtime.engine, runtime.settings, problem_id)
    except Exception as exc:
        retry_after = exc.retry_after if isinstance(exc, JiraRateLimited) else None
        wait = schedule.retry_sync(runtime.engine, problem_id, claimed, retry_after)
        if isinstance(exc, JiraError):
            sync.note_transient(runtime.engine, problem_id, exc)
            log.info("jira.sync.retry", extra={"problem_id": problem_id, "wait": wait})
        else:
            log.exception("jira.sync.crashed", extra={"problem_id": problem_id, "wait": wait})
        runtime.queue.signal_sync([problem_id], wait)
        return "retry-scheduled"
    if outcome.retry_in is not None:  # waiting on Jira (its search), not failing: no error
        wait = schedule.retry_sync(runtime.engine, problem_id, claimed, outcome.retry_in)
        runtime.queue.signal_sync([problem_id], wait)
        return outcome.action
    schedule.finish_sync(runtime.engine, problem_id, claimed)
    return outcome.action


@outage.waits_out("sync_jira", int)
def run_due_syncs(runtime: Runtime | None = None) -> int:
    """Every sync due now, one after the other, until the process stops. Returns how many
    ran (none while the database is unreachable: serve's runner logged each pass's look as
    a failure)."""
    runtime = runtime or process_runtime()
    if not runtime.settings.jira.url:
        return 0
    stop_asked, ran = stop_asked_of(runtime), 0
    for problem_id in schedule.due_syncs(runtime.engine):
        if stop_asked():
            break
        ran += sync_jira(problem_id, runtime) != "not-due"
    return ran


def stop_asked_of(runtime: Runtime) -> Callable[[], bool]:
    """Whether the process's stop has come (serve's runner, a worker: its queue's
    `stopping`): a job working through a list then takes no next item, which stays due,
    rather than start a call the stop would leave in flight (workers/stopping.py)."""
    stopping = getattr(runtime.queue, "stopping", None)
    return stopping.is_set if stopping is not None else lambda: False


@metrics.counts_failures("apply_releases")
@outage.waits_out("apply_releases", lambda: {"applied": 0, "retrying": 0})
def apply_releases(runtime: Runtime | None = None) -> dict[str, int]:
    """Released Jira versions that processing recorded: their issues searched in Jira and
    their states applied (voice_router/tracker/releases.py); a failed search is due again
    later, found by the runner's next pass or the worker's sweep."""
    from voice_router.tracker import releases

    runtime = runtime or process_runtime()
    started = getattr(runtime.queue, "releases_started", None)
    if started is not None:
        started()
    if not runtime.settings.jira.url:
        return {"applied": 0, "retrying": 0}
    result = releases.apply_due(runtime.engine, runtime.settings)
    if result.outcome.touched:
        runtime.queue.signal_sync(
            sorted(result.outcome.touched), schedule.SYNC_DELAY.total_seconds()
        )
    if result.shipped:
        runtime.queue.signal_outbound()
    return {"applied": result.applied, "retrying": result.retrying}


@metrics.counts_failures("deliver_outbound")
@outage.waits_out("deliver_outbound", dict[str, int])
def deliver_outbound(
    problem_id: int | None = None, runtime: Runtime | None = None
) -> dict[str, int]:
    """Send what shipped problems owe (write-back notes, agent digests), at most once each;
    with no id, everything that is due. Once the process stops, no further one."""
    from voice_router.closing import outbound, sending

    runtime = runtime or process_runtime()
    started = getattr(runtime.queue, "outbound_started", None)
    if started is not None:
        started()
    if problem_id is None:
        ids = sending.pending_outbound(runtime.engine)
    else:
        ids = outbound.outbound_ids_for(runtime.engine, problem_id)
    counts = outbound.deliver_due(runtime.engine, runtime.settings, ids, stop_asked_of(runtime))
    if counts.get("retry"):
        runtime.queue.signal_outbound(wait=60)
    return counts


@metrics.counts_failures("weekly_digest")
@outage.waits_out("weekly_digest", dict[str, int])
def weekly_digest(runtime: Runtime | None = None) -> dict[str, int]:
    """This week's digest for product (`[notify].weekly_top`), once per week and channel:
    what was sent is recorded in the database, so any number of runs sends it once."""
    from voice_router.closing import weekly

    runtime = runtime or process_runtime()
    return weekly.send_weekly(runtime.engine, runtime.settings)


@metrics.counts_failures("reconcile")
@outage.waits_out("reconcile", lambda: {"skipped": 1})
def reconcile(runtime: Runtime | None = None, force: bool = False) -> dict[str, int]:
    """The periodic pass: problem vectors left stale (an upgrade to another encoder), Jira
    state since the last cursor, then a nudge to the messages lane for what is owed. One
    pass at a time across every worker and runner of the deployment, the next one
    `reconcile_seconds` after the last one started (a lease in the database, held while the
    pass runs however long it takes), unless `force`d."""
    from voice_router.problems import vectors
    from voice_router.tracker import reconcile as reconcile_mod

    runtime = runtime or process_runtime()
    started = getattr(runtime.queue, "reconcile_started", None)
    if started is not None:
        started()
    holder, engine = uuid.uuid4().hex, runtime.engine
    if not force and not schedule.take_lease(engine, RECONCILE_LEASE, holder, RECONCILE_HOLD):
        return {"skipped": 1}
    with nullcontext() if force else reconcile_held(runtime.engine, runtime.settings, holder):
        vectors.update(engine)  # stale or missing ones, without waiting for a drain
        result = reconcile_mod.reconcile(engine, runtime.settings)
    # Whatever is owed (shipped now, or a retry come due) goes out on the messages lane:
    # sent here, on Jira's lane, a helpdesk that hangs held every Jira sync behind it.
    runtime.queue.signal_outbound()
    return {"issues": result.issues_seen, "transitions": len(result.transitions)}


@contextmanager
def reconcile_held(engine: Engine, settings: Settings, holder: str) -> Iterator[None]:
    """Run the block as the deployment's one reconcile pass, `holder` having taken the lease
    `reconcile`: renewed while the block runs, then let go until `reconcile_seconds` after
    it began, when the next periodic pass is due (a pass by hand counts as one)."""
    began = utcnow()
    try:
        with schedule.lease_kept(engine, RECONCILE_LEASE, holder, RECONCILE_HOLD):
            yield
    finally:
        every = timedelta(seconds=settings.reconcile_seconds)
        schedule.release_lease(engine, RECONCILE_LEASE, holder, at=began + every)


def take_reconcile_waiting(
    engine: Engine, holder: str, waiting: Callable[[], None], poll: float = 1.0
) -> None:
    """Take the lease `reconcile` for a pass asked for by hand: at once, even within the
    periodic interval, unless a pass is running in another process; then `waiting` is called
    and the lease is taken as soon as that pass ends (or lapses, RECONCILE_HOLD after its
    process died)."""
    take = partial(
        schedule.take_lease, engine, RECONCILE_LEASE, holder, RECONCILE_HOLD, let_go=True
    )
    if take():
        return
    waiting()
    while not take():
        time.sleep(poll)
