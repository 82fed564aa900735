"""Two source trees' webhook intake side by side: both served at once, both loaded at once.

    python bench/intake_ab.py --base DIR [--pythonpath DIR] [--rounds 6] [--duration 10]

bench/intake.py serves its targets one after the other, so on a machine that other work
loads unevenly, two runs ten seconds apart differ by more than most changes do (an A/A run
of one commit against itself gave per-round ratios from 0.62 to 1.32). Here, in every round
and for each database, this tree's voice-router (or --pythonpath's) and --base's are started
together, each on a fresh database of its own, with the same gunicorn settings as
bench/intake.py — each tree's own deploy/gunicorn.conf.py as users run it (multiprocess
metrics in a fresh directory per side), unless --no-config — and two wrk processes load
them over the same seconds, each with its own distinct signed deliveries. Whatever else runs
on the machine then weighs on both alike.

The figure to read is CPU per request of each side (its web processes', plus on PostgreSQL its
database's backends' and the server's shared background processes', which both sides count),
over the same seconds: in an A/A run (one commit on both sides, 2026-12-05 19:20 UTC, load
average 6-10) base/head came out at 0.92-1.09. Their accepted/s are printed too, but two
servers sharing two cores do not split them evenly (the same A/A run: 0.69-1.20), so that
ratio needs many rounds. Neither is issue 15's figure (bench/intake.py's ratio to bare Flask);
they are the evidence for whether a change helps it. Each round swaps which tree starts first.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from common import (
    REDIS_URL,
    ROOT,
    create_postgres,
    drop_postgres,
    log,
    machine,
    postgres_url,
    stop,
    temp_dir,
    wait_http,
    write_config,
    write_result,
)
from intake import (
    DEFAULT_APP,
    Requests,
    count_deliveries,
    free_port,
    postgres_cpu_seconds,
    prepare_database,
    run_wrk,
    served_env,
    tree_cpu_seconds,
    tree_switches,
    voice_router_command,
)


def other_redis_db(url: str) -> str:
    """The same Redis server, the next database number: each side's drain signals apart."""
    head, _, number = url.rpartition("/")
    return f"{head}/{(int(number or 0) + 1) % 16}"


class Side:
    """One source tree's gunicorn on a fresh database of its own."""

    def __init__(
        self, name: str, tree: str, database: str, redis_url: str, args: argparse.Namespace
    ) -> None:
        self.name = name
        self.tree = tree
        self.database = database
        self.redis_url = redis_url
        self.args = args
        self.pg_name = ""
        self.server: subprocess.Popen[bytes] | None = None
        self.result: dict[str, Any] = {}

    def start(self, workdir: Path) -> None:
        from redis import Redis

        if self.database == "sqlite":
            self.database_url = f"sqlite:///{workdir / f'{self.name}.db'}"
        else:
            self.pg_name = create_postgres("intake_ab")
            self.database_url = postgres_url(self.pg_name)
        prepare_database(self.database_url)
        Redis.from_url(self.redis_url).flushdb()
        config = write_config(workdir / f"{self.name}.toml", self.database_url, self.redis_url)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        tree = Path(self.tree).resolve() if self.tree else ROOT
        command = [
            *voice_router_command(self.args, self.port, tree, not self.args.no_config),
            DEFAULT_APP,
        ]
        self.log_file = open(workdir / f"{self.name}-server.log", "ab")  # noqa: SIM115
        metrics = tempfile.mkdtemp(prefix=f"{self.name}-metrics-", dir=workdir)  # per start
        env = served_env(config, tree, Path(metrics))
        self.server = subprocess.Popen(
            command, env=env, cwd=workdir, stdout=self.log_file, stderr=subprocess.STDOUT
        )
        self.requests = Requests(workdir / self.name, self.args.wrk_threads)
        self.requests.directory.mkdir(exist_ok=True)

    def ready(self) -> None:
        wait_http(f"{self.url}/healthz")

    def prepare(self, seconds: float, measured: bool) -> None:
        """The deliveries for a load of `seconds`, signed now (before either wrk starts: signing
        takes a while, and both must start together)."""
        self.prefix, self.stamp = self.requests.write(int(seconds * self.args.max_rate))
        if measured:
            self.last_id = count_deliveries(self.database_url)[1]

    def load(self, seconds: float, measured: bool) -> None:
        """wrk for `seconds` (run in a thread, beside the other side's)."""
        assert self.server is not None
        if measured:
            self.cpu_before = tree_cpu_seconds(self.server.pid)
            self.switches_before = tree_switches(self.server.pid)
            self.postgres_before = postgres_cpu_seconds(self.pg_name) if self.pg_name else 0.0
        self.run = run_wrk(
            self.url + "/webhooks/generic",
            self.prefix,
            self.stamp,
            self.args.wrk_threads,
            self.args.connections,
            seconds,
        )
        if measured:
            self.cpu_after = tree_cpu_seconds(self.server.pid)
            self.switches_after = tree_switches(self.server.pid)
            self.postgres_after = postgres_cpu_seconds(self.pg_name) if self.pg_name else 0.0
        self.requests.remove(self.prefix)

    def finish(self) -> dict[str, Any]:
        run = self.run
        stored, _, commits = count_deliveries(self.database_url, self.last_id)
        errors = sum(run[k] for k in ("connect_errors", "read_errors", "write_errors", "timeouts"))
        accepted = run["requests"] - run["status_errors"] - errors
        seconds = run["duration_us"] / 1e6
        cpu = sum(self.cpu_after) - sum(self.cpu_before)
        postgres = self.postgres_after - self.postgres_before
        switches = self.switches_after[0] - self.switches_before[0]
        if not accepted <= stored <= accepted + self.args.connections:
            log(f"  warning: {self.name}: {accepted} answered 2xx but {stored} rows were stored")
        return {
            "accepted": accepted,
            "stored": stored,
            "non_2xx": run["status_errors"],
            "socket_errors": errors,
            "accepted_per_s": round(accepted / seconds, 1),
            "p50_ms": round(run["p50_us"] / 1000, 2),
            "p99_ms": round(run["p99_us"] / 1000, 2),
            "server_cpu_us_per_request": round(cpu / max(1, run["requests"]) * 1e6),
            "database_cpu_us_per_request": round(postgres / max(1, run["requests"]) * 1e6),
            "server_switches_per_request": round(switches / max(1, run["requests"]), 2),
            "deliveries_per_commit": round(stored / commits, 2) if commits else None,
        }

    def close(self) -> None:
        if self.server is not None:
            stop(self.server)
            self.log_file.close()
        if self.pg_name:
            drop_postgres(self.pg_name)


def together(sides: list[Side], seconds: float, measured: bool) -> None:
    for side in sides:
        side.prepare(seconds, measured)
    threads = [
        threading.Thread(target=side.load, args=(seconds, measured), daemon=True) for side in sides
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--base", required=True, help="the other source tree (git worktree)")
    parser.add_argument("--pythonpath", default="", help="this side's tree (default: this one)")
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument("--warmup", type=float, default=2.0)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--worker-class", default="gthread", help="gunicorn worker class")
    parser.add_argument("--gthreads", type=int, default=64)
    parser.add_argument("--wrk-threads", type=int, default=1, help="per side")
    parser.add_argument("--connections", type=int, default=32, help="per side")
    parser.add_argument("--max-rate", type=float, default=9000)
    parser.add_argument(
        "--no-config", action="store_true", help="serve both without deploy/gunicorn.conf.py"
    )
    parser.add_argument("--output", default="intake-ab")
    args = parser.parse_args()

    databases = [d for d in args.databases.split(",") if d]
    runs: list[dict[str, Any]] = []
    with temp_dir("vr-bench-intake-ab-") as workdir:
        for round_no in range(1, args.rounds + 1):
            for database in databases:
                sides = [
                    Side("head", args.pythonpath, database, REDIS_URL, args),
                    Side("base", args.base, database, other_redis_db(REDIS_URL), args),
                ]
                if round_no % 2 == 0:
                    sides.reverse()
                log(f"round {round_no}: {database}, {sides[0].name} first ...")
                try:
                    for side in sides:
                        side.start(workdir)
                    for side in sides:
                        side.ready()
                    time.sleep(1.0)
                    together(sides, args.warmup, measured=False)
                    time.sleep(1.0)
                    together(sides, args.duration, measured=True)
                    time.sleep(1.0)
                    results = {side.name: side.finish() for side in sides}
                finally:
                    for side in sides:
                        side.close()
                ratio = results["head"]["accepted_per_s"] / results["base"]["accepted_per_s"]
                cost = {
                    name: result["server_cpu_us_per_request"]
                    + result["database_cpu_us_per_request"]
                    for name, result in results.items()
                }
                runs.append(
                    {
                        "round": round_no,
                        "database": database,
                        **results,
                        "ratio": round(ratio, 3),
                        "cpu_ratio": round(cost["base"] / cost["head"], 3),
                    }
                )
                log(
                    "  "
                    + ", ".join(
                        f"{name} {result['accepted_per_s']:.0f}/s "
                        f"({result['server_cpu_us_per_request']}"
                        f"+{result['database_cpu_us_per_request']} µs, "
                        f"{result['deliveries_per_commit'] or '-'} per commit)"
                        for name, result in results.items()
                    )
                    + f": head/base {ratio:.3f}, CPU base/head {runs[-1]['cpu_ratio']:.3f}"
                )

    def figures(database: str, key: str) -> dict[str, Any]:
        values = [r[key] for r in runs if r["database"] == database]
        return {
            "per_round": values,
            "median": statistics.median(values),
            "geometric_mean": round(statistics.geometric_mean(values), 3),
        }

    summary = {
        database: {"accepted": figures(database, "ratio"), "cpu": figures(database, "cpu_ratio")}
        for database in databases
    }
    data = {
        "benchmark": "intake_ab",
        "machine": machine(),
        "head": args.pythonpath or str(ROOT),
        "base": args.base,
        "settings": vars(args),
        "runs": runs,
        "head_over_base": summary,
    }
    path = write_result(args.output, data)
    for database, both in summary.items():
        for key, what in (
            ("accepted", "head/base accepted/s"),
            ("cpu", "base/head CPU per request (web + PostgreSQL)"),
        ):
            numbers = both[key]
            rounds = ", ".join(f"{r:.3f}" for r in numbers["per_round"])
            print(
                f"{database}: {what} {numbers['median']:.3f} (median of "
                f"{len(numbers['per_round'])} rounds; geometric mean "
                f"{numbers['geometric_mean']:.3f}): {rounds}"
            )
    print(f"-> {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
