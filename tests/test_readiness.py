"""/readyz follows the real services: a throwaway PostgreSQL and a throwaway Redis are stopped
(or frozen) and started again, and readiness goes 200 -> 503 naming the check -> 200."""

from __future__ import annotations

import glob
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from redis import Redis

from tests.support import inline_runtime
from voice_router.platform.db import make_engine, upgrade
from voice_router.platform.settings import parse_settings
from voice_router.web import create_app
from voice_router.web.health import PROBE_TIMEOUT

SLOW = PROBE_TIMEOUT + 3  # seconds a failing probe may take at most
DATABASE_READY = {"ready": True, "checks": {"database": "ok", "schema": "ok"}, "failed": []}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def postgres_bin() -> Path | None:
    found = glob.glob("/usr/lib/postgresql/*/bin/initdb")
    if not found:
        return None
    return Path(max(found, key=lambda p: int(Path(p).parts[-3]))).parent


class ThrowawayPostgres:
    """A cluster of our own in a temp dir on a free port: the machine's cluster is untouched."""

    def __init__(self, bin_dir: Path) -> None:
        self.bin = bin_dir
        self.port = free_port()
        self.root = Path(tempfile.mkdtemp(prefix="vr-readyz-pg-"))
        self.data = self.root / "data"
        self.as_postgres = os.geteuid() == 0  # initdb refuses root
        if self.as_postgres:
            shutil.chown(self.root, "postgres", "postgres")
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "--no-sync")

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, tool: str, *args: str) -> None:
        command = [str(self.bin / tool), *args]
        if self.as_postgres:
            command = ["runuser", "-u", "postgres", "--", *command]
        subprocess.run(command, check=True, capture_output=True, timeout=120)

    def start(self) -> None:
        options = (
            f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off "
            "-c max_connections=20"
        )
        log = str(self.root / "log")
        self._run(
            "pg_ctl", "-D", str(self.data), "-l", log, "-w", "-t", "60", "-o", options, "start"
        )

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")

    def postmaster_pid(self) -> int:
        return int((self.data / "postmaster.pid").read_text().split()[0])

    def remove(self) -> None:
        if (self.data / "postmaster.pid").exists():
            os.kill(self.postmaster_pid(), signal.SIGCONT)
            self.stop()
        shutil.rmtree(self.root, ignore_errors=True)


class ThrowawayRedis:
    def __init__(self, workdir: Path) -> None:
        self.port = free_port()
        self.workdir = workdir
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                *f"redis-server --port {self.port} --bind 127.0.0.1 --appendonly no".split(),
                *("--save", "", "--dir", str(self.workdir)),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        client = Redis(port=self.port, socket_connect_timeout=1)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                if client.ping():
                    return
            except Exception:
                time.sleep(0.05)
        raise RuntimeError("the throwaway redis-server did not start")

    def stop(self) -> None:
        if self.process is not None:
            self.process.send_signal(signal.SIGCONT)
            self.process.kill()
            self.process.wait(10)
            self.process = None


@pytest.fixture(scope="module")
def postgres() -> Iterator[ThrowawayPostgres]:
    bin_dir = postgres_bin()
    if bin_dir is None:
        pytest.fail("no PostgreSQL server binaries under /usr/lib/postgresql")
    cluster = ThrowawayPostgres(bin_dir)
    try:
        cluster.start()
        engine = make_engine(cluster.url)
        upgrade(engine)  # as `voice-router db upgrade` does: readiness wants the schema current
        engine.dispose()
        yield cluster
    finally:
        cluster.remove()


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[ThrowawayRedis]:
    if shutil.which("redis-server") is None:
        pytest.fail("no redis-server on this machine")
    server = ThrowawayRedis(tmp_path)
    server.start()
    yield server
    server.stop()


def readiness(client) -> tuple[int, dict, float]:  # type: ignore[no-untyped-def]
    started = time.monotonic()
    response = client.get("/readyz")
    return response.status_code, response.get_json(), time.monotonic() - started


def make_client(database_url: str, redis_url: str = ""):  # type: ignore[no-untyped-def]
    settings = parse_settings({"database_url": database_url, "redis_url": redis_url}, {}, "test")
    return create_app(runtime=inline_runtime(settings)).test_client()


@pytest.mark.slow
def test_postgres_stopping_flips_readiness_to_503_and_back(postgres):
    client = make_client(postgres.url)
    assert readiness(client)[:2] == (200, DATABASE_READY)

    postgres.stop()
    try:
        status, body, took = readiness(client)
        assert status == 503
        assert body["failed"] == ["database"]
        assert body["checks"]["database"].startswith("unreachable: ")
        assert took < SLOW
        assert client.get("/healthz").status_code == 200  # liveness does not depend on it
    finally:
        postgres.start()

    assert readiness(client)[:2] == (200, DATABASE_READY)


def test_a_frozen_postgres_fails_the_probe_quickly_instead_of_hanging(postgres):
    client = make_client(postgres.url)
    assert readiness(client)[0] == 200

    os.kill(postgres.postmaster_pid(), signal.SIGSTOP)  # accepts TCP, never answers
    try:
        status, body, took = readiness(client)
        assert (status, body["failed"]) == (503, ["database"])
        assert took < SLOW
    finally:
        os.kill(postgres.postmaster_pid(), signal.SIGCONT)

    assert readiness(client)[0] == 200


def test_redis_stopping_flips_readiness_to_503_and_back(redis_server, tmp_path):
    client = make_client(f"sqlite:///{tmp_path / 'vr.db'}", redis_server.url)
    ok = {"ready": True, "checks": {"database": "ok", "schema": "ok", "redis": "ok"}, "failed": []}
    assert readiness(client)[:2] == (200, ok)

    redis_server.stop()
    status, body, took = readiness(client)
    assert status == 503
    assert body["failed"] == ["redis"]
    assert body["checks"] == {"database": "ok", "schema": "ok", "redis": body["checks"]["redis"]}
    assert body["checks"]["redis"].startswith("unreachable: ")
    assert took < SLOW

    redis_server.start()
    assert readiness(client)[:2] == (200, ok)


def test_a_frozen_redis_fails_the_probe_quickly_instead_of_hanging(redis_server, tmp_path):
    client = make_client(f"sqlite:///{tmp_path / 'vr.db'}", redis_server.url)
    assert readiness(client)[0] == 200

    redis_server.process.send_signal(signal.SIGSTOP)
    try:
        status, body, took = readiness(client)
        assert (status, body["failed"]) == (503, ["redis"])
        assert took < SLOW
    finally:
        redis_server.process.send_signal(signal.SIGCONT)

    assert readiness(client)[0] == 200


def test_without_redis_configured_only_the_database_is_checked(tmp_path):
    client = make_client(f"sqlite:///{tmp_path / 'vr.db'}")
    assert readiness(client)[:2] == (200, DATABASE_READY)


def test_metrics_still_answer_while_postgres_is_down_and_say_so(postgres):
    client = make_client(postgres.url)
    postgres.stop()
    try:
        started = time.monotonic()
        response = client.get("/metrics")
        took = time.monotonic() - started
    finally:
        postgres.start()
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    assert 'voice_router_state_up{check="database"} 0.0' in text
    assert "voice_router_deliveries_total" in text  # the counters are still there
    assert took < SLOW
