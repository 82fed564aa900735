"""The periodic reconcile under rq workers: a pass every `reconcile_seconds` whatever value
the operator chose, and never two passes at once across workers, however long one takes.
Two real `voice-router worker` processes, a real Redis, the Jira sandbox over HTTP."""

from __future__ import annotations

import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import unquote_plus

import pytest

from jira_sandbox import JiraSandbox
from tests.serving import Process, wait_until, worker, write_config
from tests.support import JIRA_EMAIL, JIRA_TOKEN

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("jira_openapi_check")]

SEARCH = r".*/search/jql"


def passes(sandbox: JiraSandbox) -> int:
    """Reconcile passes Jira has answered: each asks once for what was updated lately."""
    return sum(
        1
        for call in sandbox.calls
        if call.path.endswith("/search/jql")
        and "updated >=" in call.body.decode(errors="replace") + unquote_plus(call.query)
    )


@pytest.fixture
def two_workers(
    database_url: str, redis_url: str, sandbox: JiraSandbox, tmp_path: Path
) -> Iterator[Callable[[int], list[Process]]]:
    """Two `voice-router worker` processes on one database and Redis, with a config whose
    `reconcile_seconds` the test chooses; stopped after the test whatever its outcome."""
    started: list[Process] = []

    def start(reconcile_seconds: int) -> list[Process]:
        jira = {"url": sandbox.url, "email": JIRA_EMAIL, "api_token": JIRA_TOKEN}
        config = write_config(
            tmp_path / "vr.toml",
            database_url,
            redis_url=redis_url,
            reconcile_seconds=reconcile_seconds,
            jira={**jira, "update_interval_seconds": 0},
        )
        for n in range(2):
            started.append(worker(config, tmp_path / f"worker{n}.log").start())
        return started

    yield start
    # Both at once, and killed if not gone in 10 s: how they stop is not what is tested here,
    # and one after the other with 30 s each cost over half a minute a test on a busy machine.
    for process in started:
        if process.process is not None and process.process.poll() is None:
            process.process.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + 10
    for process in started:
        try:
            if process.process is not None:
                process.process.wait(max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            process.kill()


def test_passes_come_every_reconcile_seconds_below_the_old_fifty(two_workers, sandbox):
    """An operator who set 3 s got a pass every 50 s: the signal's Redis flag lived 50 s
    whatever the setting (none after the first in these 20 s). Over 20 s: about seven passes
    (one per 3 s, the sweep looking as often), never one per worker per interval (about
    thirteen)."""
    running = two_workers(3)
    wait_until(lambda: passes(sandbox) >= 1, 60, "the first pass")
    first = passes(sandbox)
    time.sleep(20)
    seen = passes(sandbox) - first
    logs = "\n".join(process.output()[-2000:] for process in running)
    assert 3 <= seen <= 10, f"{seen} passes in 20 s\n{logs}"


def test_a_pass_longer_than_the_interval_is_never_joined_by_a_second(two_workers, sandbox):
    """A pass holds its lease while it runs: with a 2-second interval and Jira holding the
    pass's search (until the client gives up after 10 s), neither worker starts another pass
    meanwhile; after it, passes come every 2 s again."""
    sandbox.delay_next("GET", SEARCH, seconds=60)
    running = two_workers(2)
    wait_until(lambda: sandbox.state.traffic.pending_faults == 0, 60, "a search held in Jira")
    before = passes(sandbox)  # the held search is not answered yet
    time.sleep(6)  # three intervals, while both workers sweep every 2 s
    assert passes(sandbox) == before, "a second pass started while the first ran"
    sandbox.release_delayed()
    wait_until(lambda: passes(sandbox) >= before + 4, 60, "passes after the slow one")
    for process in running:
        assert process.process is not None and process.process.poll() is None
