"""Both web servers as they are run: gunicorn with deploy/gunicorn.conf.py (the image, compose
and Kubernetes) and `voice-router serve` (granian, voice_router/server.py). Slow senders do not
starve /healthz, a sender that stalls gets a 408 and one that trickles does not, and a chunked
body over `max_body_bytes` is a 413 on every path, like one with a Content-Length."""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import re
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from integrations import registry
from tests.serving import (
    free_port,
    left_by_a_dying_test,
    start_group,
    stop_group,
    wait_until_healthy,
)
from tests.support import SECRETS, generic_delivery
from voice_router.platform.db import make_engine, upgrade
from voice_router.platform.tokens import create_token

pytestmark = pytest.mark.slow

ROOT = Path(__file__).parents[1]
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


SERVERS = ["gunicorn", "serve"]


class Server:
    """gunicorn with the shipped config, or `voice-router serve`, on a loopback port and a
    fresh SQLite database; `flags` are added to the command line the way an operator would
    add them."""

    def __init__(
        self, tmp_path: Path, kind: str, *flags: str, max_body_bytes: int = 1048576
    ) -> None:
        database = tmp_path / "vr.db"
        self.engine = make_engine(f"sqlite:///{database}")
        upgrade(self.engine)  # before the workers race to migrate
        config = tmp_path / "vr.toml"
        config.write_text(
            f'database_url = "sqlite:///{database}"\n'
            f"max_body_bytes = {max_body_bytes}\n"
            f'secret_key = "{"5e" * 32}"\n'  # one for every worker: their CSRF tokens agree
            f'[sources.generic]\nkind = "generic"\nsecret = "{SECRETS["generic"]}"\n'
        )
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = tmp_path / f"{kind}.log"
        metrics = tmp_path / "metrics"
        metrics.mkdir()
        env = {
            key: value
            for key, value in os.environ.items()
            if key not in ("WEB_CONCURRENCY", "GUNICORN_CMD_ARGS")  # the shipped defaults
        }
        env.update(VOICE_ROUTER_CONFIG=str(config), PROMETHEUS_MULTIPROC_DIR=str(metrics))
        command = [
            sys.executable, "-m", "gunicorn", "-c", "deploy/gunicorn.conf.py",
            "-b", f"127.0.0.1:{self.port}", *flags, "voice_router.web:create_app()",
        ]  # fmt: skip
        if kind == "serve":
            serve = ["serve", "--port", str(self.port), "--workers", "2", *flags]
            command = [sys.executable, "-m", "voice_router", *serve]
        with self.log.open("wb") as out:
            self.process = start_group(command, env, out)
        try:
            self.wait_until_up()
        except BaseException:
            self.stop()
            raise

    def wait_until_up(self) -> None:
        wait_until_healthy(self.process, self.base, self.log)

    def connect(self) -> socket.socket:
        return socket.create_connection(("127.0.0.1", self.port), timeout=10)

    def stop(self) -> None:
        stop_group(self.process)
        self.engine.dispose()


@pytest.mark.parametrize("kind", SERVERS)
def test_a_server_a_test_started_goes_with_the_test_process_that_dies(tmp_path, kind):
    """A test process killed before its teardown (the run cut short by `timeout`, a crash,
    SIGKILL) left its server running: an orphaned gunicorn master with its workers and
    job runner, serving on for good."""
    started = (
        "import os, sys\n"
        "from pathlib import Path\n"
        "from tests.test_web_servers import Server\n"
        f"server = Server(Path(sys.argv[1]), {kind!r}, '--timeout', '2')\n"
        "os._exit(1)\n"
    )
    log = tmp_path / f"{kind}.log"
    assert not left_by_a_dying_test(started, tmp_path), log.read_text()[-3000:]


@pytest.fixture(params=SERVERS)
def server(request, tmp_path: Path) -> Iterator[Server]:  # type: ignore[no-untyped-def]
    started = Server(tmp_path, request.param)
    yield started
    started.stop()


def request_head(path: str, content_length: int) -> bytes:
    return (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        f"Content-Length: {content_length}\r\n\r\n"
    ).encode()


# -- slow senders ---------------------------------------------------------------------------


class Trickle:
    """Connections that each announce a large body and then send it a byte at a time, every
    `every` seconds, from one background thread, until stopped."""

    def __init__(self, connections: list[socket.socket], every: float = 0.2) -> None:
        self.connections = connections
        self.every = every
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def run(self) -> None:
        while not self.stopped.wait(self.every):
            for connection in self.connections:
                with contextlib.suppress(OSError):  # closed by the server: see `pending`
                    connection.sendall(b" ")

    def stop(self) -> None:
        self.stopped.set()
        self.thread.join(10)


def pending(connection: socket.socket) -> bool:
    """Still open, and not answered yet."""
    connection.setblocking(False)
    try:
        connection.recv(1)  # the first byte of an answer, or b"" once closed
    except BlockingIOError:
        return True
    except OSError:
        return False
    finally:
        connection.setblocking(True)
    return False


def healthz_seconds(base: str) -> float:
    """How long GET /healthz took, on a new connection; infinity when it did not answer 200
    within 5 s."""
    started = time.monotonic()
    try:
        response = requests.get(f"{base}/healthz", timeout=5)
    except requests.RequestException:
        return float("inf")
    elapsed = time.monotonic() - started
    return elapsed if response.status_code == 200 else float("inf")


def test_healthz_answers_in_under_a_second_while_50_senders_trickle_their_bodies(server):
    slow = []
    try:
        for _ in range(50):
            connection = server.connect()
            connection.sendall(request_head("/webhooks/generic", 1_000_000) + b"{")
            slow.append(connection)
        trickle = Trickle(slow)
        time.sleep(1.0)  # every sender's headers read, every body being waited for
        timings = []
        for _ in range(5):
            timings.append(healthz_seconds(server.base))
            if timings[-1] == float("inf"):
                break
        trickle.stop()
        assert max(timings) < 1.0, f"/healthz took {timings} s"
        assert all(pending(connection) for connection in slow), "a slow sender was dropped"
    finally:
        for connection in slow:
            connection.close()


CHUNKED_HEAD = (
    b"POST /webhooks/generic HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
    b"Transfer-Encoding: chunked\r\n\r\n7\r\n"
)


@pytest.mark.parametrize("kind", SERVERS)
@pytest.mark.parametrize("framing", ["content-length", "chunked"])
def test_a_sender_that_stalls_mid_body_is_answered_408_after_the_timeout(tmp_path, kind, framing):
    """gunicorn: a socket timeout set per request (a sync worker's heartbeat did it before
    threads). serve: granian waits for a body for ever, and voice_router/web/stalled.py cuts
    the connection's reading side, so the read ends and the request is answered."""
    server = Server(tmp_path, kind, "--timeout", "2")
    head = request_head("/webhooks/generic", 1000) if framing == "content-length" else CHUNKED_HEAD
    try:
        with server.connect() as connection:
            connection.settimeout(30)
            connection.sendall(head + b'{"id": ')
            answer = http.client.HTTPResponse(connection)
            answer.begin()  # http.client.RemoteDisconnected: closed without an answer
            assert answer.status == 408
            assert json.loads(answer.read())["error"] == "request_timeout"
        assert healthz_seconds(server.base) < 5  # the worker lives on
    finally:
        server.stop()


@pytest.mark.parametrize("kind", SERVERS)
def test_a_sender_that_trickles_its_body_within_the_timeout_is_not_cut(tmp_path, kind):
    """The timeout bounds each wait for the sender's next bytes, not the whole body: a byte
    every half second for four seconds, with a 2-second timeout, is taken."""
    raw, headers = signed_of_length(600)
    server = Server(tmp_path, kind, "--timeout", "2")
    head = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
    try:
        with server.connect() as connection:
            connection.settimeout(30)
            connection.sendall(
                f"POST /webhooks/generic HTTP/1.1\r\nHost: 127.0.0.1\r\n{head}"
                f"Content-Length: {len(raw)}\r\n\r\n".encode()
                + raw[:-8]
            )
            for byte in raw[-8:]:
                time.sleep(0.5)
                connection.sendall(bytes([byte]))
            answer = http.client.HTTPResponse(connection)
            answer.begin()
            assert answer.status == 202, answer.read()
    finally:
        server.stop()


# -- bodies without a Content-Length -----------------------------------------------------------


def signed_of_length(length: int) -> tuple[bytes, dict[str, str]]:
    """A generic delivery padded with JSON whitespace to exactly `length` bytes, and the
    headers that sign it."""
    raw = json.dumps(generic_delivery("T1", "a@acme.example", ["pain-export"])).encode()
    assert len(raw) <= length
    raw = raw[:-1] + b" " * (length - len(raw)) + b"}"
    headers = {"Content-Type": "application/json"}
    headers.update(registry.adapter("generic").sign(raw, SECRETS["generic"]))
    return raw, headers


def chunked(raw: bytes) -> Iterator[bytes]:
    """A body requests sends with Transfer-Encoding: chunked (no Content-Length)."""
    for start in range(0, len(raw), 1000):
        yield raw[start : start + 1000]


@pytest.fixture(params=SERVERS)
def small_server(request, tmp_path: Path) -> Iterator[Server]:  # type: ignore[no-untyped-def]
    started = Server(tmp_path, request.param, max_body_bytes=4096)
    yield started
    started.stop()


def post_chunked(server: Server, length: int) -> requests.Response:
    """A signed generic webhook of `length` bytes, sent chunked (no Content-Length)."""
    raw, headers = signed_of_length(length)
    url = f"{server.base}/webhooks/generic"
    response = requests.post(url, data=chunked(raw), headers=headers, timeout=30)
    assert response.request.headers["Transfer-Encoding"] == "chunked"
    return response


def test_a_chunked_webhook_of_exactly_the_limit_is_accepted(small_server):
    response = post_chunked(small_server, 4096)
    assert response.status_code == 202, response.text


def test_a_chunked_webhook_one_byte_over_the_limit_is_413(small_server):
    response = post_chunked(small_server, 4097)
    assert response.status_code == 413, response.text
    assert response.json()["error"] == "payload_too_large"
    with small_server.engine.connect() as connection:
        assert connection.exec_driver_sql("SELECT count(*) FROM delivery").scalar_one() == 0


def test_a_chunked_api_body_over_the_limit_is_413(small_server):
    token = create_token(small_server.engine, "agent", "Agent")
    body = json.dumps({"body": "x" * 5000}).encode()
    response = requests.post(
        f"{small_server.base}/api/v1/problems/1/notes",
        data=chunked(body),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        timeout=30,
    )
    assert response.status_code == 413, response.text
    assert response.json()["error"] == "payload_too_large"


def test_a_chunked_form_post_over_the_limit_is_413_not_a_cut_form(small_server):
    """The fields the server would read first fit under the limit: a form cut at the limit
    would sign in."""
    browser = requests.Session()
    page = browser.get(f"{small_server.base}/login", timeout=30)
    csrf = CSRF.search(page.text)
    assert csrf, "no CSRF token on the sign-in page"
    token = create_token(small_server.engine, "agent", "Agent")
    form = f"csrf_token={csrf.group(1)}&token={token}&next=&padding={'x' * 5000}".encode()
    response = browser.post(
        f"{small_server.base}/login",
        data=chunked(form),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        allow_redirects=False,
        timeout=30,
    )
    assert response.status_code == 413, response.text


def stopped_gunicorn(
    tmp_path: Path, env: dict[str, str], shipped_settings: bool = True
) -> subprocess.CompletedProcess[str]:
    """gunicorn on voice-router's app, with deploy/gunicorn.conf.py or without; run until
    it stops by itself."""
    flags = ["-c", "deploy/gunicorn.conf.py"] if shipped_settings else []
    command = [
        sys.executable, "-m", "gunicorn", *flags,
        "-b", f"127.0.0.1:{free_port()}", "voice_router.web:create_app()",
    ]  # fmt: skip
    (tmp_path / "metrics").mkdir(exist_ok=True)  # only the shipped settings make it
    metrics = {"PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "metrics")}
    return subprocess.run(
        command,
        cwd=ROOT,
        env={**os.environ, **metrics, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def voice_router_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("voice-router: ")]


def test_gunicorn_with_the_shipped_settings_stops_on_a_bad_config_with_one_line(tmp_path):
    """The image's web command: a bad setting was a 30-line traceback in the container's
    log; it is the one line (and exit status 2) `voice-router serve` gives."""
    config = tmp_path / "vr.toml"
    config.write_text(f'database_url = "sqlite:///{tmp_path / "vr.db"}"\n')
    env = {"VOICE_ROUTER_CONFIG": str(config), "VOICE_ROUTER_MAX_BODY_BYTES": "1MB"}
    result = stopped_gunicorn(tmp_path, env)
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    expected = "voice-router: configuration error: VOICE_ROUTER_MAX_BODY_BYTES: expected a whole"
    assert [line for line in result.stderr.splitlines() if line.startswith(expected)]


def test_plain_gunicorn_stops_on_a_bad_config_with_one_line(tmp_path):
    """`gunicorn 'voice_router.web:create_app()'` without deploy/gunicorn.conf.py: each web
    process printed the traceback of the ConfigError it built the app into."""
    config = tmp_path / "vr.toml"
    config.write_text(f'database_url = "sqlite:///{tmp_path / "vr.db"}"\nbogus = 1\n')
    result = stopped_gunicorn(tmp_path, {"VOICE_ROUTER_CONFIG": str(config)}, False)
    assert result.returncode == 3, result.stderr  # gunicorn's "Worker failed to boot."
    assert "Traceback" not in result.stderr
    assert voice_router_lines(result.stderr) == [
        f"voice-router: configuration error: {config}: unknown key 'bogus'"
    ]
