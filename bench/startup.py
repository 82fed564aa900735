"""Start-up: how long the entry points take to be ready, and what they spend importing.

    python bench/startup.py [--runs 5] [--compare-with REF] [--only "ENTRY;..."]

Timed, each `--runs` times (the median reported, and the CPU the processes used), in fresh
processes:

* `voice-router --help` (`python -m voice_router --help`), start to exit;
* `voice-router worker --burst` over an empty queue (Redis, an empty migrated SQLite
  database), start to exit: the imports, connections and rq's start and stop every worker
  pays before its first job;
* `voice-router serve` on an empty migrated SQLite database (the embedded runner, three web
  processes as on this machine by default): start to the first 200 from /healthz.

And `python -X importtime` per entry point, as many times: the import time of its modules
(the median of the sum over the top-level imports), with the heaviest ones named.
`--compare-with REF` runs REF's code (voice_router, integrations, workers from git, first
on PYTHONPATH) the same way, interleaved run by run with this tree's: the same-run baseline.
Both trees are compiled to bytecode first, as an installed copy is (`common.compile_code`).
"""

from __future__ import annotations

import argparse
import os
import resource
import signal
import socket
import statistics
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from common import (
    PYTHON,
    REDIS_URL,
    compile_code,
    flush_redis,
    log,
    machine,
    temp_dir,
    write_result,
)
from processing import export_code

HEAVY = 6  # heaviest imports named per entry point


def environment(config: Path, code: Path | None) -> dict[str, str]:
    env = {**os.environ, "VOICE_ROUTER_CONFIG": str(config), "PYTHONDONTWRITEBYTECODE": "1"}
    env.pop("PYTHONPATH", None)
    if code is not None:
        env["PYTHONPATH"] = str(code)
    return env


def timed(command: list[str], env: dict[str, str], cwd: Path) -> float:
    started = time.perf_counter()
    subprocess.run(command, env=env, cwd=cwd, check=True, capture_output=True)
    return time.perf_counter() - started


def serve_ready(env: dict[str, str], cwd: Path, timeout: float = 60.0) -> float:
    """Seconds from starting `serve` to its first 200 from /healthz; then it is stopped."""
    port = free_port()
    url = f"http://127.0.0.1:{port}/healthz"
    started = time.perf_counter()
    process = subprocess.Popen(
        [PYTHON, "-m", "voice_router", "serve", "--port", str(port)],
        env=env,
        cwd=cwd,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        while True:
            try:
                with urllib.request.urlopen(url, timeout=2) as response:
                    if response.status == 200:
                        return time.perf_counter() - started
            except (urllib.error.URLError, OSError):
                pass
            if process.poll() is not None:
                raise RuntimeError(f"serve exited {process.returncode}")
            if time.perf_counter() - started > timeout:
                raise RuntimeError(f"serve gave no 200 in {timeout:.0f} s")
            time.sleep(0.01)
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def children_cpu() -> float:
    """CPU seconds of every child process waited for so far, theirs included: a command's,
    or serve's with its web processes and job runner, stopped at its first 200."""
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def import_times(command: list[str], env: dict[str, str], cwd: Path, runs: int) -> dict[str, Any]:
    """`-X importtime`, `runs` times: the median total over top-level imports (ms) and the
    median of each of the heaviest."""
    totals: list[float] = []
    modules: dict[str, list[float]] = {}
    for _ in range(runs):
        done = subprocess.run(
            [PYTHON, "-X", "importtime", *command[1:]], env=env, cwd=cwd, capture_output=True
        )
        top: list[tuple[int, str]] = []
        for line in done.stderr.decode(errors="replace").splitlines():
            if not line.startswith("import time:") or "[us]" in line:
                continue
            _, cumulative, name = line[len("import time:") :].split("|")
            if not name[1:].startswith(" "):  # " name" at the top level, indented below it
                top.append((int(cumulative), name.strip()))
        totals.append(sum(us for us, _ in top) / 1000)
        for us, name in top:
            modules.setdefault(name, []).append(us / 1000)
    heaviest = sorted(modules, key=lambda name: -statistics.median(modules[name]))[:HEAVY]
    return {
        "imports_ms": round(statistics.median(totals), 1),
        "heaviest_ms": {name: round(statistics.median(modules[name]), 1) for name in heaviest},
    }


def prepare(workdir: Path) -> Path:
    database = workdir / "startup.db"
    config = workdir / "startup.toml"
    config.write_text(
        f'database_url = "sqlite:///{database}"\nredis_url = ""\n'
        '\n[sources.generic]\nkind = "generic"\nsecret = "bench-startup-secret"\n'
    )
    env = environment(config, None)
    subprocess.run(
        [PYTHON, "-m", "voice_router", "db", "upgrade"], env=env, cwd=workdir, check=True
    )
    return config


def with_redis(config: Path) -> Path:
    worker = config.with_name("startup-worker.toml")
    worker.write_text(config.read_text().replace('redis_url = ""', f'redis_url = "{REDIS_URL}"'))
    return worker


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--compare-with", help="git ref whose code runs the same way")
    parser.add_argument("--only", help="entry points to time, separated by ; (default: all)")
    parser.add_argument("--output", default="startup", help="bench/results/<OUTPUT>.json")
    args = parser.parse_args()

    with temp_dir("vr-startup-") as workdir:
        config = prepare(workdir)
        compile_code()
        codes: dict[str, Path | None] = {"this": None}
        if args.compare_with:
            codes[args.compare_with] = export_code(args.compare_with, workdir)
        worker_config = with_redis(config)
        module = [PYTHON, "-m", "voice_router"]
        entries = {  # entry -> (command, its config, what -X importtime runs)
            "--help": ([*module, "--help"], config, [*module, "--help"]),
            "worker --burst": ([*module, "worker", "--burst"], worker_config, None),
            # serve's imports: a web process's (the master's are --help's and gunicorn's)
            "serve (first 200)": ([], config, [PYTHON, "-c", "import voice_router.web"]),
        }
        if args.only:
            entries = {name: entries[name] for name in args.only.split(";")}
        seconds: dict[tuple[str, str], list[float]] = {}
        cpu: dict[tuple[str, str], list[float]] = {}
        for run in range(args.runs):
            for label, code in codes.items():
                for entry, (command, entry_config, _) in entries.items():
                    env = environment(entry_config, code)
                    before = children_cpu()
                    if command:
                        flush_redis()
                        took = timed(command, env, workdir)
                    else:
                        took = serve_ready(env, workdir)
                    seconds.setdefault((label, entry), []).append(took)
                    cpu.setdefault((label, entry), []).append(children_cpu() - before)
            log(f"run {run + 1}/{args.runs} done; load {os.getloadavg()[0]:.2f}")
        flush_redis()
        imports = {
            (label, entry): import_times(
                traced or command, environment(entry_config, code), workdir, args.runs
            )
            for label, code in codes.items()
            for entry, (command, entry_config, traced) in entries.items()
        }

    rows = []
    print(
        f"{'entry':<20}{'code':<10}{'median s':>10}{'min s':>8}{'cpu s':>8}{'imports ms':>12}"
        "  heaviest"
    )
    for (label, entry), values in seconds.items():
        found = imports.get((label, entry), {})
        heavy = ", ".join(
            f"{n} {ms:.0f}" for n, ms in list(found.get("heaviest_ms", {}).items())[:3]
        )
        print(
            f"{entry:<20}{label:<10}{statistics.median(values):>10.3f}{min(values):>8.3f}"
            f"{statistics.median(cpu[label, entry]):>8.2f}"
            f"{found.get('imports_ms', float('nan')):>12.0f}  {heavy}"
        )
        rows.append(
            {"entry": entry, "code": label, "median_s": round(statistics.median(values), 3),
             "seconds": [round(v, 3) for v in values],
             "cpu_seconds": [round(v, 3) for v in cpu[label, entry]], **found}
        )  # fmt: skip
    path = write_result(
        args.output,
        {"machine": machine(), "load_average": os.getloadavg(), "runs": args.runs, "rows": rows},
    )
    print(f"-> {path.relative_to(Path.cwd()) if path.is_relative_to(Path.cwd()) else path}")


if __name__ == "__main__":
    main()
