"""`voice-router reconcile` run by an operator beside a running deployment: one pass at a time
with the periodic passes of `voice-router worker` and `voice-router serve`. A pass running
elsewhere is waited for (and said so), and a pass by hand holds off the periodic ones while
it runs. Real processes, the Jira sandbox over HTTP, the command in a child process."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from urllib.parse import unquote_plus

import pytest
import sqlalchemy as sa

from jira_sandbox import JiraSandbox
from tests.serving import ROOT, Process, serve, wait_until, worker, write_config
from tests.shipping.test_reconcile_command import file_issues
from tests.support import JIRA_EMAIL, JIRA_TOKEN
from tests.test_worker_reconcile import SEARCH, passes
from voice_router.models import Lease
from voice_router.platform.clock import to_utc, utcnow
from voice_router.platform.db import make_engine

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("jira_openapi_check")]

WAITING = "a reconcile pass is running in another process; waiting"
LOOKBACK_MINUTES = 30 * 24 * 60  # a first pass reads the last 30 days


class ByHand:
    """`voice-router reconcile` started in a child process, its output in files."""

    def __init__(self, config: Path, tmp_path: Path) -> None:
        self.out, self.err = tmp_path / "reconcile.out", tmp_path / "reconcile.err"
        env = {k: v for k, v in os.environ.items() if not k.startswith("VOICE_ROUTER_")}
        env["VOICE_ROUTER_CONFIG"] = str(config)
        with self.out.open("wb") as out, self.err.open("wb") as err:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "voice_router", "reconcile"],
                cwd=ROOT,
                env=env,
                stdout=out,
                stderr=err,
            )

    def stderr(self) -> str:
        return self.err.read_text(errors="replace")

    def finish(self) -> str:
        """Its exit (0 expected) and its summary line."""
        assert self.process.wait(60) == 0, self.stderr()
        return self.out.read_text().strip().splitlines()[-1]


def searched_minutes(sandbox: JiraSandbox) -> list[int]:
    """The look-back of each page of the passes' searches, in the order Jira answered
    them: a pass after another reads from that pass's cursor (a few minutes), a pass
    with none before it the last 30 days."""
    found = []
    for call in sandbox.calls:
        text = call.body.decode(errors="replace") + unquote_plus(call.query)
        match = re.search(r'updated >= "-(\d+)m"', text)
        if call.path.endswith("/search/jql") and match:
            found.append(int(match.group(1)))
    return found


@pytest.fixture
def running(
    database_url: str, request: pytest.FixtureRequest, sandbox: JiraSandbox, tmp_path: Path
) -> Iterator[Callable[[str, int], Path]]:
    """Starts `voice-router worker` (with Redis) or `voice-router serve` (without) on a
    config whose `reconcile_seconds` the test chooses; its path, for the command too.
    Stopped after the test whatever its outcome."""
    started: list[Process] = []

    def start(kind: str, reconcile_seconds: int) -> Path:
        jira = {"url": sandbox.url, "email": JIRA_EMAIL, "api_token": JIRA_TOKEN}
        redis = {"redis_url": request.getfixturevalue("redis_url")} if kind == "worker" else {}
        config = write_config(
            tmp_path / "vr.toml",
            database_url,
            reconcile_seconds=reconcile_seconds,
            jira={**jira, "update_interval_seconds": 0},
            **redis,
        )
        log = tmp_path / f"{kind}.log"
        started.append((worker(config, log) if kind == "worker" else serve(config, log)).start())
        return config

    yield start
    for process in started:
        process.stop()


@pytest.mark.parametrize(
    ("kind", "database_url"),
    [("worker", "postgresql"), ("serve", "sqlite")],
    indirect=["database_url"],
)
def test_a_pass_by_hand_waits_for_the_pass_running_elsewhere_then_runs(
    running, sandbox, tmp_path, kind
):
    """Before: the command took no lease, so it ran beside the periodic pass (both read the
    same 30 days of Jira from the same cursor and applied them twice). Now it says it waits,
    and its pass starts from the cursor the other pass left."""
    file_issues(sandbox, 150)  # two pages: Jira holds each of the first pass's (8 s each)
    sandbox.delay_next("GET", SEARCH, seconds=8, times=2)
    config = running(kind, 300)
    wait_until(lambda: sandbox.state.traffic.pending_faults == 1, 60, "the first page held")

    by_hand = ByHand(config, tmp_path)
    wait_until(lambda: WAITING in by_hand.stderr(), 30, "the command to say it waits")
    time.sleep(1)
    assert by_hand.process.poll() is None  # still waiting for the other pass
    sandbox.release_delayed()

    assert by_hand.finish().startswith("reconcile: 150 issue(s) read, 0 status change(s)")
    elsewhere, mine = searched_minutes(sandbox)[:2], searched_minutes(sandbox)[2:]
    assert all(minutes >= LOOKBACK_MINUTES for minutes in elsewhere), searched_minutes(sandbox)
    assert len(mine) == 2 and all(minutes < 60 for minutes in mine), searched_minutes(sandbox)

    again = ByHand(config, tmp_path)  # no pass runs: the periodic interval is not waited out
    assert again.finish().startswith("reconcile: 150 issue(s) read")
    assert WAITING not in again.stderr()


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_no_periodic_pass_starts_while_a_pass_by_hand_runs(running, sandbox, tmp_path):
    """A worker with a 2-second interval, and a pass by hand that Jira holds (its first
    call, made by the command's own Jira client): before, the worker went on with a pass
    every 2 s meanwhile; now it starts none until the pass by hand is over."""
    config = running("worker", 2)
    wait_until(lambda: passes(sandbox) >= 1, 60, "the worker's first pass")
    sandbox.delay_next("GET", r".*/serverInfo", seconds=9)  # the worker's client is made

    by_hand = ByHand(config, tmp_path)
    wait_until(lambda: sandbox.state.traffic.pending_faults == 0, 30, "the command's call held")
    before = passes(sandbox)
    time.sleep(5)  # more than two intervals, the worker's sweep looking every 2 s
    assert passes(sandbox) == before, "a periodic pass ran beside the pass by hand"
    sandbox.release_delayed()

    assert by_hand.finish().startswith("reconcile: 0 issue(s) read")
    wait_until(lambda: passes(sandbox) >= before + 2, 60, "the periodic passes after it")


def test_a_pass_by_hand_does_not_wait_out_an_interval_left_by_an_older_release(
    database_url, sandbox, tmp_path
):
    """Releases before the pass by hand took the lease let it go until `reconcile_seconds`
    after a pass began under that pass's name, as a running pass holds it: after an upgrade
    the first pass by hand waited up to `reconcile_seconds` (here 250 s) for nobody. A
    running pass never holds it more than a minute ahead."""
    jira = {"url": sandbox.url, "email": JIRA_EMAIL, "api_token": JIRA_TOKEN}
    config = write_config(tmp_path / "vr.toml", database_url, reconcile_seconds=300, jira=jira)
    engine = make_engine(database_url)
    began = utcnow() - timedelta(seconds=50)  # the older release's last periodic pass
    with engine.begin() as connection:
        connection.execute(
            sa.insert(Lease).values(
                name="reconcile", holder=uuid.uuid4().hex, expires_at=began + timedelta(minutes=5)
            )
        )
    by_hand = ByHand(config, tmp_path)
    try:
        assert by_hand.process.wait(30) == 0, by_hand.stderr()
    finally:
        if by_hand.process.poll() is None:
            by_hand.process.kill()
            by_hand.process.wait(10)
    assert WAITING not in by_hand.stderr()
    assert by_hand.out.read_text().startswith("reconcile: 0 issue(s) read")
    with engine.connect() as connection:
        holder, expires = connection.execute(sa.select(Lease.holder, Lease.expires_at)).one()
    engine.dispose()
    assert holder == ""  # let go until the next periodic pass, 300 s after this one began
    assert to_utc(expires) > utcnow() + timedelta(seconds=250)
