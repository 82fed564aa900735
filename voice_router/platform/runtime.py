"""What a process holds once: settings, the database engine and the job queue.

The core only signals the queue (`JobQueue`); the entry points (the web factory, the CLI,
the rq worker, `voice-router serve`) build the runtime and choose the queue for it, through
workers/runtime.py."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Protocol

from sqlalchemy.engine import Engine

from voice_router.platform.settings import Settings


class JobQueue(Protocol):
    """How the core tells the job runner that work is waiting (workers/queue.py)."""

    def signal_drain(self) -> None:
        """Deliveries were stored (or put back): process the inbox soon."""

    def signal_sync(self, problem_ids: list[int], wait: float = 0.0) -> None:
        """These problems' Jira syncs are due (see schedule.sync_due), about `wait` from now."""

    def signal_outbound(self, wait: float = 0.0) -> None:
        """Outbound messages are owed (or will be due in `wait` seconds)."""

    def signal_releases(self) -> None:
        """Released Jira versions are recorded, to be looked up in Jira (tracker/releases.py)."""

    def ping(self) -> bool: ...


@dataclass
class Runtime:
    settings: Settings
    engine: Engine
    queue: JobQueue


def mark_sync_due(runtime: Runtime, problem_ids: list[int], *, waited: bool = True) -> None:
    """A person changed these problems: their Jira syncs are due now (not paced), recorded
    in the database first, then the job runner is told. Not `waited` (a person's request),
    a queue that may block (rq on a Redis that hangs: the client's 30 s) is told through its
    `soon` (workers/queue.py); the signal is a nudge, the worker's sweep finds what is due."""
    from voice_router.platform import schedule
    from voice_router.platform.db import session_scope

    with session_scope(runtime.engine) as session:
        schedule.sync_due(session, runtime.settings, problem_ids, urgent=True)
    signal = partial(
        runtime.queue.signal_sync, sorted(problem_ids), schedule.SYNC_DELAY.total_seconds()
    )
    if waited:
        signal()
    else:
        tell_soon(runtime, signal)


def tell_soon(runtime: Runtime, signal: Callable[[], None]) -> None:
    """Send `signal` without a person's request waiting on it: through the queue's `soon`
    where telling may block (rq on a Redis that hangs: the client's 30 s, workers/queue.py),
    at once where it cannot (serve's runner sets an event)."""
    soon = getattr(runtime.queue, "soon", None)
    if soon is None:
        signal()
    else:
        soon(signal)
