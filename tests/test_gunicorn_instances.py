"""Two gunicorns with deploy/gunicorn.conf.py on one host, each without Redis (its job runner
in gunicorn's dirty worker): the second one's start leaves the first one's job runner alone.
Real processes, each on a SQLite database of its own."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.serving import Process, gunicorn, wait_until, write_config
from voice_router.platform.db import make_engine, upgrade

pytestmark = pytest.mark.slow


def started(tmp_path: Path, name: str) -> Process:
    database_url = f"sqlite:///{tmp_path / f'{name}.db'}"
    engine = make_engine(database_url)
    upgrade(engine)  # before the web processes race to migrate
    engine.dispose()
    config = write_config(tmp_path / f"{name}.toml", database_url)
    running = gunicorn(config, tmp_path / f"{name}.log").start()
    wait_until(lambda: '"runner.leading"' in running.output(), 60, f"{name}'s job runner")
    return running


def test_a_second_gunicorn_on_the_host_leaves_the_first_ones_job_runner_alone(tmp_path):
    """Both kept their dirty arbiter's pid in one file named after the app: the second one
    took the first one's arbiter for an orphan of a crashed gunicorn and stopped it (SIGTERM,
    then SIGKILL), and the first one's job runner started again."""
    first = started(tmp_path, "first")
    try:
        second = started(tmp_path, "second")
        second.stop()
        assert "Killing orphaned dirty arbiter" not in second.output(), second.output()
    finally:
        first.stop()
    output = first.output()
    assert output.count("Spawned dirty arbiter") == 1, output
    assert output.count('"runner.leading"') == 1, output
