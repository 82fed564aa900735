"""Intake cost per request inside one process, without HTTP: the WSGI apps called directly.

    python bench/intake_wsgi.py [--requests 1000] [--rounds 5]
        [--databases sqlite,postgresql]

The companion of bench/intake.py for a shared, noisy machine: calling the apps in one
process, in alternating blocks (bare, voice-router, bare, …), keeps other load
from skewing one side, and wrappers around `inbox.receive` and `RedisQueue.signal_drain`
show where voice-router's time goes. Same pre-signed distinct generic deliveries, same
settings (fresh database, `redis_url` set so nothing is processed inline). Apps:

- `bare`: bench/bare_app.py;
- `voice-router`: `create_app()` as shipped.

Reported: median and best µs per request over the rounds for each app, the bare/app ratio (the
throughput ratio a CPU-bound server would show, before gunicorn's own per-connection cost,
which is the same for every app), and voice-router's time inside receive and signal_drain.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from common import (
    DATABASES,
    REDIS_URL,
    ROOT,
    Population,
    flush_redis,
    fresh_database,
    generic_body,
    log,
    machine,
    postgres_version,
    settings_for,
    sign_generic,
    temp_dir,
    write_result,
)


class Deliveries:
    def __init__(self) -> None:
        self.population = Population(seed=3)
        self.next = 0

    def environs(self, count: int) -> list[dict[str, Any]]:
        from werkzeug.test import EnvironBuilder

        occurred = datetime.now(UTC).isoformat(timespec="seconds")
        out = []
        for _ in range(count):
            body = generic_body(self.population, self.next, occurred)
            self.next += 1
            headers = {**sign_generic(body), "Content-Type": "application/json"}
            builder = EnvironBuilder(
                path="/webhooks/generic", method="POST", data=body, headers=headers
            )
            out.append(builder.get_environ())
        return out


def _start_response(status: str, headers: Any, exc_info: Any = None) -> None:
    if not status.startswith("202"):
        raise RuntimeError(f"expected 202, got {status}")


def call_all(app: Callable[..., Any], environs: list[dict[str, Any]]) -> float:
    started = time.perf_counter()
    for environ in environs:
        for _ in app(environ, _start_response):
            pass
    return (time.perf_counter() - started) / len(environs)


@contextmanager
def timing(spent: Counter[str]) -> Iterator[None]:
    """Wrap inbox.receive and RedisQueue.signal_drain in timers."""
    from voice_router.intake import inbox
    from workers import queue

    originals = (inbox.receive, queue.RedisQueue.signal_drain)

    def wrap(label: str, function: Callable[..., Any]) -> Callable[..., Any]:
        def timed(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                spent[label] += time.perf_counter() - started

        return timed

    inbox.receive = wrap("inbox.receive", originals[0])
    queue.RedisQueue.signal_drain = wrap("signal_drain", originals[1])  # type: ignore[method-assign]
    try:
        yield
    finally:
        inbox.receive, queue.RedisQueue.signal_drain = originals  # type: ignore[method-assign]


def bench_database(database: str, url: str, args: argparse.Namespace) -> dict[str, Any]:
    import bare_app

    from voice_router.platform.db import upgrade
    from voice_router.web import create_app
    from workers.runtime import build_runtime

    flush_redis()
    runtime = build_runtime(settings_for(url, REDIS_URL))
    upgrade(runtime.engine)
    app = create_app(runtime=runtime)
    deliveries = Deliveries()
    samples: dict[str, list[float]] = {"bare": [], "voice-router": []}
    spent: Counter[str] = Counter()
    timed_requests = 0
    call_all(app, deliveries.environs(200))  # warm up caches and pools
    call_all(bare_app.app, deliveries.environs(200))
    for round_no in range(args.rounds):
        environs = deliveries.environs(args.requests)
        samples["bare"].append(call_all(bare_app.app, environs))
        environs = deliveries.environs(args.requests)
        with timing(spent):
            samples["voice-router"].append(call_all(app, environs))
        timed_requests += len(environs)
        log(
            f"  {database} round {round_no + 1}: "
            + ", ".join(f"{k} {v[-1] * 1e6:.0f} µs" for k, v in samples.items())
        )
    runtime.engine.dispose()
    flush_redis()
    median = {k: statistics.median(v) * 1e6 for k, v in samples.items()}
    best = {k: min(v) * 1e6 for k, v in samples.items()}
    return {
        "database": database,
        "median_us_per_request": {k: round(v) for k, v in median.items()},
        "best_us_per_request": {k: round(v) for k, v in best.items()},
        "ratio_to_bare": {
            k: round(median["bare"] / v, 2) for k, v in median.items() if k != "bare"
        },
        "best_ratio_to_bare": {
            k: round(best["bare"] / v, 2) for k, v in best.items() if k != "bare"
        },
        "voice_router_us_inside": {k: round(v / timed_requests * 1e6) for k, v in spent.items()},
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--requests", type=int, default=500, help="requests per app per round")
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--databases", default="sqlite,postgresql")
    args = parser.parse_args()
    databases = [d.strip() for d in args.databases.split(",") if d.strip()]
    info = machine()
    results = []
    with temp_dir("vr-bench-wsgi-") as workdir:
        for database in databases:
            log(f"{database} ...")
            if database not in DATABASES:
                parser.error(f"unknown database {database!r}")
            with fresh_database(database, workdir / "w.db", "wsgi") as url:
                results.append(bench_database(database, url, args))
    data = {
        "benchmark": "intake_wsgi",
        "machine": info,
        "postgres": postgres_version() if "postgresql" in databases else None,
        "requests_per_round": args.requests,
        "rounds": args.rounds,
        "results": results,
    }
    path = write_result("intake_wsgi", data)
    print(f"intake in process: {args.rounds} rounds x {args.requests} requests per app")
    print(
        f"{'database':<12}{'app':<14}{'median µs':>10}{'bare/app':>10}{'best µs':>10}"
        f"{'bare/app':>10}"
    )
    for r in results:
        for app, us in r["median_us_per_request"].items():
            ratio = r["ratio_to_bare"].get(app, "")
            best = r["best_us_per_request"][app]
            best_ratio = r["best_ratio_to_bare"].get(app, "")
            print(f"{r['database']:<12}{app:<14}{us:>10}{ratio:>10}{best:>10}{best_ratio:>10}")
        inside = ", ".join(f"{k} {v} µs" for k, v in r["voice_router_us_inside"].items())
        print(f"{'':<12}voice-router time inside: {inside}")
    print(f"-> {Path(path).relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
