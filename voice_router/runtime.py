"""What a process holds once: settings, the database engine and the job queue."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy.engine import Engine

from voice_router.db import make_engine
from voice_router.settings import Settings, load_settings

if TYPE_CHECKING:
    from workers.queue import JobQueue


@dataclass
class Runtime:
    settings: Settings
    engine: Engine
    queue: JobQueue


def build_runtime(settings: Settings) -> Runtime:
    from workers.queue import make_queue

    runtime = Runtime(settings=settings, engine=make_engine(settings.database_url), queue=None)  # type: ignore[arg-type]
    runtime.queue = make_queue(runtime)
    return runtime


_process_runtime: Runtime | None = None


def process_runtime() -> Runtime:
    """The runtime of a worker process, built from the environment on first use."""
    global _process_runtime
    if _process_runtime is None:
        _process_runtime = build_runtime(load_settings())
    return _process_runtime


def mark_sync_due(runtime: Runtime, problem_ids: list[int]) -> None:
    """A person changed these problems: their Jira syncs are due now (not paced), recorded
    in the database first, then the job runner is told."""
    from voice_router import schedule
    from voice_router.db import session_scope

    with session_scope(runtime.engine) as session:
        schedule.sync_due(session, runtime.settings, problem_ids, urgent=True)
    runtime.queue.signal_sync(sorted(problem_ids), schedule.SYNC_DELAY.total_seconds())


def set_process_runtime(runtime: Runtime) -> None:
    global _process_runtime
    _process_runtime = runtime
