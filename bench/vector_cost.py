"""What making one problem's meaning vector costs the job that stores it, with and without
first customer messages (voice_router.problems.vectors.problem_vector).

    python bench/vector_cost.py [--problems 100] [--rounds 2]

Each problem: its title (twice) and 10 subjects, then the same with 10 first messages, all
drawn from tests/data/suggestions.json and made distinct, so the encoder's cache of recent
texts never answers (real traffic rarely repeats a message). CPU time of this process (the
encoder runs on one thread), per problem.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import time
from pathlib import Path

from common import ROOT, log

DATA = ROOT / "tests" / "data" / "suggestions.json"


def cost(problems: int, with_messages: bool, data: dict, rng: random.Random) -> float:
    from voice_router.problems import meaning, vectors
    from voice_router.problems.quotes import excerpt

    tickets = [t for p in data["problems"] for t in p["tickets"]]
    subjects = [t["subject"] for t in tickets]
    messages = [t["first_message"] for t in tickets if t["first_message"]]
    meaning._SEEN.clear()
    used = time.process_time()
    for i in range(problems):
        texts = [f"Problem {i}"] * 2 + [f"{rng.choice(subjects)} ({i}-{k})" for k in range(10)]
        said = [excerpt(f"{rng.choice(messages)} Ref {i}-{k}.", vectors.MESSAGE_CHARS)
                for k in range(10)] if with_messages else []  # fmt: skip
        vectors.problem_vector(texts, said)
    return (time.process_time() - used) / problems * 1000


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--problems", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    from voice_router.problems import meaning

    data = json.loads(Path(DATA).read_text())
    rng = random.Random(1)
    meaning.embed(["warm up"])  # loads the encoder
    for _ in range(args.rounds):
        without = cost(args.problems, False, data, rng)
        with_messages = cost(args.problems, True, data, rng)
        log(
            f"vector of one problem: {without:.1f} ms CPU without messages, "
            f"{with_messages:.1f} ms with 10 ({with_messages / without:.2f}x); "
            f"load average {os.getloadavg()[0]:.1f}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
