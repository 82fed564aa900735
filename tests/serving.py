"""voice-router as an operator runs it, for tests: `voice-router serve` (SQLite, no Redis),
or gunicorn with the shipped config plus `voice-router worker` (PostgreSQL or SQLite, rq on
Redis) — real processes on loopback ports, with a config file like an operator's."""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

import requests

from integrations import registry
from tests.support import SECRETS

ROOT = Path(__file__).parents[1]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def command_line(pid: int) -> str:
    return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()


def wait_until(check: Callable[[], Any], timeout: float = 60.0, what: str = "") -> Any:
    deadline = time.monotonic() + timeout
    while True:
        found = check()
        if found:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what or check}")
        time.sleep(0.1)


class _Listener:
    """A loopback server that hands each connection it accepts to `_accepted`."""

    def __init__(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0), backlog=128)
        self.port = self.listener.getsockname()[1]
        self.held: list[socket.socket] = []  # closed with it
        self.stopped = threading.Event()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        self.listener.settimeout(0.2)
        while not self.stopped.is_set():
            try:
                connection, _ = self.listener.accept()
            except OSError:
                continue
            self.held.append(connection)
            self._accepted(connection)

    def _accepted(self, connection: socket.socket) -> None:
        pass

    def close(self) -> None:
        self.stopped.set()
        for sock in [self.listener, *self.held]:
            with contextlib.suppress(OSError):
                sock.close()


class BlackHole(_Listener):
    """A server that accepts connections and never answers: a Jira that hangs."""

    def __init__(self) -> None:
        super().__init__()
        self.url = f"http://127.0.0.1:{self.port}"


class FrozenRelay(_Listener):
    """A TCP relay to `target` that can freeze: it then takes connections and bytes as a
    frozen server's kernel does, and passes nothing on, until it thaws."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.flowing = threading.Event()
        self.flowing.set()
        super().__init__()

    def freeze(self) -> None:
        self.flowing.clear()

    def thaw(self) -> None:
        self.flowing.set()

    def _accepted(self, client: socket.socket) -> None:
        threading.Thread(target=self._relay, args=(client,), daemon=True).start()

    def _relay(self, client: socket.socket) -> None:
        self.flowing.wait()
        server = socket.create_connection(self.target)
        self.held.append(server)
        for source, sink in ((client, server), (server, client)):
            threading.Thread(target=self._pump, args=(source, sink), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while data := source.recv(65536):
                self.flowing.wait()
                sink.sendall(data)
        with contextlib.suppress(OSError):
            sink.shutdown(socket.SHUT_WR)

    def close(self) -> None:
        self.flowing.set()
        super().close()


def write_config(path: Path, database_url: str, **extra: Any) -> Path:
    """A config file: the generic and Zendesk sources, plus top-level keys and tables (a
    fixed `secret_key` unless `extra` names one)."""
    lines = [f'database_url = "{database_url}"']
    extra.setdefault("secret_key", "5e" * 32)
    tables: dict[str, dict[str, Any]] = {}
    for key, value in extra.items():
        if isinstance(value, dict):
            tables[key] = value
        else:
            lines.append(f"{key} = {json.dumps(value)}")
    for kind in ("generic", "zendesk"):
        lines += [f"[sources.{kind}]", f'kind = "{kind}"', f'secret = "{SECRETS[kind]}"']
        for key, value in tables.pop(f"sources.{kind}", {}).items():
            lines.append(f"{key} = {json.dumps(value)}")
    for name, table in tables.items():
        lines.append(f"[{name}]")
        lines += [f"{key} = {json.dumps(value)}" for key, value in table.items()]
    path.write_text("\n".join(lines) + "\n")
    return path


def wait_until_healthy(process: subprocess.Popen[bytes], base: str, log: Path) -> None:
    """Until `base` answers GET /healthz with 200 (listening, workers booted); fails with
    the process's log when it exits first or a minute passes."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert process.poll() is None, log.read_text(errors="replace")
        try:
            if requests.get(f"{base}/healthz", timeout=2).status_code == 200:
                return
        except requests.RequestException:  # listening, workers still booting
            pass
        time.sleep(0.1)
    raise AssertionError(f"{base} did not come up:\n" + log.read_text(errors="replace"))


class Process:
    """One long-running voice-router process (serve, gunicorn or a worker)."""

    def __init__(self, command: list[str], config: Path, log: Path, port: int | None) -> None:
        self.command, self.config, self.log, self.port = command, config, log, port
        self.base = f"http://127.0.0.1:{port}" if port else ""
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> Process:
        env = {k: v for k, v in os.environ.items() if k not in ("WEB_CONCURRENCY",)}
        env["VOICE_ROUTER_CONFIG"] = str(self.config)
        env["PATH"] = f"{Path(sys.executable).parent}:{env.get('PATH', '')}"
        metrics = self.log.with_suffix(".metrics")
        metrics.mkdir(exist_ok=True)
        env["PROMETHEUS_MULTIPROC_DIR"] = str(metrics)
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                self.command,
                cwd=ROOT,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group, web workers included
                preexec_fn=ends_with_this_process(),  # and not left serving if pytest dies
            )
        if self.port:
            wait_until_healthy(self.process, self.base, self.log)
        return self

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def kill(self) -> None:
        """SIGKILL every process of it (gunicorn's workers too): no shutdown, no cleanup,
        as a power cut would."""
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.kill()


_PR_SET_PDEATHSIG = 1  # linux/prctl.h
_prctl = ctypes.CDLL(None, use_errno=True).prctl


def processes_of(config: Path) -> list[int]:
    """Every process started for the server that reads `config`: its main process and all it
    started (web processes, gunicorn's dirty arbiter, the job runner), which inherit the
    variable that names it."""
    wanted = f"VOICE_ROUTER_CONFIG={config}".encode()
    found = []
    for entry in Path("/proc").iterdir():
        with contextlib.suppress(OSError):
            if entry.name.isdigit() and wanted in (entry / "environ").read_bytes().split(b"\0"):
                found.append(int(entry.name))
    return found


def left_by_a_dying_test(script: str, folder: Path) -> list[int]:
    """Run `script` in a child python, as a test process that starts a server on
    `folder`/vr.toml and dies before its teardown (`os._exit(1)`); then wait up to 30 s for
    every process of that server to go. Those still there are killed, and returned."""
    test = subprocess.run(
        [sys.executable, "-c", script, str(folder)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert test.returncode == 1, test.stderr
    config = folder / "vr.toml"
    deadline = time.monotonic() + 30  # gunicorn stops its workers gracefully
    while processes_of(config) and time.monotonic() < deadline:
        time.sleep(0.2)
    left = processes_of(config)
    for pid in left:
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)
    return left


def ends_with_this_process() -> Callable[[], None]:
    """A `preexec_fn` for Popen: the child gets SIGTERM when the thread that starts it (the
    test's) ends, however it ends — a run cut short by `timeout`, SIGKILL, a crash — and not
    only at a teardown that may never come: a server nobody stops serves on, orphaned, for
    good. Linux's PR_SET_PDEATHSIG, looked up before the fork (the child only calls it)."""
    parent, signum = os.getpid(), int(signal.SIGTERM)

    def preexec() -> None:
        _prctl(_PR_SET_PDEATHSIG, signum)
        if os.getppid() != parent:  # gone before it was set: no signal will come
            os._exit(1)

    return preexec


def start_group(command: list[str], env: dict[str, str], out: IO[bytes]) -> subprocess.Popen[bytes]:
    """A server's process for a test, its output to `out`: in a session of its own, so that
    `stop_group` stops it with all it starts, and ending with the test's process."""
    return subprocess.Popen(
        command,
        cwd=ROOT,
        env=env,
        stdout=out,
        stderr=subprocess.STDOUT,
        start_new_session=True,
        preexec_fn=ends_with_this_process(),
    )


def stop_group(process: subprocess.Popen[Any], seconds: float = 30) -> None:
    """Stop a process started with `start_new_session`, and everything it started: SIGTERM,
    then, once it has exited or `seconds` have passed, SIGKILL to whatever of its process
    group is left (a child it did not stop, or all of it). Its group is signalled before
    the process is reaped, while its id cannot name anyone else's group."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + seconds
        waiting = os.WEXITED | os.WNOHANG | os.WNOWAIT
        while os.waitid(os.P_PID, process.pid, waiting) is None and time.monotonic() < deadline:
            time.sleep(0.1)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
    process.wait(10)


def terminate(process: subprocess.Popen[Any]) -> None:
    """SIGTERM, then SIGKILL if it has not exited 30 s later."""
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(10)


def serve(config: Path, log: Path, workers: int = 2) -> Process:
    port = free_port()
    command = [
        sys.executable, "-m", "voice_router", "serve", "--port", str(port),
        "--workers", str(workers),
    ]  # fmt: skip
    return Process(command, config, log, port)


def gunicorn(config: Path, log: Path, workers: int = 2, settings_file: bool = True) -> Process:
    """gunicorn serving the app, with deploy/gunicorn.conf.py unless `settings_file` is off."""
    port = free_port()
    settings = ["-c", "deploy/gunicorn.conf.py"] if settings_file else []
    command = [
        sys.executable, "-m", "gunicorn", *settings,
        "-b", f"127.0.0.1:{port}", "-w", str(workers), "voice_router.web:create_app()",
    ]  # fmt: skip
    return Process(command, config, log, port)


def worker(config: Path, log: Path) -> Process:
    return Process([sys.executable, "-m", "voice_router", "worker"], config, log, None)


def post_delivery(base: str, kind: str, body: dict[str, Any], timeout: float = 10) -> Any:
    raw = json.dumps(body).encode()
    headers = {
        "Content-Type": "application/json",
        **registry.adapter(kind).sign(raw, SECRETS[kind]),
    }
    return requests.post(f"{base}/webhooks/{kind}", data=raw, headers=headers, timeout=timeout)
