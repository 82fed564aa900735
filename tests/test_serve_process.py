"""`voice-router serve` as processes (voice_router/server.py): granian's web processes and the
job runner's process under serve; SIGTERM stops them all and releases the runner's lease, its
lines are JSON, and a runner whose serve was killed stops by itself."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.serving import (
    Process,
    command_line,
    free_port,
    left_by_a_dying_test,
    post_delivery,
    serve,
    terminate,
    wait_until,
    wait_until_healthy,
    write_config,
)
from tests.support import generic_delivery
from voice_router.platform.db import make_engine, upgrade

pytestmark = pytest.mark.slow


def children(pid: int) -> set[int]:
    found = set()
    for task in Path(f"/proc/{pid}/task").iterdir():
        found |= {int(x) for x in (task / "children").read_text().split()}
    return found


def running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


def started(tmp_path: Path, **extra: str) -> tuple[Process, sa.Engine]:
    database_url = f"sqlite:///{tmp_path / 'vr.db'}"
    engine = make_engine(database_url)
    upgrade(engine)
    config = write_config(tmp_path / "vr.toml", database_url, secret_key="", **extra)
    return serve(config, tmp_path / "serve.log", workers=2).start(), engine


def lease(engine: sa.Engine) -> tuple[str, datetime] | None:
    with engine.connect() as connection:
        row = connection.execute(
            sa.text("SELECT holder, expires_at FROM lease WHERE name = 'job-runner'")
        ).first()
    if row is None:
        return None
    expires = row[1] if isinstance(row[1], datetime) else datetime.fromisoformat(row[1])
    return row[0], expires.replace(tzinfo=expires.tzinfo or UTC)


def test_sigterm_stops_the_web_processes_and_the_runner_and_releases_the_lease(tmp_path):
    web, engine = started(tmp_path)
    try:
        assert web.process is not None
        pid = web.process.pid
        wait_until(lambda: lease(engine) is not None, 30, "the runner to take the lease")
        wait_until(lambda: len(children(pid)) == 3, 30, "two web processes and the runner")
        spawned = children(pid)
        web.process.send_signal(signal.SIGTERM)
        assert web.process.wait(40) == 0
        assert not [child for child in spawned if running(child)]
        found = lease(engine)
        assert found is not None and found[1] <= datetime.now(UTC)  # released
        lines = [line for line in web.output().splitlines() if line.strip()]
        events = [json.loads(line)["event"] for line in lines]  # every line JSON
        assert "runner.stopped" in events
        assert "ui.secret_key.generated" in events
        # Alembic's own set-up chatter ("setup plugin alembic.autogenerate.schemas", ...)
        # filled the first screen of every start.
        assert not [event for event in events if event.startswith("setup plugin")]
    finally:
        web.kill()
        engine.dispose()


def test_the_processes_of_a_killed_serve_stop_by_themselves(tmp_path):
    """serve dies alone (SIGKILL, not its process group): the runner stops within seconds
    and releases the lease, so the next serve's runner need not wait for it to expire, and
    the web processes stop rather than go on serving the port beside the next serve."""
    web, engine = started(tmp_path)
    try:
        assert web.process is not None
        wait_until(lambda: lease(engine) is not None, 30, "the runner to take the lease")
        wait_until(lambda: len(children(web.process.pid)) == 3, 30, "every process")
        spawned = children(web.process.pid)
        os.kill(web.process.pid, signal.SIGKILL)
        web.process.wait(10)
        wait_until(lambda: not any(running(p) for p in spawned), 30, "its processes to stop")
        found = lease(engine)
        assert found is not None and found[1] <= datetime.now(UTC)
    finally:
        with contextlib.suppress(ProcessLookupError):  # the web processes granian left
            os.killpg(web.process.pid, signal.SIGKILL)
        engine.dispose()


def test_with_redis_serve_runs_the_web_processes_only(tmp_path, redis_url):
    """Jobs then run in `voice-router worker`: serve starts no runner of its own, and its
    web processes take webhooks."""
    web, engine = started(tmp_path, redis_url=redis_url)
    try:
        assert web.process is not None
        pid = web.process.pid
        wait_until(lambda: len(children(pid)) == 2, 30, "two web processes")
        body = generic_delivery("T1", "ann@acme.com", ["pain-export"])
        assert post_delivery(web.base, "generic", body).status_code == 202
        assert not any("serve_runner" in command_line(child) for child in children(pid))
        assert lease(engine) is None
    finally:
        web.stop()
        engine.dispose()


def test_serve_removes_the_metrics_directory_it_made_when_it_stops(tmp_path):
    """Without PROMETHEUS_MULTIPROC_DIR serve makes a private one in the temp folder; every
    start left one behind (a systemd unit restarting it filled /tmp)."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k != "PROMETHEUS_MULTIPROC_DIR"}
    env.update(TMPDIR=str(tmp_path), VOICE_ROUTER_DATABASE_URL=f"sqlite:///{tmp_path / 'vr.db'}")
    log = tmp_path / "serve.log"
    with log.open("ab") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "voice_router", "serve", "--port", str(port), "--workers", "1"],
            cwd=tmp_path,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_until_healthy(process, f"http://127.0.0.1:{port}", log)
        assert len(list(tmp_path.glob("voice-router-metrics-*"))) == 1
    finally:
        terminate(process)
    assert process.returncode == 0, log.read_text()
    assert list(tmp_path.glob("voice-router-metrics-*")) == []
    # No sources configured: the first-run hint, not a silent 404 for every webhook.
    assert "no [sources.<name>] configured: every webhook will answer 404" in log.read_text()


def test_serve_runs_its_processes_on_the_file_given_with_config(tmp_path):
    """`voice-router --config FILE serve`: the web processes and the runner read their own
    settings; they read VOICE_ROUTER_CONFIG's file (here one without sources, on another
    database), not FILE, and every webhook of FILE's sources answered 404."""
    database_url = f"sqlite:///{tmp_path / 'vr.db'}"
    engine = make_engine(database_url)
    upgrade(engine)
    config = write_config(tmp_path / "vr.toml", database_url)
    elsewhere = tmp_path / "elsewhere.toml"
    elsewhere.write_text(f'database_url = "sqlite:///{tmp_path / "elsewhere.db"}"\n')
    port = free_port()
    command = [
        sys.executable, "-m", "voice_router", "--config", str(config), "serve",
        "--port", str(port), "--workers", "1",
    ]  # fmt: skip
    web = Process(command, elsewhere, tmp_path / "serve.log", port).start()
    try:
        body = generic_delivery("T1", "ann@acme.com", ["pain-export"])
        assert post_delivery(web.base, "generic", body).status_code == 202
        with engine.connect() as connection:
            stored = connection.execute(sa.text("SELECT count(*) FROM delivery")).scalar()
        assert stored == 1
        wait_until(lambda: lease(engine) is not None, 30, "the runner on the same database")
    finally:
        web.stop()
        engine.dispose()


def test_a_serve_a_test_started_goes_with_the_test_process_that_dies(tmp_path):
    """tests/serving.Process (serve, gunicorn and workers of 15 test files) started its process
    in a session of its own: a test process killed before its teardown left it serving, its
    web processes and job runner with it, for good (fix-ops2 fixed test_web_servers' own)."""
    started = (
        "import os, sys\n"
        "from pathlib import Path\n"
        "from tests.serving import serve, write_config\n"
        "from voice_router.platform.db import make_engine, upgrade\n"
        "folder = Path(sys.argv[1])\n"
        "url = f'sqlite:///{folder / \"vr.db\"}'\n"
        "upgrade(make_engine(url))\n"
        "serve(write_config(folder / 'vr.toml', url), folder / 'serve.log').start()\n"
        "os._exit(1)\n"
    )
    log = tmp_path / "serve.log"
    assert not left_by_a_dying_test(started, tmp_path), log.read_text()[-3000:]
