"""The bearer token's lookup, done for every API request: `tokens.authenticate` against a
session that loads the token's row (how it was read before 2026-12-06), alternated in blocks
of 50 calls in one process, on PostgreSQL and SQLite; medians in ms.

    python bench/token_lookup.py [--blocks 40]
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from functools import partial
from typing import Any

from common import alternated, create_postgres, drop_postgres, postgres_url, settings_for, temp_dir


def session_lookup(engine: Any, token: str) -> Any:
    from sqlmodel import Session

    from voice_router.platform.tokens import Caller, active_token

    with Session(engine) as session:
        row = active_token(session, token)
    return Caller(row.name, row.role) if row else None


def compare(database_url: str, blocks: int) -> dict[str, float]:
    from voice_router.platform.db import upgrade
    from voice_router.platform.tokens import authenticate, create_token
    from workers.runtime import build_runtime

    runtime = build_runtime(settings_for(database_url))
    upgrade(runtime.engine)
    token = create_token(runtime.engine, "agent", "bench")
    ways: dict[str, Callable[[Any, str], Any]] = {
        "session": session_lookup,
        "authenticate": authenticate,
    }
    if len({repr(way(runtime.engine, token)) for way in ways.values()}) != 1:
        raise RuntimeError("the two lookups disagree")
    medians = alternated(
        {name: partial(way, runtime.engine, token) for name, way in ways.items()}, blocks
    )
    runtime.engine.dispose()
    return medians


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--blocks", type=int, default=40)
    args = parser.parse_args()
    name = create_postgres("tokens")
    try:
        print("postgresql", compare(postgres_url(name), args.blocks))
    finally:
        drop_postgres(name)
    with temp_dir("vr-bench-tokens-") as workdir:
        print("sqlite", compare(f"sqlite:///{workdir / 'tokens.db'}", args.blocks))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
