"""gunicorn's job runner process (its dirty worker) told to stop while its app loads: gunicorn
27 only notes it, and the process ran on after the master and its arbiter had gone, holding
the lease. deploy/gunicorn.conf.py's `dirty_worker_init` stops it once the app has loaded."""

from __future__ import annotations

import gc
import shutil
from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from tests.serving import wait_until, write_config
from voice_router.platform.db import make_engine
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


def test_a_runner_not_told_to_stop_goes_on(loaded, dirty_worker_init):
    app, engine = loaded
    dirty_worker_init(SimpleNamespace(alive=True, apps={APP: app}))
    assert app.runner is not None and app.runner.leading.is_set()
    assert holder(engine) == app.runner.holder
