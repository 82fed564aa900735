"""A PostgreSQL schema behind the code (never migrated, or left at an older release's
revision): every command, `serve`, `worker` and `create_app()` refuse it with one line saying
to run `voice-router db upgrade`, and /readyz answers 503, so no traffic reaches a process
whose every query would fail. A schema a newer release migrated is used."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from tests.conftest import POSTGRES_ADMIN_URL
from tests.serving import free_port
from tests.support import inline_runtime, redis_db_url, run_cli
from voice_router.platform.db import make_engine, upgrade
from voice_router.platform.errors import DatabaseNotReady
from voice_router.platform.schema import heads
from voice_router.platform.settings import parse_settings
from voice_router.web import create_app

pytestmark = pytest.mark.slow

[HEAD] = heads()  # the revision this code migrates to


@pytest.fixture(params=[None, "0018"], ids=["never-migrated", "older-release"])
def behind(request: pytest.FixtureRequest) -> Iterator[str]:
    """A PostgreSQL database of its own, migrated up to the given revision only."""
    name = f"vr_behind_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    url = POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + "/" + name
    if request.param is not None:
        engine = make_engine(url)
        upgrade(engine, request.param)
        engine.dispose()
    yield url
    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def config(tmp_path: Path, url: str) -> Path:
    path = tmp_path / "vr.toml"
    path.write_text(f'database_url = "{url}"\nredis_url = "{redis_db_url(0)}"\n')
    return path


def test_every_command_refuses_a_schema_behind_the_code_until_db_upgrade(behind, tmp_path):
    path = config(tmp_path, behind)
    for args in (
        ("token", "list"),
        ("recompute", "--check"),
        ("worker", "--burst"),
        ("serve", "--port", str(free_port())),
    ):
        result = run_cli(path, *args, timeout=60)
        assert result.returncode == 1, (args, result.stderr)
        assert "Traceback" not in result.stderr, args
        last = result.stderr.strip().splitlines()[-1]
        assert last.startswith("voice-router: database schema "), (args, last)
        assert last.endswith(f"this release needs {HEAD}: run `voice-router db upgrade`") or (
            "not created" in last and "db upgrade" in last
        )
    upgraded = run_cli(path, "db", "upgrade", timeout=60)
    assert upgraded.returncode == 0 and f"revision {HEAD}" in upgraded.stdout
    listed = run_cli(path, "token", "list", timeout=60)
    assert listed.returncode == 0 and listed.stdout.startswith("no tokens")


def test_readiness_reports_the_schema_behind_and_create_app_refuses_it(behind):
    settings = parse_settings({"database_url": behind}, {}, "test")
    client = create_app(runtime=inline_runtime(settings)).test_client()
    response = client.get("/readyz")
    body = response.get_json()
    assert response.status_code == 503 and body["failed"] == ["schema"]
    assert body["checks"]["database"] == "ok"
    assert body["checks"]["schema"].startswith("behind: database schema ")
    assert "voice-router db upgrade" in body["checks"]["schema"]
    with pytest.raises(DatabaseNotReady, match="run `voice-router db upgrade`"):
        create_app(settings)  # as gunicorn builds it

    engine = make_engine(behind)
    upgrade(engine)
    engine.dispose()
    assert client.get("/readyz").status_code == 200


@pytest.mark.parametrize("behind", ["0018"], indirect=True)
def test_a_schema_a_newer_release_migrated_is_used(behind, tmp_path):
    """During a rollout the new release migrates first: the old processes keep working."""
    engine = make_engine(behind)
    upgrade(engine)
    with engine.begin() as connection:
        connection.exec_driver_sql("UPDATE alembic_version SET version_num = '0099_future'")
    engine.dispose()
    assert run_cli(config(tmp_path, behind), "token", "list", timeout=60).returncode == 0
    settings = parse_settings({"database_url": behind}, {}, "test")
    client = create_app(runtime=inline_runtime(settings)).test_client()
    assert client.get("/readyz").status_code == 200


def test_a_sqlite_database_a_newer_release_migrated_is_one_line_not_a_traceback(tmp_path):
    """After a rollback: SQLite cannot be migrated down, and Alembic's 'Can't locate
    revision' came as two chained tracebacks."""
    url = f"sqlite:///{tmp_path / 'vr.db'}"
    engine = make_engine(url)
    upgrade(engine)
    with engine.begin() as connection:
        connection.exec_driver_sql("UPDATE alembic_version SET version_num = '0099_future'")
    engine.dispose()
    path = tmp_path / "vr.toml"
    path.write_text(f'database_url = "{url}"\n')
    for args in (("token", "list"), ("db", "upgrade")):
        result = run_cli(path, *args, timeout=60)
        assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr
        assert result.stderr.strip().splitlines() == [
            f"voice-router: database schema at 0099_future, newer than this release ({HEAD}): run "
            "the newer release, or restore the backup taken before upgrading"
        ]


@pytest.mark.parametrize("behind", [None], indirect=True, ids=["never-migrated"])
def test_upgrades_at_once_on_postgresql_take_turns(behind, tmp_path):
    """The compose `migrate` service and an operator's `db upgrade` overlapping: all but
    the first ended in a UniqueViolation traceback (or one line saying so)."""
    path = config(tmp_path, behind)
    env = {**os.environ, "VOICE_ROUTER_CONFIG": str(path)}
    command = [sys.executable, "-m", "voice_router", "db", "upgrade"]
    together = [
        subprocess.Popen(
            command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        for _ in range(4)
    ]
    for process in together:
        out, err = process.communicate(timeout=120)
        assert process.returncode == 0, err
        assert f"database at revision {HEAD}" in out


def test_a_migration_that_fails_is_one_line_naming_where_the_schema_stays(tmp_path):
    """Something in a migration's way (here an index of 0014's name): the traceback became
    one line saying which revision the database is left at."""
    url = f"sqlite:///{tmp_path / 'vr.db'}"
    engine = make_engine(url)
    upgrade(engine, "0013")
    with engine.begin() as connection:
        connection.exec_driver_sql("CREATE INDEX ix_problem_impact_rank ON note (id)")
    engine.dispose()
    path = tmp_path / "vr.toml"
    path.write_text(f'database_url = "{url}"\n')
    result = run_cli(path, "db", "upgrade", timeout=60)
    assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr
    [line] = result.stderr.strip().splitlines()
    assert line.startswith("voice-router: db upgrade failed after revision 0013 (OperationalError")
    assert line.endswith("the database stays at that revision")


def test_checking_a_database_at_head_loads_no_migrations(database_url):
    """Every worker, web process and command checks the schema as it starts (SQLite: brings
    it to head); a database at head (the usual case) is known without importing Alembic and
    the migration modules (0.1-0.3 s; on SQLite, where every start migrated, 0.4 s)."""
    probe = (
        "import sys\n"
        "from voice_router.platform.db import make_engine\n"
        "from voice_router.platform.schema import require_current\n"
        f"require_current(make_engine({database_url!r}))\n"
        "print('alembic' in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "False"


@pytest.mark.parametrize("shipped_settings", [True, False], ids=["gunicorn-c", "plain-gunicorn"])
def test_gunicorn_refuses_a_schema_behind_the_code_with_one_line(
    behind, tmp_path, shipped_settings
):
    """gunicorn, with deploy/gunicorn.conf.py or without: every web process printed the
    traceback of DatabaseNotReady (in a JSON log line's exc_info with the shipped settings)
    and gunicorn stopped. Now the line `voice-router serve` says; the shipped settings
    check the database in gunicorn's master, before any process starts, as serve does."""
    from tests.test_web_servers import stopped_gunicorn, voice_router_lines

    env = {"VOICE_ROUTER_DATABASE_URL": behind, "VOICE_ROUTER_CONFIG": str(tmp_path / "none")}
    (tmp_path / "none").write_text("")
    result = stopped_gunicorn(tmp_path, env, shipped_settings)
    assert result.returncode == (1 if shipped_settings else 3), result.stderr
    assert "Traceback" not in result.stderr
    lines = voice_router_lines(result.stderr)
    assert lines and all(line.startswith("voice-router: database schema ") for line in lines)
    assert len(lines) == 1 if shipped_settings else len(set(lines)) == 1
