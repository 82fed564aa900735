"""The default set-up under load: `voice-router serve` on SQLite with no Redis — webhooks,
processing, Jira in one service — against a bare Flask endpoint in the same run, served as
serve was when issue 11 set the target (gunicorn with voice-router's own settings; serve itself
has run granian since issue 15, so the ratio now includes the cheaper server).

    python bench/serve.py [--duration 10] [--rounds 2]

Per round:

- `bare`: bench/bare_app.py under gunicorn with voice_router/gunicorn_config.py and as many
  processes of 64 threads as `serve` runs by default (one per core plus one:
  `voice_router.cli.service.web_processes`);
- `serve`: `voice-router serve` on a fresh SQLite file, no Redis, the job runner processing
  while wrk posts pre-signed distinct generic deliveries (bench/intake.lua, wrk -t2 -c32);
  then the time until every accepted delivery is processed, and the pain points per second
  processed from the first 202 to the last one processed.

Then, once: the 202's latency while Jira never answers — `serve` with `[jira].url` pointing at
a socket that accepts connections and never answers, deliveries for ever new problems (each a
Jira create that hangs), posted by 4 threads at a steady --jira-rate (20/s) for --jira-seconds;
p50/p99.

Targets (issue 11): serve ≥ 0.3x bare; every accepted delivery processed within 60 s after
the run; the 202's p99 while Jira hangs under 50 ms.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any

from common import (
    BENCH,
    BIN,
    ROOT,
    generic_body,
    log,
    machine,
    percentile,
    sign_generic,
    stop,
    temp_dir,
    wait_http,
    write_config,
    write_result,
)
from intake import Requests, free_port, run_wrk, tree_cpu_seconds

from voice_router.cli.service import web_processes

TARGET_RATIO = 0.3
TARGET_P99_MS = 50.0
DRAIN_LIMIT_S = 60.0


def count(database_url: str, where: str = "") -> int:
    import sqlalchemy as sa

    from voice_router.platform.db import make_engine

    engine = make_engine(database_url)
    try:
        with engine.connect() as connection:
            sql = f"SELECT count(*) FROM delivery {where}"
            return int(connection.execute(sa.text(sql)).scalar_one())
    finally:
        engine.dispose()


def start(command: list[str], env: dict[str, str], log_path: Path, url: str) -> subprocess.Popen:
    handle = open(log_path, "ab")  # noqa: SIM115
    server = subprocess.Popen(command, env=env, stdout=handle, stderr=subprocess.STDOUT)
    try:
        wait_http(f"{url}/healthz", timeout=60)
    except RuntimeError:
        stop(server)
        raise RuntimeError(log_path.read_text(errors="replace")[-3000:]) from None
    time.sleep(1.0)
    return server


WEB_PROCESSES = str(web_processes())  # serve's default on this machine, for both targets


def serve_command(port: int) -> list[str]:
    return [str(BIN / "voice-router"), "serve", "--port", str(port), "--workers", WEB_PROCESSES]


def measure(target: str, args: argparse.Namespace, requests: Requests, workdir: Path) -> dict:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(workdir / f"metrics-{target}")}
    Path(env["PROMETHEUS_MULTIPROC_DIR"]).mkdir(exist_ok=True)
    database_url = ""
    if target == "bare":
        command = [
            str(BIN / "gunicorn"), "-c", str(ROOT / "voice_router" / "gunicorn_config.py"),
            "-b", f"127.0.0.1:{port}", "-w", WEB_PROCESSES, f"--pythonpath={BENCH}", "bare_app:app",
        ]  # fmt: skip
    else:
        database_url = f"sqlite:///{workdir / f'serve-{requests.files}.db'}"
        config = write_config(workdir / "serve.toml", database_url, log_level="warning")
        env["VOICE_ROUTER_CONFIG"] = str(config)
        command = serve_command(port)
    server = start(command, env, workdir / f"{target}.log", url)
    try:
        prefix, stamp = requests.write(int(args.warmup * args.max_rate))
        run_wrk(url + "/webhooks/generic", prefix, stamp, 2, args.connections, args.warmup)
        requests.remove(prefix)
        time.sleep(1.0)
        if database_url:  # measure from an empty inbox
            drained(database_url, DRAIN_LIMIT_S)
            before = count(database_url, "WHERE status = 'processed'")
        prefix, stamp = requests.write(int(args.duration * args.max_rate))
        cpu_before = tree_cpu_seconds(server.pid)
        began = time.monotonic()
        run = run_wrk(url + "/webhooks/generic", prefix, stamp, 2, args.connections, args.duration)
        ended = time.monotonic()
        requests.remove(prefix)
        result: dict[str, Any] = {"target": target}
        if database_url:
            drain_s = drained(database_url, DRAIN_LIMIT_S * 3)
            processed = count(database_url, "WHERE status = 'processed'") - before
            result.update(
                drained_after_run_s=round(drain_s, 2),
                processed=processed,
                pain_points_per_s=round(processed / (ended - began + drain_s), 1),
            )
        cpu = sum(a - b for a, b in zip(tree_cpu_seconds(server.pid), cpu_before, strict=True))
    finally:
        stop(server)
    seconds = run["duration_us"] / 1e6
    errors = sum(run[k] for k in ("connect_errors", "read_errors", "write_errors", "timeouts"))
    accepted = run["requests"] - run["status_errors"] - errors
    result.update(
        accepted=accepted,
        non_2xx=run["status_errors"],
        socket_errors=errors,
        accepted_per_s=round(accepted / seconds, 1),
        p50_ms=round(run["p50_us"] / 1000, 2),
        p99_ms=round(run["p99_us"] / 1000, 2),
        server_cpu_us_per_request=round(cpu / max(1, run["requests"]) * 1e6),
    )
    return result


def drained(database_url: str, limit: float) -> float:
    """Seconds until no delivery is pending (the whole limit if it never gets there)."""
    started = time.monotonic()
    while time.monotonic() - started < limit:
        if count(database_url, "WHERE status = 'pending'") == 0:
            return time.monotonic() - started
        time.sleep(0.2)
    return limit


class BlackHole:
    """Accepts connections and never answers: a Jira that hangs."""

    def __init__(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0), backlog=512)
        self.url = f"http://127.0.0.1:{self.listener.getsockname()[1]}"
        self.held: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                self.held.append(self.listener.accept()[0])
            except OSError:
                return


def jira_hangs(args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    hole = BlackHole()
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    database_url = f"sqlite:///{workdir / 'jira-hangs.db'}"
    config = workdir / "jira-hangs.toml"
    write_config(config, database_url, log_level="warning")
    with config.open("a") as handle:
        handle.write(
            f'\n[jira]\nurl = "{hole.url}"\nemail = "bot@example.com"\napi_token = "x"\n'
            "update_interval_seconds = 0\n"
        )
    env = {**os.environ, "VOICE_ROUTER_CONFIG": str(config)}
    env["PROMETHEUS_MULTIPROC_DIR"] = str(workdir / "metrics-jira")
    Path(env["PROMETHEUS_MULTIPROC_DIR"]).mkdir(exist_ok=True)
    server = start(serve_command(port), env, workdir / "jira-hangs.log", url)
    latencies: list[float] = []
    statuses: list[int] = []
    lock = threading.Lock()
    deadline = time.monotonic() + args.jira_seconds

    def sender(offset: int) -> None:
        n = offset
        while time.monotonic() < deadline:
            body = json.loads(generic_body(requests_population, n, "2026-12-01T10:00:00+00:00"))
            body["tags"] = [f"pain-hang-{n}"]  # a new problem: a Jira create each
            raw = json.dumps(body).encode()
            headers = {"Content-Type": "application/json", **sign_generic(raw)}
            request = urllib.request.Request(f"{url}/webhooks/generic", raw, headers)
            began = time.monotonic()
            with urllib.request.urlopen(request, timeout=30) as answer:
                status = answer.status
            took = time.monotonic() - began
            with lock:
                latencies.append(took)
                statuses.append(status)
            time.sleep(max(0.0, 4 / args.jira_rate - took))
            n += 4

    from common import Population

    requests_population = Population()
    threads = [threading.Thread(target=sender, args=(i,)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    try:
        drain_s = drained(database_url, DRAIN_LIMIT_S * 3)
    finally:
        stop(server)
    return {
        "deliveries": len(latencies),
        "non_202": sum(1 for s in statuses if s != 202),
        "p50_ms": round(percentile(latencies, 50) * 1000, 2),
        "p99_ms": round(percentile(latencies, 99) * 1000, 2),
        "max_ms": round(max(latencies) * 1000, 2),
        "jira_connections_hanging": len(hole.held),
        "drained_after_s": round(drain_s, 2),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument("--warmup", type=float, default=2.0)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--max-rate", type=float, default=6000)
    parser.add_argument("--jira-seconds", type=float, default=20.0)
    parser.add_argument(
        "--jira-rate", type=float, default=20.0, help="deliveries/s while Jira hangs"
    )
    args = parser.parse_args()
    runs: list[dict[str, Any]] = []
    with temp_dir("vr-bench-serve-") as workdir:
        requests = Requests(workdir, 2)
        for round_no in range(1, args.rounds + 1):
            for target in ("bare", "serve"):
                log(f"round {round_no}: {target} ...")
                result = measure(target, args, requests, workdir)
                result["round"] = round_no
                runs.append(result)
                log(f"  {json.dumps(result)}")
        log("Jira that never answers ...")
        hangs = jira_hangs(args, workdir)
        log(f"  {json.dumps(hangs)}")
    medians = {
        t: statistics.median(r["accepted_per_s"] for r in runs if r["target"] == t)
        for t in ("bare", "serve")
    }
    ratio = round(medians["serve"] / medians["bare"], 2)
    serve_runs = [r for r in runs if r["target"] == "serve"]
    data = {
        "benchmark": "serve",
        "machine": machine(),
        "runs": runs,
        "median_accepted_per_s": medians,
        "ratio_to_bare": ratio,
        "jira_never_answers": hangs,
        "meets_target": (
            ratio >= TARGET_RATIO
            and all(r["drained_after_run_s"] < DRAIN_LIMIT_S for r in serve_runs)
            and hangs["p99_ms"] < TARGET_P99_MS
        ),
    }
    path = write_result("serve", data)
    print(f"{'target':<8}{'round':>6}{'accepted/s':>12}{'p50 ms':>9}{'p99 ms':>9}"
          f"{'drained s':>11}{'pain points/s':>15}")  # fmt: skip
    for r in runs:
        print(
            f"{r['target']:<8}{r['round']:>6}{r['accepted_per_s']:>12.0f}{r['p50_ms']:>9.1f}"
            f"{r['p99_ms']:>9.1f}{r.get('drained_after_run_s', ''):>11}"
            f"{r.get('pain_points_per_s', ''):>15}"
        )
    print(f"serve: {ratio:.2f}x bare (target >= {TARGET_RATIO})")
    print(
        f"while Jira never answers: {hangs['deliveries']} deliveries, 202 p50 "
        f"{hangs['p50_ms']} ms, p99 {hangs['p99_ms']} ms (target < {TARGET_P99_MS:g} ms)"
    )
    print(f"-> {path.relative_to(ROOT)}")
    return 0 if data["meets_target"] else 1


if __name__ == "__main__":
    sys.exit(main())
