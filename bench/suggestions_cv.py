"""Merge suggestions: how well the stopping rule carries over to clusters it was not tuned on,
measured inside the tuning half only.

    python bench/suggestions_cv.py [--folds 5] [--repeats 4] [--target 0.96] [--seed 0]

bench/suggestions.py reports the tuning half with the rule's thresholds chosen on that same
half: an in-sample figure. Here the tuning half's clusters are split into `--folds` folds
(shuffled, `--repeats` times); for each fold the thresholds (`min_score`, `margin`,
`behind_best`, over the grid below) are chosen on the other folds — the highest recall@3 at
precision@3 >= `--target` — and the fold left out is scored with them. The folds' answers
are pooled into one precision@3 and recall@3 (defined as in bench/suggestions.py), next to
the shipped rule's in-sample figure on the same problems.

The held-out halves are never scored: their problems are loaded (they are the distractors
they are in bench/suggestions.py) but never asked about, and their clusters never chosen on.
A candidate signal or rule can be judged here first, so the held-out halves are printed once,
for the finished choice.

The labelled set is loaded as bench/suggestions.py loads it, each tuning problem's signals
are computed once (`suggestions.compare`, `ranked`: the rule's thresholds do not change
them), and the rule (`suggestions.scoring.chosen`) is applied per grid point.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import random
import sys
from collections import Counter
from typing import Any

from common import ROOT, temp_dir

sys.path.insert(0, str(ROOT))

DATA = ROOT / "tests" / "data" / "suggestions.json"
LIMIT = 3
MIN_SCORES = [round(0.35 + 0.025 * i, 3) for i in range(13)]  # 0.35 .. 0.65
MARGINS = [round(0.04 + 0.02 * i, 2) for i in range(9)]  # 0.04 .. 0.20
BEHIND = [0.1, 0.15, 0.2, 0.25, 1.0]  # 1.0: no limit


def figures(
    answers: dict[int, list[int]], cluster: dict[int, str], size: Counter[str]
) -> tuple[int, int, int]:
    """(correct, returned, wanted) over problems that have a duplicate."""
    correct = returned = wanted = 0
    for pid, found in answers.items():
        if size[cluster[pid]] > 1:
            returned += len(found)
            correct += sum(cluster[other] == cluster[pid] for other in found)
            wanted += min(LIMIT, size[cluster[pid]] - 1)
    return correct, returned, wanted


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--repeats", type=int, default=4)
    parser.add_argument("--target", type=float, default=0.96, help="precision to choose at")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    from sqlmodel import Session
    from suggestions import load_labelled

    from voice_router.platform.db import make_engine, upgrade
    from voice_router.problems.suggestions import WEIGHTS, compare
    from voice_router.problems.suggestions.scoring import chosen, ranked

    data = json.loads(DATA.read_text())
    with temp_dir("vr-bench-suggestions-cv-") as workdir:
        engine = make_engine(f"sqlite:///{workdir / 'labelled.db'}")
        upgrade(engine)
        by_id = load_labelled(engine, data)
        tuning = [pid for pid, record in by_id.items() if record["split"] == "tuning"]
        rankings: dict[int, list[tuple[float, int]]] = {}
        with Session(engine) as session:
            for pid in tuning:
                found, groups = compare(session, pid, WEIGHTS)
                rankings[pid] = ranked(found, groups, WEIGHTS)
        engine.dispose()
    cluster = {pid: record["cluster"] for pid, record in by_id.items()}
    size = Counter(cluster.values())
    grid = [
        dataclasses.replace(WEIGHTS, min_score=m, margin=g, behind_best=b)
        for m in MIN_SCORES
        for g in MARGINS
        for b in BEHIND
    ]
    answers = {  # grid point -> problem -> its suggestions
        i: {pid: [p for _, p in chosen(rankings[pid], LIMIT, w)] for pid in tuning}
        for i, w in enumerate(grid)
    }

    def best_on(problems: list[int]) -> int | None:
        best: tuple[float, int] | None = None
        for i in range(len(grid)):
            correct, returned, wanted = figures(
                {pid: answers[i][pid] for pid in problems}, cluster, size
            )
            good = returned and wanted and correct / returned >= args.target
            if good and (best is None or correct / wanted > best[0]):
                best = (correct / wanted, i)
        return best[1] if best else None

    clusters = sorted({cluster[pid] for pid in tuning})
    pooled = [0, 0, 0]
    rounds: list[dict[str, Any]] = []
    for repeat in range(args.repeats):
        shuffled = clusters[:]
        random.Random(args.seed + repeat).shuffle(shuffled)
        totals = [0, 0, 0]
        chosen_points = []
        for fold in range(args.folds):
            left_out = set(shuffled[fold :: args.folds])
            train = [pid for pid in tuning if cluster[pid] not in left_out]
            test = [pid for pid in tuning if cluster[pid] in left_out]
            point = best_on(train)
            if point is None:
                parser.error(f"no grid point reaches precision {args.target} on a fold")
            w = grid[point]
            chosen_points.append((w.min_score, w.margin, w.behind_best))
            got = figures({pid: answers[point][pid] for pid in test}, cluster, size)
            totals = [a + b for a, b in zip(totals, got, strict=True)]
        pooled = [a + b for a, b in zip(pooled, totals, strict=True)]
        rounds.append({"figures": totals, "chosen": chosen_points})
    shipped = figures(
        {pid: [p for _, p in chosen(rankings[pid], LIMIT, WEIGHTS)] for pid in tuning},
        cluster,
        size,
    )
    best = best_on(tuning)

    def line(label: str, correct: int, returned: int, wanted: int) -> str:
        return (
            f"{label:<52}P@3 {correct / returned:.3f}  R@3 {correct / wanted:.3f}  "
            f"({correct} right of {returned}, {wanted} wanted)"
        )

    print(f"tuning half: {len(tuning)} problems, {len(clusters)} clusters")
    print(line("shipped rule, in-sample", *shipped))
    if best is not None:
        w = grid[best]
        label = f"best grid point, in-sample ({w.min_score}, {w.margin}, {w.behind_best})"
        print(line(label, *figures(answers[best], cluster, size)))
    for repeat, r in enumerate(rounds):
        print(line(f"cross-validated, repeat {repeat + 1}", *r["figures"]))
        print("    chosen (min_score, margin, behind_best): " + ", ".join(map(str, r["chosen"])))
    print(line(f"cross-validated, {args.repeats} x {args.folds} folds pooled", *pooled))
    return 0


if __name__ == "__main__":
    sys.exit(main())
