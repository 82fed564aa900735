"""A job that finds the database unreachable (PostgreSQL restarting, a failover, a network
cut) leaves its work where it is and returns as if it had found none. Everything it would
have done is due in the database, and the worker's sweep (or the runner's next pass) asks
again within seconds: failing instead put a failure record with a traceback in rq's failed
list for every drain and message job of a long outage, and drains retried on rq's
schedule for a quarter of an hour after the database was back. One warning per outage in a
process, one line when the database answers again, and a count per job
(`voice_router_jobs_database_unreachable_total`).

Only "could not reach it" counts: a statement that failed (a deadlock, a timeout, a
constraint) fails the job as before, and so does anything on SQLite, whose file is local.
"""

from __future__ import annotations

import functools
import logging
import sqlite3
import threading
import time
from collections.abc import Callable
from typing import ParamSpec, TypeVar

import sqlalchemy as sa

from voice_router.platform import metrics
from voice_router.platform.masking import scrub_text

log = logging.getLogger(__name__)
P = ParamSpec("P")
R = TypeVar("R")

# SQLSTATE classes and codes that mean the server cannot be used now: connection exceptions
# (08), and the server shutting down, crashed or starting up (57P01-57P03).
_AWAY_STATES = ("08", "57P01", "57P02", "57P03")

_lock = threading.Lock()
_away_since: float | None = None  # monotonic time this process first found it away
# `.statements`: statements the server answered this thread, `.at` when it last did
_answered = threading.local()


@sa.event.listens_for(sa.engine.Engine, "after_cursor_execute")
def _statement_answered(*_: object) -> None:
    _answered.statements = _statements() + 1
    _answered.at = time.monotonic()


def _statements() -> int:
    count: int = getattr(_answered, "statements", 0)
    return count


def unreachable(exc: BaseException) -> bool:
    """Whether `exc` says the database could not be reached or went away mid-statement."""
    if isinstance(exc, sa.exc.DisconnectionError):  # our pool's ping found it gone
        return True
    if not isinstance(exc, sa.exc.DBAPIError) or isinstance(exc.orig, sqlite3.Error):
        return False
    if exc.connection_invalidated:
        return True
    if not isinstance(exc, (sa.exc.OperationalError, sa.exc.InterfaceError)):
        return False
    state = getattr(exc.orig, "sqlstate", None)  # None: the client's side (refused, reset)
    return state is None or str(state).startswith(_AWAY_STATES)


def went_away(job: str, exc: BaseException) -> None:
    """Count it; the first time in an outage, say so."""
    metrics.database_unreachable(job)
    noted_away(job, exc)


def noted_away(job: str, exc: BaseException) -> None:
    """The first time in an outage, say so (once per process, whoever found it away)."""
    global _away_since
    with _lock:
        first, _away_since = _away_since is None, _away_since or time.monotonic()
    if first:
        said = str(getattr(exc, "orig", None) or exc).strip().splitlines() or [""]
        log.warning(
            "database.unreachable",
            extra={"job": job, "error": scrub_text(said[0], limit=300)},
        )


def answered() -> None:
    """The database answered this thread: the first time after an outage, say it is back.
    An answer it had before the outage was found proves nothing: a job whose statements
    were answered just before PostgreSQL stopped, ending just after another thread found it
    away, said it was back at once, and the next thread to meet the outage said it again."""
    global _away_since
    at = getattr(_answered, "at", None)
    with _lock:
        if _away_since is not None and (at is None or at < _away_since):
            return
        since, _away_since = _away_since, None
    if since is not None:
        log.warning("database.back", extra={"away_seconds": round(time.monotonic() - since)})


def waits_out(job: str, idle: Callable[[], R]) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Decorate a job function: while the database is unreachable it returns `idle()`. A
    run says the database is back only when the server answered one of its statements: a
    run that needed none (the weekly digest while it is off) proves nothing, and said it was
    back every second of an outage under serve's runner, each time followed by a new
    `database.unreachable`."""

    def decorate(fn: Callable[P, R]) -> Callable[P, R]:
        @functools.wraps(fn)
        def run(*args: P.args, **kwargs: P.kwargs) -> R:
            before = _statements()
            try:
                result = fn(*args, **kwargs)
            except Exception as exc:
                if not unreachable(exc):
                    raise
                went_away(job, exc)
                return idle()
            if _statements() > before:
                answered()
            return result

        return run

    return decorate
