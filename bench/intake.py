"""Webhook intake under gunicorn on loopback, against a bare Flask endpoint in the same run.

    python bench/intake.py [--duration 10] [--rounds 2] [--no-postgres] [--granian]

For every round it serves, one after the other and with the same gunicorn worker settings
(`--workers`, `--worker-class`, `--gthreads`),

- `bare`: bench/bare_app.py, a route that reads the body and answers 202;
- `sqlite`: voice-router as users run it, `gunicorn -c deploy/gunicorn.conf.py
  'voice_router.web:create_app()'` (the config's workers and bind overridden by the flags
  above), on a fresh SQLite file (WAL) with `redis_url` set, so each accepted delivery is
  verified, stored and a drain job is (coalesced-)enqueued in Redis, but nothing is
  processed in the web process;
- `postgresql`: the same on a fresh PostgreSQL database (unless --no-postgres);

What the deploy config adds for voice-router and not for bare Flask: prometheus_client's
multiprocess mode (PROMETHEUS_MULTIPROC_DIR, here a fresh directory per run: every counter
update writes to a memory-mapped file), its JSON logging at INFO to stderr (a file here), the
`pre_request` hook (each request's socket gets the 60 s timeout) and its start-up hooks (no
dirty worker: redis_url is set). Bare Flask gets the config's server settings that are not
voice-router's (`--timeout 60 --graceful-timeout 20 --worker-tmp-dir /dev/shm`) and gunicorn's
own logging. `--no-config` serves both as before 2026-12-05 (no config, gunicorn's defaults);
`--config-ab` adds `<database>-noconfig`, voice-router without the config, to measure what it
costs in the same run.
- with --reference, `minimal-sqlite` and `minimal-postgresql`: bench/minimal_app.py, the
  "minimal signed intake" of notes/performance.md (HMAC check + one INSERT, nothing else) on
  the same fresh databases: the least any implementation that verifies and stores pays.

wrk (2 threads, 32 connections by default, on the same 2 cores) POSTs pre-signed, all
distinct generic deliveries (bench/intake.lua), signed just before each run because the
generic scheme allows 5 minutes of clock skew. The figures per target: accepted/s (202s per
second; for voice-router also checked against the rows that landed in the inbox), wrk's
p50/p99 latency, the server's CPU time per request and, on PostgreSQL, the database
server's CPU time per request (PostgreSQL shares the 2 cores). The headline is the ratio of
voice-router's accepted/s to the bare app's (target ≥ 0.7, issue 15); the ratio of CPU time per
request is given too, as it moves far less with other load on a shared machine. `--app`
serves another app factory in voice-router's place, to A/B a candidate change; `--base DIR`
serves a second source tree (`git worktree add DIR COMMIT`, with its own deploy config)
right after each database's voice-router run (right before it in even rounds, as for
`-noconfig`), as `<database>-base`, to A/B two commits in the same run. On PostgreSQL the
rows of each run tell how many deliveries one commit stored (`per commit`: the group
commit's average group size; the rows of one transaction share its xmin).

`--granian` adds, in each round, the same bare app and voice-router (same redis_url set-up,
so only the server differs) served by granian's WSGI server (`bare-granian`, `sqlite-granian`,
`postgresql-granian`; `--granian-workers` processes of `--blocking-threads` threads): the
ratio stays against bare Flask on gunicorn, as issue 15 states it, and bare Flask on granian
is there for like against like.

`--serve` adds `serve`: `voice-router serve --workers 3` (serve's default on 2 cores) as the
small team runs it, on a fresh SQLite file with no redis_url, so its job runner processes the
deliveries while wrk posts them (intake and processing take turns at SQLite's one write
lock); with --pythonpath, the serve of that source tree (an old commit's, for a baseline).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import socket
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from common import (
    BENCH,
    BIN,
    REDIS_URL,
    ROOT,
    Population,
    create_postgres,
    drop_postgres,
    flush_redis,
    generic_body,
    log,
    machine,
    postgres_url,
    postgres_version,
    sign_generic,
    stop,
    temp_dir,
    wait_http,
    write_config,
    write_result,
)

LUA = BENCH / "intake.lua"
TICK = os.sysconf("SC_CLK_TCK")
DEFAULT_APP = "voice_router.web:create_app()"
TARGET_RATIO = 0.7
DEPLOY_TIMEOUT = 60  # voice_router/gunicorn_config.py's `timeout`


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _process_tree(pid: int) -> dict[int, tuple[float, float]]:
    """{pid: (user, system) CPU seconds} of a process and all its descendants (gunicorn's
    master, workers and dirty worker; granian's main process and workers; serve's runner)."""
    stats: dict[int, tuple[int, float, float]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        stats[int(entry.name)] = (int(fields[1]), int(fields[11]) / TICK, int(fields[12]) / TICK)
    tree, grown = {pid}, True
    while grown:
        below = {child for child, (ppid, _, _) in stats.items() if ppid in tree} - tree
        tree |= below
        grown = bool(below)
    return {p: stats[p][1:] for p in tree if p in stats}


def _process_cores(
    before: dict[int, tuple[float, float]], after: dict[int, tuple[float, float]], seconds: float
) -> list[float]:
    """Each process's CPU between two `_process_tree` readings, in cores, busiest first
    (those that used none left out)."""
    cores = [
        (sum(after[pid]) - sum(before.get(pid, (0.0, 0.0)))) / seconds
        for pid in after
        if seconds > 0
    ]
    return sorted((round(c, 2) for c in cores if c >= 0.005), reverse=True)


def tree_cpu_seconds(pid: int) -> tuple[float, float]:
    """(user, system) CPU seconds of a process and all its descendants."""
    tree = _process_tree(pid)
    return sum(user for user, _ in tree.values()), sum(system for _, system in tree.values())


def tree_switches(pid: int) -> tuple[int, int]:
    """(voluntary, involuntary) context switches of every thread of a process and all its
    descendants so far (a thread that ended takes its count with it; gunicorn's and
    granian's threads live as long as their worker)."""
    voluntary = involuntary = 0
    for process in _process_tree(pid):
        try:
            tasks = list(Path(f"/proc/{process}/task").iterdir())
        except OSError:
            continue
        for task in tasks:
            try:
                status = (task / "status").read_text()
            except OSError:
                continue
            for line in status.splitlines():
                if line.startswith("voluntary_ctxt_switches:"):
                    voluntary += int(line.split()[1])
                elif line.startswith("nonvoluntary_ctxt_switches:"):
                    involuntary += int(line.split()[1])
    return voluntary, involuntary


def postgres_cpu_seconds(database: str) -> float:
    """User + system CPU seconds of the PostgreSQL server processes that serve `database`
    (backends name it in their title) and of its shared background processes (WAL writer,
    checkpointer, ...): other sessions' backends on the same server are left out."""
    total = 0.0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if (entry / "comm").read_text().strip() not in ("postgres", "postmaster"):
                continue
            title = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        words = title.split()
        client = "[local]" in title or "(" in title  # a backend: "user db host(port) state"
        if client and database not in words:
            continue  # another database's backend
        fields = stat[stat.rindex(")") + 2 :].split()
        cpu = (int(fields[11]) + int(fields[12])) / TICK
        total += cpu
    return total


class Requests:
    """Writes pre-signed distinct deliveries, one file per wrk thread."""

    def __init__(self, directory: Path, threads: int) -> None:
        self.directory = directory
        self.threads = threads
        self.population = Population()
        self.next_ticket = 0
        self.files = 0

    def write(self, count: int) -> tuple[str, str]:
        """Returns (file prefix, timestamp); signs with the current time."""
        occurred = datetime.now(UTC).isoformat(timespec="seconds")
        bodies = [
            generic_body(self.population, self.next_ticket + i, occurred) for i in range(count)
        ]
        self.next_ticket += count
        now = datetime.now(UTC)
        self.files += 1
        prefix = self.directory / f"requests-{self.files}"
        handles = [open(f"{prefix}.{n}", "wb") for n in range(self.threads)]  # noqa: SIM115
        timestamp = ""
        try:
            for i, body in enumerate(bodies):
                headers = sign_generic(body, now)
                timestamp = headers["X-Voice-Router-Timestamp"]
                signature = headers["X-Voice-Router-Signature"].encode()
                handles[i % self.threads].write(signature + b"\t" + body + b"\n")
        finally:
            for handle in handles:
                handle.close()
        return str(prefix), timestamp

    def remove(self, prefix: str) -> None:
        for n in range(self.threads):
            Path(f"{prefix}.{n}").unlink(missing_ok=True)


def run_wrk(
    url: str, prefix: str, timestamp: str, threads: int, connections: int, seconds: float
) -> dict[str, Any]:
    env = {
        **os.environ,
        "BENCH_REQUESTS": prefix,
        "BENCH_TIMESTAMP": timestamp,
        "BENCH_PATH": "/webhooks/generic",
    }
    command = [
        "wrk",
        f"-t{threads}",
        f"-c{connections}",
        f"-d{seconds:g}s",
        "--timeout",
        "10s",
        "-s",
        str(LUA),
        url,
    ]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=seconds + 120)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise RuntimeError(f"wrk failed: {done.stderr or done.stdout}")
    line = next(x for x in done.stdout.splitlines() if x.startswith("BENCH_JSON "))
    result = json.loads(line.removeprefix("BENCH_JSON "))
    result["wrk_cpu_s"] = round(
        (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime), 2
    )
    return result


def count_deliveries(database_url: str, after_id: int = 0) -> tuple[int, int, int]:
    """(deliveries stored with an id over `after_id`, the highest id, the transactions that
    stored them): on PostgreSQL the rows one transaction inserted share its `xmin`, so their
    distinct count is the number of group commits (0 on SQLite, which has no xmin)."""
    import sqlalchemy as sa

    from voice_router.platform.db import make_engine

    engine = make_engine(database_url)
    groups = "count(DISTINCT xmin::text)" if engine.dialect.name == "postgresql" else "0"
    try:
        with engine.connect() as connection:
            count, top, commits = connection.execute(
                sa.text(f"SELECT count(*), max(id), {groups} FROM delivery WHERE id > :a"),
                {"a": after_id},
            ).one()
            return int(count), int(top or after_id), int(commits)
    finally:
        engine.dispose()


def prepare_database(database_url: str, tree: Path | None = None) -> None:
    """Migrate the database before gunicorn starts, so its workers do not race to; with
    `tree`, with that source tree's migrations (a base commit may not know this one's)."""
    if tree is not None:
        script = (
            "import sys; from voice_router.platform.db import make_engine, upgrade; "
            "engine = make_engine(sys.argv[1]); upgrade(engine); engine.dispose()"
        )
        env = {**os.environ, "PYTHONPATH": str(tree)}
        # in `tree`: `python -c` puts the working directory first on the path
        subprocess.run([sys.executable, "-c", script, database_url], env=env, cwd=tree, check=True)
        return
    from voice_router.platform.db import make_engine, upgrade

    engine = make_engine(database_url)
    upgrade(engine)
    engine.dispose()


def granian_command(args: argparse.Namespace, port: int, app: str, factory: bool) -> list[str]:
    """granian's WSGI server with --workers processes; the options measured on 2026-12-05."""
    command = [
        str(BIN / "granian"),
        "--interface=wsgi",
        f"--workers={args.granian_workers or args.workers}",
        f"--blocking-threads={args.blocking_threads}",
        "--host=127.0.0.1",
        f"--port={port}",
        "--log-level=warning",
        "--no-ws",
    ]
    if args.backpressure:
        command.append(f"--backpressure={args.backpressure}")
    return [*command, *(["--factory"] if factory else []), app]


def gunicorn_command(args: argparse.Namespace, port: int) -> list[str]:
    """gunicorn with the bench's settings (`--workers`, `--worker-class`, `--gthreads`) on
    `port`, the app and its --pythonpath to follow: bench/intake_ab.py serves the same way."""
    return [
        str(BIN / "gunicorn"),
        f"--workers={args.workers}",
        f"--worker-class={args.worker_class}",
        f"--threads={args.gthreads}",
        f"--bind=127.0.0.1:{port}",
        "--log-level=warning",
    ]


def bare_command(args: argparse.Namespace, port: int) -> list[str]:
    """gunicorn for bare Flask: the bench's settings plus the server settings of the deploy
    config that are not voice-router's own (timeouts, the heartbeat file's directory)."""
    command = gunicorn_command(args, port)
    if not args.no_config:
        command += [f"--timeout={DEPLOY_TIMEOUT}", "--graceful-timeout=20"]
        command += ["--worker-tmp-dir=/dev/shm"] if os.path.isdir("/dev/shm") else []
    return command


def served_env(config: Path, tree: Path, metrics: Path) -> dict[str, str]:
    """The environment voice-router from `tree` is served with: its config; `metrics`, a
    fresh directory for this server's multiprocess metrics (the deploy config would make one
    in /tmp otherwise); and the served tree first on the path of gunicorn's master too, as
    the deploy config imports voice_router there, before the workers fork.
    bench/intake_ab.py serves the same way."""
    return {
        **os.environ,
        "VOICE_ROUTER_CONFIG": str(config),
        "PROMETHEUS_MULTIPROC_DIR": str(metrics),
        "PYTHONPATH": str(tree),
    }


def voice_router_command(
    args: argparse.Namespace, port: int, tree: Path, deploy_config: bool
) -> list[str]:
    """gunicorn serving voice-router from `tree`, with that tree's deploy/gunicorn.conf.py
    as users run it (`deploy_config`), the bench's flags overriding its workers and bind."""
    config = [f"--config={tree / 'deploy' / 'gunicorn.conf.py'}"] if deploy_config else []
    return [*gunicorn_command(args, port), *config, f"--pythonpath={tree}"]


def measure(
    target: str, args: argparse.Namespace, requests: Requests, workdir: Path
) -> dict[str, Any]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    gunicorn = gunicorn_command(args, port)
    env = dict(os.environ)
    database_url = ""
    pg_name = ""
    if target == "bare":
        command = [*bare_command(args, port), f"--pythonpath={BENCH}", "bare_app:app"]
    elif target == "serve":
        database_url = f"sqlite:///{workdir / f'serve-{requests.files}.db'}"
        prepare_database(database_url)
        config = write_config(workdir / "serve.toml", database_url)
        env["VOICE_ROUTER_CONFIG"] = str(config)
        if args.pythonpath:
            env["PYTHONPATH"] = str(Path(args.pythonpath).resolve())
        serve = ["serve", "--port", str(port), "--workers", str(args.serve_workers)]
        command = [str(BIN / "voice-router"), *serve]
    elif target == "bare-granian":
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(BENCH), env.get("PYTHONPATH")]))
        command = granian_command(args, port, "bare_app:app", factory=False)
    else:
        database = target.split("-")[0] if not target.startswith("minimal-") else target[8:]
        base = target.endswith("-base")
        if database == "sqlite":
            database_url = f"sqlite:///{workdir / f'intake-{requests.files}.db'}"
        else:
            pg_name = create_postgres("intake")
            database_url = postgres_url(pg_name)
        prepare_database(database_url, Path(args.base).resolve() if base else None)
        flush_redis()
        config = write_config(workdir / f"{target}.toml", database_url, REDIS_URL)
        tree = Path(args.pythonpath).resolve() if args.pythonpath else ROOT
        if base:
            tree = Path(args.base).resolve()
        metrics = workdir / f"metrics-{target}-{requests.files}"
        metrics.mkdir()
        env = served_env(config, tree, metrics)
        deploy_config = not args.no_config and not target.endswith("-noconfig")
        if target.startswith("minimal-"):
            env.pop("PROMETHEUS_MULTIPROC_DIR")
            command = [*gunicorn, f"--pythonpath={BENCH}", "minimal_app:app"]
        elif target.endswith("-granian"):
            command = granian_command(args, port, args.app.removesuffix("()"), factory=True)
        else:
            app = DEFAULT_APP if base else args.app
            command = [*voice_router_command(args, port, tree, deploy_config), app]
    # The server's own log lines (one JSON `http.request` event per request at INFO) go to a
    # file, as they would in production, not to this script's terminal.
    server_log = open(workdir / f"{target}-server.log", "ab")  # noqa: SIM115
    server = subprocess.Popen(
        command, env=env, cwd=workdir, stdout=server_log, stderr=subprocess.STDOUT
    )
    try:
        try:
            wait_http(f"{url}/healthz")
        except RuntimeError:
            server_log.flush()
            tail = (workdir / f"{target}-server.log").read_text(errors="replace")[-3000:]
            raise RuntimeError(f"{target} server did not start:\n{tail}") from None
        time.sleep(1.0)  # let every worker finish booting
        threads, connections = args.wrk_threads, args.connections
        prefix, stamp = requests.write(int(args.warmup * args.max_rate))
        warm = run_wrk(url + "/webhooks/generic", prefix, stamp, threads, connections, args.warmup)
        requests.remove(prefix)
        time.sleep(1.0)  # let warm-up requests still in flight land before counting
        last_id = count_deliveries(database_url)[1] if database_url else 0
        prefix, stamp = requests.write(int(args.duration * args.max_rate))
        cpu_before = tree_cpu_seconds(server.pid)
        processes_before = _process_tree(server.pid)
        switches_before = tree_switches(server.pid)
        postgres_before = postgres_cpu_seconds(pg_name)
        run = run_wrk(url + "/webhooks/generic", prefix, stamp, threads, connections, args.duration)
        cpu_after = tree_cpu_seconds(server.pid)
        processes_after = _process_tree(server.pid)
        switches_after = tree_switches(server.pid)
        postgres_spent = postgres_cpu_seconds(pg_name) - postgres_before
        requests.remove(prefix)
        time.sleep(1.0)
        stored, _, commits = count_deliveries(database_url, last_id) if database_url else (0, 0, 0)
    finally:
        stop(server)
        server_log.close()
        if pg_name:
            drop_postgres(pg_name)
    user, system = (after - before for after, before in zip(cpu_after, cpu_before, strict=True))
    seconds = run["duration_us"] / 1e6
    errors = sum(run[k] for k in ("connect_errors", "read_errors", "write_errors", "timeouts"))
    accepted = run["requests"] - run["status_errors"] - errors
    result = {
        "target": target,
        "requests": run["requests"],
        "accepted": accepted,
        "stored": stored if database_url else None,
        # PostgreSQL: deliveries per transaction, the group commit's average group size
        "deliveries_per_commit": round(stored / commits, 2) if commits else None,
        "non_2xx": run["status_errors"],
        "socket_errors": errors,
        "seconds": round(seconds, 2),
        "accepted_per_s": round(accepted / seconds, 1),
        "p50_ms": round(run["p50_us"] / 1000, 2),
        "p90_ms": round(run["p90_us"] / 1000, 2),
        "p99_ms": round(run["p99_us"] / 1000, 2),
        "max_ms": round(run["max_us"] / 1000, 2),
        "server_cpu_s": round(user + system, 2),
        "server_user_cpu_s": round(user, 2),
        "server_system_cpu_s": round(system, 2),
        "server_cpu_us_per_request": round((user + system) / max(1, run["requests"]) * 1e6),
        # each server process's CPU over the run in cores, busiest first: a process whose
        # threads share one interpreter lock cannot take more than one core
        "server_process_cores": _process_cores(processes_before, processes_after, seconds),
        # the server's threads' context switches per request: voluntary (a thread waits:
        # for a lock, the interpreter lock, a socket, the database) and involuntary
        # (preempted by the kernel, which other load on the machine drives up)
        "server_switches_per_request": round(
            (switches_after[0] - switches_before[0]) / max(1, run["requests"]), 2
        ),
        "server_involuntary_per_request": round(
            (switches_after[1] - switches_before[1]) / max(1, run["requests"]), 2
        ),
        "wrk_cpu_s": run["wrk_cpu_s"],
        "database_cpu_us_per_request": (
            round(postgres_spent / max(1, run["requests"]) * 1e6) if pg_name else None
        ),
        "wraps": run["wraps"] + warm["wraps"],
    }
    if result["wraps"]:
        log(f"  warning: {target}: wrk ran out of distinct deliveries; raise --max-rate")
    # wrk stops counting with up to one request per connection still in flight, which the
    # server may still store; anything beyond that is a real mismatch.
    if database_url and not accepted <= stored <= accepted + args.connections:
        log(f"  warning: {target}: {accepted} answered 2xx but {stored} rows were stored")
    return result


def in_round_order(targets: list[str], round_no: int) -> list[str]:
    """The targets in the order a round serves them: in even rounds each `<database>-base`
    goes right before its `<database>`, not right after, so that neither side of an A/B
    always runs second (on a shared machine the order alone moved the ratio by 0.1)."""
    if round_no % 2:
        return list(targets)
    order: list[str] = []
    group: list[str] = []  # a database's target and its A/B companions
    for target in [*targets, ""]:
        if group and target.removesuffix("-base").removesuffix("-noconfig") == group[0]:
            group.append(target)
            continue
        order += group[::-1]
        group = [target] if target else []
    return order


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--duration", type=float, default=10.0, help="measured seconds per run")
    parser.add_argument("--warmup", type=float, default=2.0, help="warm-up seconds per run")
    parser.add_argument("--rounds", type=int, default=2, help="bare/sqlite/postgresql rounds")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers")
    # The worker class voice-router ships (deploy/gunicorn.conf.py): threads, whose
    # concurrent webhooks the group commit writes together. `--worker-class sync
    # --gthreads 1` measures the figures of 2026-11-25.
    parser.add_argument("--worker-class", default="gthread", help="gunicorn worker class")
    parser.add_argument("--gthreads", type=int, default=64, help="threads per gthread worker")
    parser.add_argument("--wrk-threads", type=int, default=2)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument(
        "--max-rate", type=float, default=9000, help="deliveries signed per second of run"
    )
    parser.add_argument("--no-postgres", action="store_true", help="skip the PostgreSQL target")
    parser.add_argument("--no-sqlite", action="store_true", help="skip the SQLite target")
    parser.add_argument(
        "--reference",
        action="store_true",
        help="also serve bench/minimal_app.py (HMAC check + one INSERT) on each database",
    )
    parser.add_argument(
        "--app",
        default=DEFAULT_APP,
        help="gunicorn app spec for voice-router (to A/B a candidate change)",
    )
    parser.add_argument("--pythonpath", default="", help="extra gunicorn --pythonpath for --app")
    parser.add_argument(
        "--base",
        default="",
        help="a source tree (`git worktree add DIR COMMIT`) also served on each database, as "
        "target <database>-base, right after this one's: an A/B in the same run",
    )
    parser.add_argument(
        "--no-config",
        action="store_true",
        help="serve voice-router without deploy/gunicorn.conf.py (and bare without its timeouts)",
    )
    parser.add_argument(
        "--config-ab",
        action="store_true",
        help="also serve voice-router without the deploy config, as <database>-noconfig",
    )
    parser.add_argument(
        "--granian",
        action="store_true",
        help="also serve bare Flask and voice-router with granian (targets *-granian)",
    )
    parser.add_argument(
        "--serve",
        action="store_true",
        help="also run `voice-router serve` on SQLite without redis_url (target `serve`)",
    )
    parser.add_argument(
        "--serve-workers", type=int, default=3, help="serve's --workers (its default here: 3)"
    )
    parser.add_argument(
        "--granian-workers", type=int, default=0, help="granian processes (default: --workers)"
    )
    parser.add_argument(
        "--blocking-threads", type=int, default=8, help="granian threads per worker"
    )
    parser.add_argument(
        "--backpressure", type=int, default=0, help="granian requests per worker (0: its default)"
    )
    parser.add_argument(
        "--output",
        default="",
        help="bench/results/<OUTPUT>.json (default: intake, or intake-<module> with --app)",
    )
    args = parser.parse_args()

    databases = [
        database
        for database, skip in (("sqlite", args.no_sqlite), ("postgresql", args.no_postgres))
        if not skip
    ]
    targets = ["bare", "bare-granian"] if args.granian else ["bare"]
    for database in databases:
        targets += [database, f"minimal-{database}"] if args.reference else [database]
        if args.base:
            targets.append(f"{database}-base")
        if args.config_ab and not args.no_config:
            targets.append(f"{database}-noconfig")
        targets += [f"{database}-granian"] if args.granian else []
    targets += ["serve"] if args.serve else []
    runs: list[dict[str, Any]] = []
    info = machine()
    with temp_dir("vr-bench-intake-") as workdir:
        requests = Requests(workdir, args.wrk_threads)
        try:
            for round_no in range(1, args.rounds + 1):
                for target in in_round_order(targets, round_no):
                    log(f"round {round_no}: {target} ...")
                    result = measure(target, args, requests, workdir)
                    result["round"] = round_no
                    runs.append(result)
                    log(
                        f"  {result['accepted_per_s']:>8.0f} accepted/s  "
                        f"p50 {result['p50_ms']:.1f} ms  p99 {result['p99_ms']:.1f} ms  "
                        f"server CPU {result['server_cpu_us_per_request']} µs/request "
                        f"({result['server_system_cpu_s'] / max(result['server_cpu_s'], 1e-9):.0%} "
                        "system), "
                        f"{result['server_switches_per_request']} switches/request "
                        f"({result['server_involuntary_per_request']} involuntary), "
                        f"cores by process {result['server_process_cores']}"
                    )
        finally:
            flush_redis()

    medians = {
        t: statistics.median(r["accepted_per_s"] for r in runs if r["target"] == t) for t in targets
    }
    ratios = {t: round(medians[t] / medians["bare"], 2) for t in targets if t != "bare"}
    # CPU per request is far less sensitive to other load on a shared machine than
    # requests/s: bare's CPU per request over the target's estimates the same ratio for a
    # CPU-bound server.
    cpu = {
        t: statistics.median(r["server_cpu_us_per_request"] for r in runs if r["target"] == t)
        for t in targets
    }
    cpu_ratios = {t: round(cpu["bare"] / cpu[t], 2) for t in targets if t != "bare"}
    per_round = [
        {
            "round": n,
            **{
                t: round(
                    next(r for r in runs if r["round"] == n and r["target"] == t)["accepted_per_s"]
                    / next(r for r in runs if r["round"] == n and r["target"] == "bare")[
                        "accepted_per_s"
                    ],
                    2,
                )
                for t in targets
                if t != "bare"
            },
        }
        for n in range(1, args.rounds + 1)
    ]
    data = {
        "benchmark": "intake",
        "machine": info,
        "postgres": None if args.no_postgres else postgres_version(),
        "settings": {
            "app": args.app,
            "gunicorn": (
                f"--workers={args.workers} --worker-class={args.worker_class} "
                f"--threads={args.gthreads}"
            ),
            "deploy_config": not args.no_config,
            "granian": (
                f"--workers={args.granian_workers or args.workers} "
                f"--blocking-threads={args.blocking_threads}"
                + (f" --backpressure={args.backpressure}" if args.backpressure else "")
                if args.granian
                else None
            ),
            "wrk": f"-t{args.wrk_threads} -c{args.connections} -d{args.duration:g}s",
            "warmup_s": args.warmup,
            "rounds": args.rounds,
        },
        "runs": runs,
        "median_accepted_per_s": medians,
        "ratio_to_bare": ratios,
        "ratio_to_bare_per_round": per_round,
        "median_server_cpu_us_per_request": cpu,
        "cpu_ratio_to_bare": cpu_ratios,
        "target_ratio": TARGET_RATIO,
        "meets_target": all(ratios[d] >= TARGET_RATIO for d in databases),
    }
    output = args.output or (
        "intake" if args.app == DEFAULT_APP else "intake-" + args.app.split(":")[0]
    )
    path = write_result(output, data)

    print(
        f"intake: gunicorn {data['settings']['gunicorn']}"
        f"{'' if args.no_config else ' -c deploy/gunicorn.conf.py'}, wrk {data['settings']['wrk']}"
    )
    if args.granian:
        print(f"*-granian: granian {data['settings']['granian']}")
    print(
        f"{'target':<20}{'round':>6}{'accepted/s':>12}{'p50 ms':>9}{'p99 ms':>9}"
        f"{'cpu µs/req':>12}{'db cpu µs/req':>15}{'per commit':>12}{'switches/req':>14}"
    )
    for r in runs:
        print(
            f"{r['target']:<20}{r['round']:>6}{r['accepted_per_s']:>12.0f}{r['p50_ms']:>9.1f}"
            f"{r['p99_ms']:>9.1f}{r['server_cpu_us_per_request']:>12}"
            f"{r['database_cpu_us_per_request'] or '':>15}{r['deliveries_per_commit'] or '':>12}"
            f"{r['server_switches_per_request']:>14}"
        )
    for target, ratio in ratios.items():
        if target.startswith("minimal-"):
            verdict = "the reference (HMAC check + one INSERT)"
        elif target.endswith("-base"):
            verdict = f"the same-run baseline {args.base}"
        elif target.endswith("-noconfig"):
            verdict = "without deploy/gunicorn.conf.py"
        else:
            meets = "meets" if ratio >= TARGET_RATIO else "MISSES"
            verdict = f"{meets} the {TARGET_RATIO} target"
        print(
            f"{target}: {ratio:.2f}x bare (median of rounds), {verdict}; "
            f"CPU-per-request ratio {cpu_ratios[target]:.2f}"
        )
    print(f"-> {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
