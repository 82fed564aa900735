"""gunicorn's job runner process (its dirty worker) told to stop before gunicorn's event loop
listens: gunicorn 27 only notes it, and the process ran on after the master and its arbiter
had gone, holding the lease. deploy/gunicorn.conf.py's `dirty_worker_init` stops it once the
app has loaded; a stop that comes after that, and the arbiter's death, the process sees
through itself (workers.runner_process.see_stops_through). Real gunicorns, on SQLite."""

from __future__ import annotations

import contextlib
import gc
import os
import re
import shutil
import signal
import time
from pathlib import Path
from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from tests.serving import Process, gunicorn, processes_of, wait_until, write_config
from voice_router.platform.db import make_engine, upgrade
from voice_router.platform.processes import MULTIPROC
from workers.embedded import LEASE_NAME
from workers.runner_process import JobRunnerApp

APP = "workers.runner_process:JobRunnerApp"


@pytest.fixture
def dirty_worker_init(monkeypatch):  # type: ignore[no-untyped-def]
    """deploy/gunicorn.conf.py's hook. Importing gunicorn's settings names a metrics directory
    for the whole process (PROMETHEUS_MULTIPROC_DIR, as gunicorn's master needs before it
    forks). The test process gets its own value back afterwards: left set, it made every
    later scrape in the process read that directory instead of its own counters."""
    monkeypatch.setenv(MULTIPROC, "")  # restored (here: unset again) after the test
    from voice_router import gunicorn_config

    return gunicorn_config.dirty_worker_init


@pytest.fixture
def loaded(tmp_path, sqlite_template, monkeypatch):  # type: ignore[no-untyped-def]
    """The job runner's app as gunicorn's dirty worker loads it, leading, on SQLite. Its
    `init` freezes every object alive out of the garbage collector's reach, as a job process
    should; this test process gets its collector back afterwards."""
    database = tmp_path / "vr.db"
    shutil.copy(sqlite_template, database)
    config = write_config(tmp_path / "vr.toml", f"sqlite:///{database}")
    monkeypatch.setenv("VOICE_ROUTER_CONFIG", str(config))
    app = JobRunnerApp()
    app.init()
    assert app.runner is not None
    wait_until(app.runner.leading.is_set, 30, "the runner to take the lease")
    engine = make_engine(f"sqlite:///{database}")
    yield app, engine
    app.close()
    engine.dispose()
    gc.unfreeze()


def holder(engine: sa.Engine) -> str:
    with engine.connect() as connection:
        return str(
            connection.execute(
                sa.text("SELECT holder FROM lease WHERE name = :name"), {"name": LEASE_NAME}
            ).scalar_one()
        )


def test_a_runner_told_to_stop_while_it_loaded_stops_and_hands_the_lease_over(
    loaded, dirty_worker_init
):
    app, engine = loaded
    assert holder(engine) == app.runner.holder
    told_to_stop = SimpleNamespace(alive=False, apps={APP: app})  # gunicorn's DirtyWorker
    with pytest.raises(SystemExit) as stopped:
        dirty_worker_init(told_to_stop)
    assert stopped.value.code == 0
    assert app.runner is None
    assert holder(engine) == ""  # the next runner takes over at once


# A slow machine: the app has loaded and the hook has run, gunicorn's loop is not listening yet.
SLOW_HOOK = """
import logging, time
from voice_router.gunicorn_config import *  # noqa: F403
from voice_router.gunicorn_config import child_exit, dirty_worker_exit, on_starting, pre_request
from voice_router.gunicorn_config import dirty_worker_init as shipped

def dirty_worker_init(worker):
    shipped(worker)
    logging.getLogger("test").warning("test.loop_not_listening")
    time.sleep(5)
"""


# A job runner whose stop hangs (on its database, say): only its arbiter's SIGKILL ends it.
HANGING_STOP = """
import time
from voice_router.gunicorn_config import *  # noqa: F403
from voice_router.gunicorn_config import child_exit, dirty_worker_exit, on_starting, pre_request
from voice_router.gunicorn_config import dirty_worker_init as shipped

def dirty_worker_init(worker):
    for app in worker.apps.values():
        app.close = lambda: time.sleep(3600)
    shipped(worker)
"""


def running(
    tmp_path: Path, settings_file: str | None = None, *flags: str
) -> tuple[Process, sa.Engine]:
    database_url = f"sqlite:///{tmp_path / 'vr.db'}"
    engine = make_engine(database_url)
    upgrade(engine)  # before the web processes race to migrate
    config = write_config(tmp_path / "vr.toml", database_url)
    served = gunicorn(config, tmp_path / "gunicorn.log")
    if settings_file is not None:
        settings = tmp_path / "gunicorn.conf.py"
        settings.write_text(settings_file)
        served.command[served.command.index("deploy/gunicorn.conf.py")] = str(settings)
    served.command[-1:-1] = flags
    served.start()
    wait_until(lambda: '"runner.leading"' in served.output(), 60, "the job runner to lead")
    return served, engine


def gone_within(seconds: float, config: Path) -> bool:
    deadline = time.monotonic() + seconds
    while processes_of(config) and time.monotonic() < deadline:
        time.sleep(0.1)
    return not processes_of(config)


def stop_all(served: Process) -> None:
    """Stop gunicorn; then kill whatever of it is left (a runner that ran on, orphaned)."""
    served.stop()
    for pid in processes_of(served.config):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


def pids(pattern: str, output: str) -> list[int]:
    return [int(found) for found in re.findall(pattern, output)]


@pytest.mark.slow
def test_gunicorn_stopped_before_its_runners_loop_listens_stops_whole(tmp_path):
    """The stop came after the hook, before gunicorn's loop listened (CI saw it, 18 ms
    wide): the runner ran on; the master waited out its 20 s, killed the arbiter and left."""
    served, engine = running(tmp_path, SLOW_HOOK)
    try:
        wait_until(lambda: "test.loop_not_listening" in served.output(), 30, "the slow hook")
        assert served.process is not None
        served.process.send_signal(signal.SIGTERM)
        assert gone_within(15, served.config), served.output()[-3000:]
        assert holder(engine) == ""  # handed over: the next runner takes over at once
    finally:
        stop_all(served)
        engine.dispose()
    assert '"runner.stopping"' in served.output()


@pytest.mark.slow
def test_a_runner_whose_arbiter_was_killed_stops_and_the_next_one_leads(tmp_path):
    """Its arbiter killed (by the OOM killer, or a master's SIGKILL), the runner was nobody's
    and ran on, holding the lease against the runner the next arbiter starts."""
    served, engine = running(tmp_path)
    try:
        output = served.output()
        (arbiter,) = pids(r"Dirty arbiter starting \(pid: (\d+)\)", output)
        (first,) = pids(r'"runner\.started".*?"pid": (\d+)', output)
        os.kill(arbiter, signal.SIGKILL)
        wait_until(
            lambda: first not in processes_of(served.config), 15, "the orphaned runner to go"
        )
        wait_until(
            lambda: len(pids(r'"runner\.leading".*?"pid": (\d+)', served.output())) == 2,
            30,
            "the next runner to lead",
        )
        assert holder(engine).split(":")[1] != str(first)
    finally:
        stop_all(served)
        engine.dispose()
    assert '"runner.orphaned"' in served.output()


@pytest.mark.slow
def test_a_shorter_graceful_timeout_still_lets_the_arbiter_end_a_runner_that_hangs(tmp_path):
    """`--graceful-timeout 6` (a shorter grace period) under the shipped
    `dirty_graceful_timeout` (15 s): the master killed the arbiter first, and a runner whose
    stop hung ran on, orphaned. The arbiter's own limit is kept under the master's."""
    served, engine = running(tmp_path, HANGING_STOP, "--graceful-timeout", "6")
    try:
        assert served.process is not None
        served.process.send_signal(signal.SIGTERM)
        assert gone_within(12, served.config), served.output()[-3000:]
    finally:
        stop_all(served)
        engine.dispose()
