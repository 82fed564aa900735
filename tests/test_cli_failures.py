"""A setting that cannot work (a database or Redis URL that is not one, a driver we do not
run on, a server that does not answer or refuses us, a config file that cannot be read):
every command says so in one line naming the setting, exits non-zero, and never prints a
traceback or a password. Each case runs the real CLI in a child process."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

PASSWORD = "hunter2-not-for-eyes"
DIRECTORY = object()  # VOICE_ROUTER_CONFIG names a directory
LATIN1 = object()  # a config file saved as Latin-1

CASES = [
    ({"database_url": "mysql://u@h/db"}, 2, "VOICE_ROUTER_DATABASE_URL: mysql is not supported"),
    (
        {"database_url": f"postgresql+psycopg2://u:{PASSWORD}@h/db"},
        2,
        "VOICE_ROUTER_DATABASE_URL: the psycopg2 driver is not supported: write postgresql+psycopg",
    ),
    ({"database_url": "notaurl"}, 2, "VOICE_ROUTER_DATABASE_URL: not a database URL"),
    ({"database_url": ""}, 2, "VOICE_ROUTER_DATABASE_URL: empty"),
    (
        {"database_url": f"postgresql://postgres:{PASSWORD}@127.0.0.1:1/vr"},
        1,
        "database_url: cannot use 127.0.0.1:1/vr (Connection refused)",
    ),
    (
        {"database_url": f"postgresql://nobody_here:{PASSWORD}@127.0.0.1:5432/postgres"},
        1,
        'database_url: cannot use 127.0.0.1:5432/postgres (role "nobody_here" does not exist)',
    ),
    (
        {"database_url": "postgresql://postgres@127.0.0.1:5432/no_such_database_here"},
        1,
        'database "no_such_database_here" does not exist',
    ),
    (
        {"database_url": "sqlite:////nonexistent/dir/x.db"},
        1,
        "database_url: the folder /nonexistent/dir does not exist",
    ),
    ({"redis_url": "localhost:6379"}, 2, "VOICE_ROUTER_REDIS_URL: needs its scheme: redis://"),
    (DIRECTORY, 2, "is a directory, not a config file"),
    (LATIN1, 2, "not UTF-8 text (byte 0xe9 at offset 15): save it as UTF-8"),
]


def voice_router(tmp_path: Path, setting: object, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("VOICE_ROUTER_")}
    env["VOICE_ROUTER_DATABASE_URL"] = f"sqlite:///{tmp_path / 'vr.db'}"
    if setting is DIRECTORY:
        env["VOICE_ROUTER_CONFIG"] = str(tmp_path)
    elif setting is LATIN1:
        (tmp_path / "vr.toml").write_bytes(b'base_url = "caf\xe9"\n')
        env["VOICE_ROUTER_CONFIG"] = str(tmp_path / "vr.toml")
    else:
        assert isinstance(setting, dict)
        env.update({f"VOICE_ROUTER_{k.upper()}": v for k, v in setting.items()})
    return subprocess.run(
        [sys.executable, "-m", "voice_router", *args],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize(("setting", "status", "message"), CASES)
@pytest.mark.parametrize("command", [("token", "list"), ("db", "upgrade")])
def test_a_setting_that_cannot_work_is_one_line_naming_it(
    tmp_path, setting, status, message, command
):
    result = voice_router(tmp_path, setting, *command)
    assert result.returncode == status, result.stderr
    assert result.stderr.strip().splitlines() == [result.stderr.strip()], result.stderr
    assert message in result.stderr
    assert "Traceback" not in result.stderr and PASSWORD not in result.stderr + result.stdout


@pytest.mark.parametrize(
    ("redis_url", "message"),
    [
        ("redis://127.0.0.1:1/0", "redis_url: cannot reach Redis (ConnectionError: "),
        ("127.0.0.1:6379", "VOICE_ROUTER_REDIS_URL: needs its scheme"),
    ],
)
def test_a_worker_without_a_redis_it_can_reach_says_so(tmp_path, redis_url, message):
    result = voice_router(tmp_path, {"redis_url": redis_url}, "worker", "--burst")
    assert result.returncode in (1, 2)
    assert message in result.stderr.strip().splitlines()[-1]
    assert "Traceback" not in result.stderr
