"""PostgreSQL commands that wait for an answer no longer than they are given.

libpq's blocking calls wait for ever, and a server that takes the connection and then answers
nothing (a frozen host, a route black-holed by a failover, a stopped server process whose
kernel still acknowledges) held every webhook thread that wrote: gunicorn's 2 x 64 threads
hung for as long as the database did, and `/healthz`, which needs no database, went
unanswered with them. A statement_timeout does not help there: the server is not running.

So each wait has a deadline; past it, `TimedOut`, and the caller closes the connection (its
state is unknown: the command may still commit once the server wakes, which a sender's retry
then finds stored). Two ways:

- `Watchdog`: the intake's writes keep libpq's blocking call, which lets go of Python's lock
  once for the whole round trip (waiting on the socket from Python took it back three or
  four times a write, and under 64 threads each time cost a turn: intake 0.62x bare against
  0.71x in the same run); a thread of the watchdog's shuts the socket of a write past its
  deadline, and the call returns;
- `result_within`: the command is sent without waiting (psycopg keeps libpq in non-blocking
  mode) and its socket polled up to the deadline, for the rare ping.
"""

from __future__ import annotations

import os
import select
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from typing import Any

INTAKE_SECONDS = 5.0  # a webhook's write (or a writer connection's ping), then a 503


class TimedOut(Exception):
    """No answer from PostgreSQL within the deadline; the connection is to be closed."""


def result_within(pgconn: Any, seconds: float) -> Any:
    """The last result of the command just sent on `pgconn` (psycopg's `pq.PGconn`, in
    non-blocking mode), waiting at most `seconds` for it; TimedOut after that."""
    deadline = time.monotonic() + seconds
    fd = pgconn.socket
    while pgconn.flush():  # 1: part of the command is still to be sent
        _wait(fd, select.POLLOUT, deadline)
    last = None
    while True:
        while pgconn.is_busy():
            _wait(fd, select.POLLIN, deadline)
            pgconn.consume_input()
        result = pgconn.get_result()
        if result is None:
            return last
        last = result


def ping_within(dbapi_connection: Any, seconds: float) -> bool:
    """Whether a psycopg connection answers `SELECT 1` within `seconds`; TimedOut if not."""
    pgconn = dbapi_connection.pgconn
    pgconn.send_query(b"SELECT 1")
    result = result_within(pgconn, seconds)
    return result is not None and result.ntuples == 1


def _wait(fd: int, events: int, deadline: float) -> None:
    left = deadline - time.monotonic()
    if left > 0:
        poller = select.poll()
        poller.register(fd, events)
        if poller.poll(left * 1000):
            return
    raise TimedOut


class Watchdog:
    """Shuts the socket of a blocking call on a connection that outlives its deadline, so
    the call returns with an error, which `watching` turns into TimedOut."""

    CHECK_SECONDS = 0.25

    def __init__(self, seconds: float = INTAKE_SECONDS) -> None:
        self.seconds = seconds
        self._watched: dict[int, tuple[float, int]] = {}  # id(connection) -> (deadline, fd)
        self._cut: set[int] = set()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    @contextmanager
    def watching(self, connection: Any) -> Iterator[None]:
        key = id(connection)
        with self._lock:
            self._watched[key] = (time.monotonic() + self.seconds, connection.pgconn.socket)
            if self._thread is None or not self._thread.is_alive():  # or forked since
                self._thread = threading.Thread(target=self._watch, name="pg-deadline", daemon=True)
                self._thread.start()
        try:
            yield
        finally:
            with self._lock:
                del self._watched[key]
                cut = key in self._cut
                self._cut.discard(key)
            if cut:
                raise TimedOut

    def _watch(self) -> None:
        while True:
            time.sleep(self.CHECK_SECONDS)
            now = time.monotonic()
            # Under the lock: until `watching` ends, which needs it, the connection (and so
            # its descriptor) is still the late write's, never one opened since.
            with self._lock:
                for key, (deadline, fd) in self._watched.items():
                    if now > deadline and key not in self._cut:
                        self._cut.add(key)
                        _shut(fd)


def _shut(fd: int) -> None:
    """Shut down the socket behind `fd` (a copy of the descriptor: the connection still owns,
    and will close, the original)."""
    try:
        copy = socket.socket(fileno=os.dup(fd))
    except OSError:
        return
    with copy, suppress(OSError):
        copy.shutdown(socket.SHUT_RDWR)
