"""deploy/gunicorn.conf.py under real gunicorn, as the image, compose and Kubernetes run it:
a chunked body over `max_body_bytes` is a 413 on every path, like one with a Content-Length."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from integrations import registry
from tests.support import SECRETS, generic_delivery
from voice_router.db import make_engine, upgrade
from voice_router.tokens import create_token

ROOT = Path(__file__).parents[1]
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Gunicorn:
    """gunicorn with the shipped config on a loopback port and a fresh SQLite database;
    `flags` are added to the command line the way an operator would add them."""

    def __init__(self, tmp_path: Path, *flags: str, max_body_bytes: int = 1048576) -> None:
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
        self.log = tmp_path / "gunicorn.log"
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
        with self.log.open("wb") as out:
            self.process = subprocess.Popen(
                command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT
            )
        try:
            self.wait_until_up()
        except BaseException:
            self.stop()
            raise

    def wait_until_up(self) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            assert self.process.poll() is None, self.log.read_text()
            try:
                if requests.get(f"{self.base}/healthz", timeout=2).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.1)
        raise AssertionError("gunicorn did not come up:\n" + self.log.read_text())

    def connect(self) -> socket.socket:
        return socket.create_connection(("127.0.0.1", self.port), timeout=10)

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(10)
        self.engine.dispose()


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Gunicorn]:
    started = Gunicorn(tmp_path)
    yield started
    started.stop()


def request_head(path: str, content_length: int) -> bytes:
    return (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        f"Content-Length: {content_length}\r\n\r\n"
    ).encode()


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


@pytest.fixture
def small_server(tmp_path: Path) -> Iterator[Gunicorn]:
    started = Gunicorn(tmp_path, max_body_bytes=4096)
    yield started
    started.stop()


def test_a_chunked_webhook_of_exactly_the_limit_is_accepted(small_server):
    raw, headers = signed_of_length(4096)
    url = f"{small_server.base}/webhooks/generic"
    response = requests.post(url, data=chunked(raw), headers=headers, timeout=30)
    assert response.request.headers["Transfer-Encoding"] == "chunked"
    assert response.status_code == 202, response.text


def test_a_chunked_webhook_one_byte_over_the_limit_is_413(small_server):
    raw, headers = signed_of_length(4097)
    url = f"{small_server.base}/webhooks/generic"
    response = requests.post(url, data=chunked(raw), headers=headers, timeout=30)
    assert response.request.headers["Transfer-Encoding"] == "chunked"
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
