"""The notify list of the biggest problem, served by two source trees from one database.

    python bench/notify_ab.py --base DIR [--pythonpath DIR] [--pain-points 100000]
        [--rounds 2] [--calls 7]

Loads a SQLite file once as bench/reading.py does (100,000 pain points over 1,000 problems
by default), then, round after round, starts one process per tree (this one or
--pythonpath, and --base, a `git worktree add DIR COMMIT`) that times `GET
/api/v1/problems/<id>/notify` of the problem with the most customers through the Flask
test client: two warm-up calls, then --calls timed ones. Each prints its median and the
SHA-256 of its answer, so the two trees are seen to answer the same. The order of the trees
alternates by round.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from common import PYTHON, ROOT, log, settings_for, temp_dir


def serve_once(database_url: str, calls: int) -> None:
    """In the tree's own process: time the notify list and print the figures as JSON."""
    from sqlmodel import Session

    from voice_router.platform.tokens import create_token
    from voice_router.problems import listing
    from voice_router.web import create_app
    from workers.runtime import build_runtime

    runtime = build_runtime(settings_for(database_url))
    headers = {"Authorization": f"Bearer {create_token(runtime.engine, 'agent', 'bench')}"}
    client = create_app(runtime=runtime).test_client()
    with Session(runtime.engine) as session:
        top = listing.list_problems(session, "impact", limit=1)[0]["id"]
    url = f"/api/v1/problems/{top}/notify"
    for _ in range(2):
        client.get(url, headers=headers)
    seconds = []
    for _ in range(calls):
        started = time.perf_counter()
        response = client.get(url, headers=headers)
        seconds.append(time.perf_counter() - started)
        if response.status_code != 200:
            raise RuntimeError(f"{url}: {response.status_code}")
    body = response.get_data()
    print(
        json.dumps(
            {
                "median_ms": round(statistics.median(seconds) * 1000, 1),
                "recipients": len(json.loads(body)["recipients"]),
                "sha256": hashlib.sha256(body).hexdigest()[:16],
            }
        )
    )
    runtime.engine.dispose()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", required=True, help="the other source tree (git worktree)")
    parser.add_argument("--pythonpath", default="", help="this side's tree (default: this one)")
    parser.add_argument("--pain-points", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--calls", type=int, default=7)
    parser.add_argument("--serve", default="", help=argparse.SUPPRESS)  # the child's side
    args = parser.parse_args()
    if args.serve:
        serve_once(args.serve, args.calls)
        return 0
    from reading import bulk_load

    from voice_router.platform.db import make_engine, upgrade

    trees = {
        "head": Path(args.pythonpath).resolve() if args.pythonpath else ROOT,
        "base": Path(args.base).resolve(),
    }
    with temp_dir("notify-ab") as workdir:
        url = f"sqlite:///{workdir / 'notify.db'}"
        engine = make_engine(url)
        upgrade(engine)
        log(f"loading {args.pain_points} pain points ...")
        bulk_load(engine, args.pain_points, 1)
        engine.dispose()
        answers = set()
        for round_number in range(args.rounds):
            order = list(trees.items()) if round_number % 2 == 0 else list(trees.items())[::-1]
            for name, tree in order:
                env = {
                    **os.environ,
                    "PYTHONPATH": os.pathsep.join([str(tree), str(ROOT / "bench")]),
                }
                out = subprocess.run(
                    [PYTHON, str(Path(__file__).resolve()), "--base", args.base,
                     "--calls", str(args.calls), "--serve", url],
                    env=env, capture_output=True, text=True, check=True,
                ).stdout  # fmt: skip
                figures = json.loads(out.strip().splitlines()[-1])
                answers.add(figures["sha256"])
                print(
                    f"round {round_number + 1} {name} ({tree}): median {figures['median_ms']} ms, "
                    f"{figures['recipients']} recipients, answer {figures['sha256']}"
                )
        print("both trees gave the same answer" if len(answers) == 1 else "THE ANSWERS DIFFER")
    return 0


if __name__ == "__main__":
    sys.exit(main())
