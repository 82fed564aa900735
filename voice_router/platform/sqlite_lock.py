"""One writer at a time on a SQLite file, each handed the lock the moment it is free.

SQLite lets one transaction write at a time. A writer that finds the lock taken sleeps in
SQLite's busy handler in growing steps (1, 2, 5, 10 … 100 ms) and looks again, so a webhook
that arrived while a processing batch held the lock for 20 ms waited up to 33 ms, one that
met a 40 ms batch 53 ms. Writers of this service (the webhook group commit and every
`session_scope`) first queue here instead: a thread lock inside the process, an flock on
`<database>.write-lock` between processes, polled every half millisecond; SQLite's own lock
is then free when they begin. Anything that does not queue here (a command-line tool, a
read-then-write transaction) still meets SQLite's busy handler, as before.

A writer that cannot get the lock within the busy timeout goes ahead without it, and
SQLite's own locking decides, as it always did: the lock only shortens waits, it is never
needed for correctness (nor is a lock left by a dead process: the kernel drops flocks).
"""

from __future__ import annotations

import fcntl
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

POLL_SECONDS = 0.0005
WAIT_SECONDS = 30.0  # the busy_timeout of voice_router.platform.db


class WriteLock:
    def __init__(self, path: str) -> None:
        self._thread_lock = threading.Lock()
        self._fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)

    def acquire(self, timeout: float = WAIT_SECONDS) -> bool:
        """True once this thread holds the lock; False after `timeout` without it."""
        deadline = time.monotonic() + timeout
        if not self._thread_lock.acquire(timeout=timeout):
            return False
        while True:
            try:
                fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return True
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    self._thread_lock.release()
                    return False
                time.sleep(POLL_SECONDS)
            except BaseException:
                self._thread_lock.release()
                raise

    def release(self) -> None:
        try:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
        finally:
            self._thread_lock.release()


# One per file and process; a forked child opens its own (an flock belongs to the open
# file, which a child would otherwise share with its parent).
_locks: dict[str, WriteLock] = {}
_locks_lock = threading.Lock()
os.register_at_fork(after_in_child=_locks.clear)


def write_lock(database: str) -> WriteLock | None:
    """The lock of a SQLite database file; None for an in-memory database."""
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    lock = _locks.get(database)
    if lock is None:
        with _locks_lock:
            lock = _locks.get(database)
            if lock is None:
                lock = _locks[database] = WriteLock(f"{database}.write-lock")
    return lock


@contextmanager
def writing(database: str, timeout: float = WAIT_SECONDS) -> Iterator[bool]:
    """Hold the database's write lock for the block if it comes within `timeout`; the block
    is told whether it holds it (an in-memory database has none: True). Most writers go
    ahead either way, after WAIT_SECONDS; the webhook intake, which waits at most
    store.SPOOL_AFTER_SECONDS, spools its deliveries when it was not held."""
    lock = write_lock(database)
    if lock is None:
        yield True
        return
    if not lock.acquire(max(0.0, timeout)):
        yield False
        return
    try:
        yield True
    finally:
        lock.release()
