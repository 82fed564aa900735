"""A view's reads through `db.reading` (on PostgreSQL outside a transaction) against a plain
session (how views read before 2026-12-06: BEGIN, the statements, ROLLBACK), alternated in
blocks of 50 calls in one process, on PostgreSQL and SQLite; medians in ms. The read is the
API list's: `listing.list_problems(sort="impact", limit=100)` over the data set of
bench/reading.py (1,000 problems; 100,000 pain points unless --pain-points).

    python bench/read_session.py [--blocks 40] [--pain-points 100000]
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from functools import partial
from typing import Any

from common import alternated, create_postgres, drop_postgres, postgres_url, settings_for, temp_dir
from reading import bulk_load


def compare(database_url: str, blocks: int, pain_points: int) -> dict[str, float]:
    from sqlmodel import Session

    from voice_router.platform.db import reading, upgrade
    from voice_router.problems import listing
    from workers.runtime import build_runtime

    runtime = build_runtime(settings_for(database_url))
    upgrade(runtime.engine)
    bulk_load(runtime.engine, pain_points, seed=7)
    ways: dict[str, Callable[[Any], Any]] = {"session": Session, "reading": reading}

    def listed(way: Callable[[Any], Any]) -> list[dict[str, Any]]:
        with way(runtime.engine) as session:
            return listing.list_problems(session, "impact", limit=100)

    if listed(Session) != listed(reading):
        raise RuntimeError("the two reads disagree")
    medians = alternated({name: partial(listed, way) for name, way in ways.items()}, blocks)
    runtime.engine.dispose()
    return medians


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--blocks", type=int, default=40)
    parser.add_argument("--pain-points", type=int, default=100_000)
    args = parser.parse_args()
    name = create_postgres("reads")
    try:
        print("postgresql", compare(postgres_url(name), args.blocks, args.pain_points))
    finally:
        drop_postgres(name)
    with temp_dir("vr-bench-reads-") as workdir:
        found = compare(f"sqlite:///{workdir / 'reads.db'}", args.blocks, args.pain_points)
        print("sqlite", found)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
