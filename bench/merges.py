"""Merging big problems: how long a product manager waits for a merge and an unmerge.

    python bench/merges.py [--pain-points 100000] [--rounds 3] [--databases postgresql,sqlite]

On `bench/reading.py`'s data set (1,000 problems of skewed size; 100,000 pain points unless
--pain-points), each round merges the second biggest problem into the biggest, then the
third into the same one, then unmerges the second (`problems.merging`, as the API and the
UI call it: each recounts the groups it changes from their pain points), timing each call.
Afterwards every problem's stored counts must equal a recount (`impact_check`). Reported:
the median of the rounds per step and database.
"""

from __future__ import annotations

import argparse
import statistics
import time
from typing import Any

from common import (
    compile_code,
    machine,
    rounds_on_databases,
    write_result,
)
from reading import bulk_load

STEPS = ("merge", "second merge", "unmerge")


def one_round(database_url: str, pain_points: int) -> dict[str, Any]:
    import sqlalchemy as sa

    from voice_router.platform.db import make_engine, upgrade
    from voice_router.problems import impact_check, merging

    engine = make_engine(database_url)
    try:
        upgrade(engine)
        bulk_load(engine, pain_points, seed=7)
        with engine.connect() as connection:
            biggest = connection.execute(
                sa.text("SELECT id, tickets FROM problem ORDER BY tickets DESC, id LIMIT 3")
            ).all()
        (first, first_tickets), (second, second_tickets), (third, _) = biggest
        calls = {
            "merge": lambda: merging.merge(engine, second, first, "bench"),
            "second merge": lambda: merging.merge(engine, third, first, "bench"),
            "unmerge": lambda: merging.unmerge(engine, second),
        }
        ms: dict[str, float] = {}
        for step in STEPS:
            started = time.perf_counter()
            calls[step]()
            ms[step] = round((time.perf_counter() - started) * 1000, 1)
        drift = impact_check.recompute_all(engine, fix=False)
    finally:
        engine.dispose()
    return {"ms": ms, "tickets": [first_tickets, second_tickets], "drift": len(drift)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--pain-points", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--databases", default="postgresql,sqlite")
    parser.add_argument("--output", default="merges", help="bench/results/<OUTPUT>.json")
    args = parser.parse_args()
    compile_code()
    runs = rounds_on_databases(
        args.databases,
        args.rounds,
        "merges",
        lambda url: one_round(url, args.pain_points),
        lambda found: f"{found['ms']} ms; problems of {found['tickets']} tickets",
    )
    path = write_result(args.output, {"benchmark": "merges", "machine": machine(), "runs": runs})
    print(f"merges: the biggest problems of {args.pain_points} pain points (median ms)")
    print(f"{'database':<12}" + "".join(f"{step:>14}" for step in STEPS) + f"{'drift':>7}")
    for database in sorted({r["database"] for r in runs}):
        mine = [r for r in runs if r["database"] == database]
        medians = [statistics.median(r["ms"][step] for r in mine) for step in STEPS]
        drift = sum(r["drift"] for r in mine)
        print(f"{database:<12}" + "".join(f"{m:>14.0f}" for m in medians) + f"{drift:>7}")
    print(f"-> {path}")
    return 0 if all(r["drift"] == 0 for r in runs) else 1


if __name__ == "__main__":
    raise SystemExit(main())
