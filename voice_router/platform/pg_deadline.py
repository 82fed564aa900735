"""PostgreSQL commands that wait for an answer no longer than they are given.

libpq's blocking calls wait for ever, and a server that takes the connection and then answers
nothing (a frozen host, a route black-holed by a failover, a stopped server process whose
kernel still acknowledges) held every webhook thread that wrote: gunicorn's 2 x 64 threads
hung for as long as the database did, and `/healthz`, which needs no database, went
unanswered with them. A statement_timeout does not help there: the server is not running.

So the intake sends its commands without waiting (psycopg keeps libpq in non-blocking mode)
and waits for the socket itself, up to a deadline; past it, `TimedOut`, and the caller closes
the connection (its state is unknown: the command may still commit once the server wakes,
which a sender's retry then finds stored).
"""

from __future__ import annotations

import selectors
import time
from typing import Any

INTAKE_SECONDS = 5.0  # a webhook's write (or a writer connection's ping), then a 503


class TimedOut(Exception):
    """No answer from PostgreSQL within the deadline; the connection is to be closed."""


def result_within(pgconn: Any, seconds: float) -> Any:
    """The last result of the command just sent on `pgconn` (psycopg's `pq.PGconn`, in
    non-blocking mode), waiting at most `seconds` for it; TimedOut after that."""
    deadline = time.monotonic() + seconds
    with selectors.DefaultSelector() as selector:
        selector.register(pgconn.socket, selectors.EVENT_WRITE)
        while pgconn.flush():  # 1: part of the command is still to be sent
            _wait(selector, deadline)
        selector.modify(pgconn.socket, selectors.EVENT_READ)
        last = None
        while True:
            while pgconn.is_busy():
                _wait(selector, deadline)
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


def _wait(selector: selectors.BaseSelector, deadline: float) -> None:
    left = deadline - time.monotonic()
    if left <= 0 or not selector.select(left):
        raise TimedOut
