"""Taking SQLite's spool in: how long do 2,000 spooled deliveries take to reach the table?

    python bench/spool.py [--deliveries 2000] [--rounds 3] [--per-file 1,16,256]

For each file size and round: a fresh, migrated SQLite file; N signed generic deliveries
written to its spool (`<database>.spool/`) by `spool.write`, `per-file` rows a file, as
intake writes a group it could not commit; then `processing.spooled.take_in` is called until
the spool is empty (it takes at most FILES_PER_PASS files a call) and timed. Nothing is
processed. Reported: seconds, deliveries per second, and the rows in the table afterwards
(must be N). A group of webhooks is one file, at most `statements.MAX_GROUP` (256) rows.
"""

from __future__ import annotations

import argparse
import statistics
import time
from datetime import UTC, datetime
from typing import Any

from common import (
    Population,
    generic_body,
    log,
    machine,
    sign_generic,
    stored_delivery,
    temp_dir,
    write_result,
)


def one_round(workdir: Any, deliveries: int, per_file: int, round_no: int) -> dict[str, Any]:
    import sqlalchemy as sa

    from voice_router.intake import spool
    from voice_router.intake.processing.spooled import take_in
    from voice_router.platform.db import make_engine, upgrade

    database = workdir / f"spool-{per_file}-{round_no}.db"
    engine = make_engine(f"sqlite:///{database}")
    upgrade(engine)
    directory = spool.directory_of(str(database))
    assert directory is not None
    population = Population(seed=round_no)
    now = datetime.now(UTC).isoformat(timespec="seconds")
    rows = []
    for i in range(deliveries):
        body = generic_body(population, i, now)
        rows.append({**stored_delivery(body, sign_generic(body)), "last_error": None})
    for start in range(0, deliveries, per_file):
        spool.write(directory, rows[start : start + per_file])
    files = len(spool.waiting(directory))
    started = time.perf_counter()
    while spool.waiting(directory):
        take_in(engine)
    seconds = time.perf_counter() - started
    with engine.connect() as connection:
        stored = connection.execute(sa.text("SELECT count(*) FROM delivery")).scalar_one()
    engine.dispose()
    if stored != deliveries:
        raise RuntimeError(f"{stored} rows stored of {deliveries}")
    return {
        "per_file": per_file,
        "files": files,
        "round": round_no,
        "seconds": round(seconds, 4),
        "per_second": round(deliveries / seconds),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deliveries", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--per-file", default="1,16,256")
    args = parser.parse_args()
    sizes = [int(s) for s in args.per_file.split(",") if s.strip()]
    runs = []
    with temp_dir("vr-bench-spool-") as workdir:
        for round_no in range(1, args.rounds + 1):
            for per_file in sizes:
                found = one_round(workdir, args.deliveries, per_file, round_no)
                runs.append(found)
                log(
                    f"round {round_no}: {per_file} a file, {found['files']} files: "
                    f"{found['seconds']:.3f} s, {found['per_second']:,}/s"
                )
    medians = {
        size: statistics.median(r["seconds"] for r in runs if r["per_file"] == size)
        for size in sizes
    }
    for size, seconds in medians.items():
        print(f"{size:>4} a file: median {seconds:.3f} s ({args.deliveries / seconds:,.0f}/s)")
    path = write_result(
        "spool", {"machine": machine(), "deliveries": args.deliveries, "runs": runs}
    )
    log(f"figures: {path}")


if __name__ == "__main__":
    main()
