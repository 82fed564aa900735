"""tests/session_end.py: an xdist worker's last garbage collections, made after it reported
its session finished, have nothing to walk, however much its tests left alive; a pytest run
of its own in a child process."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parents[1]

TESTS = """
KEPT = [[n] for n in range(300_000)]  # left alive by the session, as the suite's tests leave


def test_one():
    pass
"""

COUNTER = """
import gc
import os

import pytest


@pytest.hookimpl(tryfirst=True)
def pytest_unconfigure(config):
    if hasattr(config, "workerinput"):  # what the worker's last collections will walk
        with open(os.environ["OBJECTS_FILE"], "w") as out:
            out.write(str(len(gc.get_objects())))
"""


def test_a_worker_leaves_its_last_collections_nothing_to_walk(tmp_path):
    (tmp_path / "test_kept.py").write_text(TESTS)
    (tmp_path / "objects_counter.py").write_text(COUNTER)
    (tmp_path / "pytest.ini").write_text("[pytest]\n")  # not the suite's settings
    counted = tmp_path / "objects"
    command = [
        sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-n", "1",
        "-p", "objects_counter", "-p", "tests.session_end", "test_kept.py",
    ]  # fmt: skip
    result = subprocess.run(
        command,
        cwd=tmp_path,
        env={"PYTHONPATH": f"{tmp_path}:{ROOT}", "OBJECTS_FILE": str(counted), "PATH": ""},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert int(counted.read_text()) < 30_000  # of the 300,000 lists and more
