"""Shared helpers for the benchmark scripts in bench/ (not a test module).

Every script builds its own throw-away databases (a temp SQLite file, or a PostgreSQL
database named `vr_bench_*` that it drops again), uses Redis db 14 (flushed before and
after) and writes its figures to bench/results/<name>.json.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import platform
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
RESULTS = BENCH / "results"
PYTHON = sys.executable
BIN = Path(PYTHON).parent

POSTGRES_ADMIN_URL = os.environ.get(
    "VOICE_ROUTER_BENCH_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test"
)
REDIS_URL = os.environ.get("VOICE_ROUTER_BENCH_REDIS", "redis://127.0.0.1:6379/14")
GENERIC_SECRET = "bench-generic-secret"


# ---------------------------------------------------------------- figures


def percentile(values: Sequence[float], pct: float) -> float:
    """Nearest-rank percentile (pct in 0..100) of a non-empty sequence."""
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(pct / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


def summary_ms(samples_s: Sequence[float]) -> dict[str, float]:
    ms = [s * 1000 for s in samples_s]
    return {
        "n": len(ms),
        "median_ms": round(statistics.median(ms), 2),
        "p95_ms": round(percentile(ms, 95), 2),
        "min_ms": round(min(ms), 2),
        "max_ms": round(max(ms), 2),
    }


def time_calls(call: Callable[[], Any], warmup: int, count: int) -> list[float]:
    """Seconds each of `count` calls took, after `warmup` untimed ones."""
    for _ in range(warmup):
        call()
    samples = []
    for _ in range(count):
        started = time.perf_counter()
        call()
        samples.append(time.perf_counter() - started)
    return samples


def alternated(
    ways: dict[str, Callable[[], Any]], blocks: int, calls: int = 50
) -> dict[str, float]:
    """Median ms of each way, run in turn in `blocks` blocks of `calls` calls (the order
    reversed every other block), so that a machine getting slower or faster meanwhile
    weighs on each of them alike."""
    samples: dict[str, list[float]] = {name: [] for name in ways}
    for block in range(blocks):
        order = list(ways) if block % 2 else list(reversed(ways))
        for name in order:
            for _ in range(calls):
                started = time.perf_counter()
                ways[name]()
                samples[name].append(time.perf_counter() - started)
    return {name: round(statistics.median(found) * 1000, 3) for name, found in samples.items()}


def machine() -> dict[str, Any]:
    model = ""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    commit = changed = ""
    with contextlib.suppress(OSError, subprocess.SubprocessError):  # read-only git queries
        commit = subprocess.run(
            ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            timeout=10,
        ).stdout.strip()
        changed = subprocess.run(
            [
                "git",
                "-C",
                str(ROOT),
                "status",
                "--porcelain",
                "--",
                "voice_router",
                "workers",
                "integrations",
            ],
            capture_output=True,
            text=True,
            timeout=10,
        ).stdout.strip()
    return {
        "cpus": os.cpu_count(),
        "cpu_model": model,
        "loadavg_at_start": [round(x, 2) for x in os.getloadavg()],
        "python": platform.python_version(),
        "platform": platform.platform(),
        "git_head": commit,
        "core_has_uncommitted_changes": bool(changed),
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
    }


def postgres_cpu_seconds() -> float | None:
    """CPU seconds PostgreSQL's processes on this machine have used so far: each live one's
    own, and the postmaster's account of the backends it reaped (a worker's connection ends
    with it). The difference across a run is what that run cost the database; None where no
    PostgreSQL process is visible (a database on another machine)."""
    ticks, seen = 0, False
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, ValueError, IndexError):
            text = stat.read_text()
            if text[text.index("(") + 1 : text.rindex(")")] != "postgres":
                continue
            fields = text[text.rindex(")") + 2 :].split()
            ticks += sum(int(value) for value in fields[11:15])  # utime stime cutime cstime
            seen = True
    return ticks / os.sysconf("SC_CLK_TCK") if seen else None


def write_result(name: str, data: dict[str, Any]) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps(data, indent=2, default=str) + "\n")
    return path


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# ---------------------------------------------------------------- databases


CODE_DIRS = ("voice_router", "integrations", "workers")


def compile_code(tree: Path = ROOT) -> None:
    """Write the bytecode of `tree`'s packages before anything is timed, as `pip install`
    does for an installed copy (the Docker image included). Without it a checkout run under
    PYTHONDONTWRITEBYTECODE=1 compiles every module of ours again in every process it
    starts (an empty `worker --burst`: 0.64 against 0.59 s), and a baseline exported afresh
    would compile them in its first timed run only."""
    import compileall

    for name in CODE_DIRS:
        if (tree / name).is_dir() and not compileall.compile_dir(tree / name, quiet=1):
            raise RuntimeError(f"{tree / name}: does not compile")


def rounds_on_databases(
    databases: str,
    rounds: int,
    name: str,
    one_round: Callable[[str], dict[str, Any]],
    said: Callable[[dict[str, Any]], str],
) -> list[dict[str, Any]]:
    """`one_round(database_url)` `rounds` times on each of `databases` (comma-separated:
    postgresql, sqlite), each time on a fresh database (PostgreSQL: made and dropped; SQLite:
    a new file), databases alternating within a round; each result gets its `database` and
    `round`, and `said(result)` is logged after it."""
    runs: list[dict[str, Any]] = []
    with temp_dir(f"vr-bench-{name}-") as workdir:
        for round_no in range(1, rounds + 1):
            for database in [d.strip() for d in databases.split(",") if d.strip()]:
                log(f"round {round_no}: {database} ...")
                if database == "postgresql":
                    made = create_postgres(name)
                    try:
                        found = one_round(postgres_url(made))
                    finally:
                        drop_postgres(made)
                else:
                    found = one_round(f"sqlite:///{workdir / f'{name}-{round_no}.db'}")
                found.update(database=database, round=round_no)
                runs.append(found)
                log(f"  {said(found)}")
    return runs


@contextlib.contextmanager
def temp_dir(prefix: str) -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix=prefix))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def _admin():  # type: ignore[no-untyped-def]
    import psycopg

    return psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True)


def postgres_url(name: str) -> str:
    return POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + "/" + name


def create_postgres(prefix: str, template: str | None = None) -> str:
    """A new, empty (or cloned from `template`) database; returns its name."""
    name = f"vr_bench_{prefix}_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    with _admin() as admin:
        clause = f' TEMPLATE "{template}"' if template else ""
        admin.execute(f'CREATE DATABASE "{name}"{clause}')
    return name


def drop_postgres(name: str) -> None:
    with _admin() as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


DATABASES = ("sqlite", "postgresql")


@contextlib.contextmanager
def fresh_database(database: str, sqlite_file: Path, postgres_prefix: str) -> Iterator[str]:
    """The URL of a new database of the kind `database` (one of DATABASES): the SQLite file
    `sqlite_file`, or a PostgreSQL database named from `postgres_prefix`, dropped after."""
    if database == "sqlite":
        yield f"sqlite:///{sqlite_file}"
        return
    if database != "postgresql":
        raise ValueError(f"unknown database {database!r}")
    name = create_postgres(postgres_prefix)
    try:
        yield postgres_url(name)
    finally:
        drop_postgres(name)


def postgres_version() -> str:
    with _admin() as admin:
        row = admin.execute("SHOW server_version").fetchone()
    return str(row[0]) if row else ""


def flush_redis() -> None:
    from redis import Redis

    Redis.from_url(REDIS_URL).flushdb()


def write_config(path: Path, database_url: str, redis_url: str = "", **top: int | str) -> Path:
    lines = [f'database_url = "{database_url}"', f'redis_url = "{redis_url}"']
    for key, value in top.items():
        lines.append(f"{key} = {json.dumps(value)}")
    lines += ["", "[sources.generic]", 'kind = "generic"', f'secret = "{GENERIC_SECRET}"']
    path.write_text("\n".join(lines) + "\n")
    return path


def settings_for(database_url: str, redis_url: str = "", **top: Any):  # type: ignore[no-untyped-def]
    from voice_router.platform.settings import parse_settings

    data = {
        "database_url": database_url,
        "redis_url": redis_url,
        "sources": {"generic": {"kind": "generic", "secret": GENERIC_SECRET}},
        **top,
    }
    return parse_settings(data, {}, "bench")


def sqlite_checkpoint(engine) -> None:  # type: ignore[no-untyped-def]
    with engine.connect() as connection:
        connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")


# ---------------------------------------------------------------- data


class Population:
    """Who reports what: problems with a skewed (Zipf-like) popularity, customers spread over
    company domains (every tenth customer on free mail, so without an account)."""

    def __init__(
        self, problems: int = 100, customers: int = 2000, domains: int = 300, seed: int = 7
    ) -> None:
        self.problems = problems
        self.customers = customers
        self.domains = domains
        self.rng = random.Random(seed)
        self._cumulative = list(itertools.accumulate(1 / (k + 1) ** 0.8 for k in range(problems)))

    def problem_key(self, index: int) -> str:
        return f"problem-{index:04d}"

    def pick_problem(self) -> int:
        return self.rng.choices(range(self.problems), cum_weights=self._cumulative)[0]

    def pick_customer(self) -> int:
        return self.rng.randrange(self.customers)

    def email(self, customer: int) -> str:
        if customer % 10 == 9:
            return f"person{customer}@gmail.com"
        return f"person{customer}@company{customer % self.domains}.example"

    def company(self, customer: int) -> tuple[str | None, float | None]:
        if customer % 10 == 9:
            return None, None
        domain = customer % self.domains
        return f"Company {domain}", float(50 + (domain * 37) % 2000)


def generic_body(pop: Population, index: int, occurred_at: str) -> bytes:
    """One generic delivery: ticket `B<index>`, one pain tag, a customer of `pop`."""
    customer = pop.pick_customer()
    company, mrr = pop.company(customer)
    person: dict[str, Any] = {"email": pop.email(customer), "name": f"Person {customer}"}
    if company is not None:
        person["company"] = company
        person["mrr"] = mrr
    document = {
        "id": f"bench-{uuid.uuid4().hex}",
        "ticket": {
            "id": f"B{index}",
            "url": f"https://desk.example/t/B{index}",
            "subject": f"Ticket {index} about something broken",
        },
        "customer": person,
        "agent": {"email": f"agent{index % 12}@support.example", "name": "Agent"},
        "tags": [f"pain-{pop.problem_key(pop.pick_problem())}", "billing"],
        "removed_tags": [],
        "occurred_at": occurred_at,
    }
    return json.dumps(document, separators=(",", ":")).encode()


def sign_generic(body: bytes, now: datetime | None = None) -> dict[str, str]:
    from integrations.generic import sign

    return sign(body, GENERIC_SECRET, now)


def stored_delivery(body: bytes, headers: dict[str, str]) -> dict[str, Any]:
    """A generic delivery's `delivery` row as `inbox.receive` stores it (pending, due now),
    for a script that writes thousands at once."""
    from voice_router.intake import inbox
    from voice_router.platform.clock import utcnow

    received = utcnow()
    return {
        "source": "generic",
        "kind": "generic",
        "delivery_key": json.loads(body)["id"],
        "headers": inbox.stored_headers(headers),
        "body": body,
        "status": "pending",
        "attempts": 0,
        "received_at": received,
        "next_attempt_at": received,
    }


# ---------------------------------------------------------------- processes


def wait_http(url: str, timeout: float = 30.0) -> None:
    import urllib.error
    import urllib.request

    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except urllib.error.HTTPError:
            return  # it answers; any status will do
        except OSError:
            if time.monotonic() > deadline:
                raise RuntimeError(f"{url} did not come up in {timeout:.0f} s") from None
            time.sleep(0.2)


def stop(process: subprocess.Popen[Any], timeout: float = 15.0) -> None:
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=timeout)
