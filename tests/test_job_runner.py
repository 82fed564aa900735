"""`voice-router serve`'s job runner (workers/embedded.py) in this process: how its passes
fail while something outside is away."""

from __future__ import annotations

import logging
import time

from tests.serving import free_port
from workers.embedded import JobRunner
from workers.runtime import build_runtime


def test_a_jira_that_is_away_is_a_warning_each_pass_not_an_error_with_a_traceback(
    make_settings, every_log_record
):
    """Reconcile fails on every pass while Jira is unreachable: expected, and retried; an
    error with a traceback each `reconcile_seconds` buried the errors worth reading."""
    refused = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    jira = {"url": refused, "email": "bot@example.com", "api_token": "t"}
    runtime = build_runtime(make_settings(jira=jira, reconcile_seconds=1))
    runner = JobRunner(runtime, poll=0.1).start()
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not any(
            r.getMessage() == "runner.pass_failed" for r in every_log_record
        ):
            time.sleep(0.05)
    finally:
        runner.stop()
        runtime.engine.dispose()
    failed = [r for r in every_log_record if r.getMessage() == "runner.pass_failed"]
    assert failed, "reconcile did not fail"
    assert all(r.levelno == logging.WARNING and r.exc_info is None for r in failed)
