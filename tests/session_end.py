"""The end of an xdist worker's session. Once a worker reports it finished, the controller
tears the gateways down, and execnet gives the worker's last steps 5 s before it sends the
worker SIGINT. Those steps are pytest's garbage collections (one each for unraisable
exceptions and thread exceptions) over everything the worker's tests left alive: on a loaded
2-core machine at the end of the whole suite they took longer, and the SIGINT landed in a
collection, in Hypothesis's gc callback: the run ended with `PytestUnraisableExceptionWarning:
Exception ignored in: <function gc_cumulative_time.<locals>.gc_callback>` ... KeyboardInterrupt.

So the worker collects its garbage before it reports (the controller waits for that anyway)
and freezes what is left, which those last collections then need not walk."""

from __future__ import annotations

import gc

import pytest


@pytest.hookimpl(trylast=True)  # after the session's fixtures are torn down
def pytest_sessionfinish(session: pytest.Session) -> None:
    if hasattr(session.config, "workerinput"):  # an xdist worker; it reports after this
        gc.collect()
        gc.freeze()
