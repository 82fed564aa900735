"""Merge suggestions: precision@3 over the labelled set, and the time one suggestion takes.

    python bench/suggestions.py [--split all|tuning|held_out|held_out_fresh]
        [--databases sqlite,postgresql] [--calls 50] [--pain-points 100000]

Quality. tests/data/suggestions.json (see tests/data/README.md) is loaded into a fresh
SQLite database through the real models: one Account per company, one Customer per
person, one Problem per pain tag (key from `TagMatcher`, title from `title_from_key`), one
PainPoint per ticket; then `impact_recount.recompute` for all. For every problem that has at least
one true duplicate (another tag of its cluster), `suggest(session, id, limit=3)` is asked
once and each returned suggestion is judged correct when it is in the same cluster.

- precision@3 = correct suggestions / suggestions returned, over all those problems
  (micro-averaged; up to 3 per problem, fewer when fewer pass the threshold);
- recall@3 = correct suggestions / sum over the problems of min(3, true duplicates);
- no suggestion = problems that got an empty list;
- false alarms = problems WITHOUT any true duplicate that got at least one suggestion.

Figures are given for the tuning half and the held-out half of the clusters (the split is
in the data; weights and threshold were chosen on the tuning half only), for the held-out
problems of the fresh clusters alone (`held_out_fresh`: the data's `fresh_clusters`, added
after the held-out half had been looked at by earlier attempts), for ablations with
signals switched off, and for other thresholds (`min_score`) as a precision/recall curve.

The labelled set's problem vectors are computed by `vectors.update` after loading,
as the drain job does: a suggestion only compares cached vectors.

Speed. The labelled problems plus generated ones make 1,000 problems with 100,000 pain
points (subjects, ~3,000 accounts, ~20,000 customers), bulk-inserted like bench/reading.py;
their vectors are stored by `vectors.update` (timed apart: that is the job's
encoding work; a later database in the same run reuses the encoder's text cache);
`suggest` is timed (wall clock, and CPU time of this process: SQLite runs in it, PostgreSQL's
own work is not in that figure) for N random problems and for N labelled problems that have
a duplicate (they get suggestions, so reasons are built too), after 3 warm-up calls; the
first call (cold word caches) is reported apart.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import random
import sys
import time
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from common import (
    DATABASES,
    ROOT,
    fresh_database,
    log,
    machine,
    postgres_version,
    summary_ms,
    temp_dir,
    write_result,
)

sys.path.insert(0, str(ROOT))

DATA = ROOT / "tests" / "data" / "suggestions.json"
LIMIT = 3
PROBLEMS = 1000
ACCOUNTS = 3000
CUSTOMERS = 20000


# ---------------------------------------------------------------- quality


def load_labelled(engine: Any, data: dict[str, Any]) -> dict[int, dict[str, Any]]:
    """Insert the labelled set through the models; returns problem id -> its record."""
    from sqlmodel import Session

    from voice_router.models import Account, Customer, PainPoint, Problem
    from voice_router.problems import impact_recount, vectors
    from voice_router.problems.tags import TagMatcher, title_from_key

    matcher = TagMatcher(["pain-*", "pain:*"])
    now = datetime.now(UTC)
    by_id: dict[int, dict[str, Any]] = {}
    with Session(engine) as session:
        accounts = {}
        for company in data["companies"]:
            account = Account(key=company["domain"], domain=company["domain"], name=company["name"])
            session.add(account)
            accounts[company["name"]] = account
        session.flush()
        customers: dict[str, Customer] = {}
        ticket = 0
        for record in data["problems"]:
            key = matcher.problem_key(record["tag"])
            if key != record["key"]:
                raise SystemExit(
                    f"{record['tag']!r} names {key!r}, the data says {record['key']!r}"
                )
            problem = Problem(key=key, title=title_from_key(key))
            session.add(problem)
            session.flush()
            by_id[problem.id] = record
            for item in record["tickets"]:
                account = accounts.get(item["company"]) if item["company"] else None
                customer = customers.get(item["email"])
                if customer is None:
                    customer = Customer(
                        email=item["email"],
                        name=item["customer"],
                        account_id=account.id if account else None,
                    )
                    session.add(customer)
                    session.flush()
                    customers[item["email"]] = customer
                ticket += 1
                when = now - timedelta(days=item["days_ago"], minutes=ticket)
                session.add(
                    PainPoint(
                        problem_id=problem.id,
                        source="generic",
                        ticket_id=f"L{ticket}",
                        subject=item["subject"],
                        first_message=item.get("first_message"),
                        tag=record["tag"],
                        customer_id=customer.id,
                        account_id=account.id if account else None,
                        reported_at=when,
                        last_event_at=when,
                    )
                )
        session.flush()
        impact_recount.recompute(session, list(by_id))
        session.commit()
    vectors.update(engine)  # as the drain job does: requests only compare vectors
    return by_id


SPLITS = ("tuning", "held_out", "held_out_fresh", "all")


def in_split(record: dict[str, Any], split: str, fresh: set[str]) -> bool:
    """Whether a problem counts in a split: `held_out_fresh` is the held-out problems of the
    clusters added last (the data's `fresh_clusters`, not looked at before they were added)."""
    if split == "held_out_fresh":
        return record["split"] == "held_out" and record["cluster"] in fresh
    return split in ("all", record["split"])


def evaluate(
    engine: Any, by_id: dict[int, dict[str, Any]], weights: Any, fresh: set[str] = frozenset()
) -> dict[str, Any]:
    from sqlmodel import Session

    from voice_router.problems.suggestions import suggest

    cluster = {pid: record["cluster"] for pid, record in by_id.items()}
    size = Counter(cluster.values())
    answers: dict[int, list[Any]] = {}
    with Session(engine) as session:
        for pid in by_id:
            answers[pid] = suggest(session, pid, LIMIT, weights=weights)
    figures: dict[str, Any] = {}
    for split in SPLITS:
        queries = [
            pid for pid, r in by_id.items() if size[r["cluster"]] > 1 and in_split(r, split, fresh)
        ]
        singles = [
            pid for pid, r in by_id.items() if size[r["cluster"]] == 1 and in_split(r, split, fresh)
        ]
        returned = correct = wanted = empty = hits = 0
        for pid in queries:
            found = answers[pid]
            good = sum(cluster[s.problem_id] == cluster[pid] for s in found)
            returned += len(found)
            correct += good
            wanted += min(LIMIT, size[cluster[pid]] - 1)
            empty += not found
            hits += good > 0
        figures[split] = {
            "problems_with_duplicates": len(queries),
            "suggestions_returned": returned,
            "correct": correct,
            "precision_at_3": round(correct / returned, 3) if returned else None,
            "recall_at_3": round(correct / wanted, 3) if wanted else None,
            "hit_rate_at_3": round(hits / len(queries), 3) if queries else None,
            "no_suggestion": empty,
            "problems_without_duplicates": len(singles),
            "false_alarms": sum(bool(answers[pid]) for pid in singles),
        }
    return {"figures": figures, "answers": answers}


def pair_report(
    data: dict[str, Any],
    by_id: dict[int, dict[str, Any]],
    answers: dict[int, list[Any]],
    split: str = "all",
    fresh: set[str] = frozenset(),
) -> dict[str, dict[str, int]]:
    """Per pair kind: how many labelled pairs were suggested (either way round); a pair
    belongs to the split of its first problem."""
    ids = {record["key"]: pid for pid, record in by_id.items()}
    shown = {(pid, s.problem_id) for pid, found in answers.items() for s in found}
    kinds: dict[str, dict[str, int]] = defaultdict(lambda: {"pairs": 0, "suggested": 0})
    for pair in data["pairs"]:
        a, b = ids[pair["a"]], ids[pair["b"]]
        if not in_split(by_id[a], split, fresh):
            continue
        kind = (
            pair["kind"]
            if pair["kind"] == "hard-negative" or "+" not in pair["kind"]
            else ("variant+variant")
        )
        kinds[kind]["pairs"] += 1
        kinds[kind]["suggested"] += (a, b) in shown or (b, a) in shown
    return dict(sorted(kinds.items()))


def examples(by_id: dict[int, dict[str, Any]], answers: dict[int, list[Any]]) -> list[str]:
    lines = []
    for pid, found in answers.items():
        for s in found:
            mark = "ok " if by_id[s.problem_id]["cluster"] == by_id[pid]["cluster"] else "BAD"
            lines.append(
                f"{mark} {by_id[pid]['key']} -> {by_id[s.problem_id]['key']} {s.score:.2f} "
                + " | ".join(s.reasons)
            )
    return lines


# ---------------------------------------------------------------- speed


def bulk_load(engine: Any, data: dict[str, Any], pain_points: int, seed: int) -> list[int]:
    """1,000 problems (the labelled keys first, then generated ones from their words)."""
    import sqlalchemy as sa

    from voice_router.models import Account, Customer, PainPoint, Problem
    from voice_router.platform.db import session_scope
    from voice_router.problems import impact_recount

    rng = random.Random(seed)
    now = datetime.now(UTC)
    keys = [p["key"] for p in data["problems"]]
    vocabulary = sorted({w for k in keys for w in k.split("-")})
    subjects = [t["subject"] for p in data["problems"] for t in p["tickets"]]
    messages = [t.get("first_message") for p in data["problems"] for t in p["tickets"]]
    texts = random.Random(seed + 1)  # first messages drawn apart: the other draws stay as they were
    while len(keys) < PROBLEMS:
        key = "-".join(rng.sample(vocabulary, rng.randint(2, 4)))
        if key not in keys:
            keys.append(key)
    with engine.begin() as connection:
        connection.execute(
            sa.insert(Problem.__table__),  # type: ignore[attr-defined]
            [
                {"id": i + 1, "key": k, "title": k.replace("-", " "), "status": "open",
                 "customers": 0, "accounts": 0, "mrr": Decimal(0), "tickets": 0,
                 "created_at": now, "updated_at": now}
                for i, k in enumerate(keys)
            ],
        )  # fmt: skip
        connection.execute(
            sa.insert(Account.__table__),  # type: ignore[attr-defined]
            [
                {"id": a + 1, "key": f"company{a}.example", "domain": f"company{a}.example",
                 "name": f"Company {a}"}
                for a in range(ACCOUNTS)
            ],
        )  # fmt: skip
        account_of = [None if c % 10 == 9 else (c % ACCOUNTS) + 1 for c in range(CUSTOMERS)]
        connection.execute(
            sa.insert(Customer.__table__),  # type: ignore[attr-defined]
            [
                {"id": c + 1, "email": f"person{c}@x{c % ACCOUNTS}.example",
                 "name": f"Person {c}", "account_id": account_of[c], "created_at": now}
                for c in range(CUSTOMERS)
            ],
        )  # fmt: skip
        weights = [1 / (k + 1) ** 0.9 for k in range(PROBLEMS)]
        rng.shuffle(weights)
        picks = rng.choices(range(PROBLEMS), weights=weights, k=pain_points)
        rows = []
        for i, problem in enumerate(picks):
            customer = rng.randrange(CUSTOMERS)
            reported = now - timedelta(seconds=rng.randrange(90 * 24 * 3600))
            rows.append(
                {"problem_id": problem + 1, "source": "generic", "ticket_id": f"T{i}",
                 "subject": rng.choice(subjects), "first_message": texts.choice(messages),
                 "tag": f"pain-{keys[problem]}",
                 "customer_id": customer + 1, "account_id": account_of[customer],
                 "reported_at": reported, "last_event_at": reported,
                 "removed_at": reported if rng.random() < 0.05 else None}
            )  # fmt: skip
            if len(rows) == 10000:
                connection.execute(sa.insert(PainPoint.__table__), rows)  # type: ignore[attr-defined]
                rows = []
        if rows:
            connection.execute(sa.insert(PainPoint.__table__), rows)  # type: ignore[attr-defined]
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            for table in ("problem", "account", "customer", "painpoint"):
                connection.execute(
                    sa.text(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                        f"(SELECT max(id) FROM {table}))"
                    )
                )
                connection.execute(sa.text(f"ANALYZE {table}"))
        else:
            connection.execute(sa.text("ANALYZE"))
    with session_scope(engine) as session:
        impact_recount.recompute(session, range(1, PROBLEMS + 1))
    return rng.sample(range(1, PROBLEMS + 1), PROBLEMS)


def time_database(database: str, url: str, data: dict[str, Any], args: Any) -> dict[str, Any]:
    from sqlmodel import Session

    from voice_router.platform.db import make_engine, upgrade
    from voice_router.problems import vectors
    from voice_router.problems.suggestions import suggest

    engine = make_engine(url)
    upgrade(engine)
    log(f"{database}: bulk-loading {PROBLEMS} problems, {args.pain_points} pain points ...")
    order = bulk_load(engine, data, args.pain_points, args.seed)
    started, used = time.perf_counter(), time.process_time()
    vectors.update(engine)  # what the drain job does; suggestions only compare
    encoding = {
        "wall_s": round(time.perf_counter() - started, 1),
        "cpu_s": round(time.process_time() - used, 1),
    }
    log(f"  vectors of {PROBLEMS} problems stored in {encoding['wall_s']} s")
    # Problems 1..182 are the labelled ones; those with a duplicate do get suggestions.
    size = Counter(p["cluster"] for p in data["problems"])
    with_duplicate = [i + 1 for i, p in enumerate(data["problems"]) if size[p["cluster"]] > 1]
    with Session(engine) as session:
        started = time.perf_counter()
        suggest(session, order[0])
        first = time.perf_counter() - started
    result: dict[str, Any] = {
        "database": database,
        "vectors_of_all_problems": encoding,
        "first_call_ms": round(first * 1000, 1),
    }
    with Session(engine) as session:
        for pid in order[1:4]:
            suggest(session, pid)
        cases = {"any_problem": order[4:], "with_duplicate": with_duplicate}
        for case, ids in cases.items():
            samples, cpu, counts = [], [], []
            for pid in random.Random(args.seed).sample(ids, min(args.calls, len(ids))):
                started, used = time.perf_counter(), time.process_time()
                found = suggest(session, pid)
                samples.append(time.perf_counter() - started)
                cpu.append(time.process_time() - used)
                counts.append(len(found))
            result[case] = {
                "wall": summary_ms(samples),
                "cpu": summary_ms(cpu),
                "mean_suggestions": round(sum(counts) / len(counts), 2),
            }
            log(
                f"  {case}: median {result[case]['wall']['median_ms']} ms, p95 "
                f"{result[case]['wall']['p95_ms']} ms (CPU median "
                f"{result[case]['cpu']['median_ms']} ms), "
                f"{result[case]['mean_suggestions']} suggestions on average"
            )
    engine.dispose()
    result["loadavg_after"] = [round(x, 2) for x in os.getloadavg()]
    return result


# ---------------------------------------------------------------- main


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--split", default="all", choices=SPLITS)
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--calls", type=int, default=50)
    parser.add_argument("--pain-points", type=int, default=100000)
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--show", action="store_true", help="print every suggestion made")
    args = parser.parse_args()
    databases = [d.strip() for d in args.databases.split(",") if d.strip()]

    from voice_router.platform.db import make_engine, upgrade
    from voice_router.problems.suggestions import WEIGHTS

    data = json.loads(DATA.read_text())
    fresh = set(data.get("fresh_clusters", []))
    info = machine()
    ablations = {
        "all signals": WEIGHTS,
        "name only": dataclasses.replace(WEIGHTS, subjects=0, accounts=0, customers=0),
        "name + subjects": dataclasses.replace(WEIGHTS, accounts=0, customers=0),
        "without name": dataclasses.replace(WEIGHTS, name=0),
    }
    curve = {
        f"min_score {t:.2f}": dataclasses.replace(WEIGHTS, min_score=t)
        for t in (0.35, 0.4, 0.45, 0.55, 0.6)
    }
    quality: dict[str, Any] = {}
    thresholds: dict[str, Any] = {}
    with temp_dir("vr-bench-suggestions-") as workdir:
        engine = make_engine(f"sqlite:///{workdir / 'labelled.db'}")
        upgrade(engine)
        by_id = load_labelled(engine, data)
        for label, weights in curve.items():
            thresholds[label] = evaluate(engine, by_id, weights, fresh)["figures"]
        for label, weights in ablations.items():
            outcome = evaluate(engine, by_id, weights, fresh)
            quality[label] = outcome["figures"]
            if label == "all signals":
                pairs = pair_report(data, by_id, outcome["answers"], args.split, fresh)
                if args.show:
                    shown = examples(by_id, outcome["answers"])
                    if args.split != "all":
                        keep = {r["key"] for r in by_id.values() if in_split(r, args.split, fresh)}
                        shown = [s for s in shown if s.split()[1] in keep]
                    print("\n".join(shown))
        engine.dispose()
        speed = []
        for database in databases:
            if database not in DATABASES:
                parser.error(f"unknown database {database!r}")
            with fresh_database(database, workdir / "s.db", "suggest") as url:
                speed.append(time_database(database, url, data, args))

    splits = SPLITS if args.split == "all" else (args.split,)
    result = {
        "benchmark": "suggestions",
        "machine": info,
        "postgres": postgres_version() if "postgresql" in databases else None,
        "data": {
            "file": str(DATA.relative_to(ROOT)),
            "problems": len(data["problems"]),
            "clusters": len(data["clusters"]),
            "fresh_clusters": len(fresh),
            "labelled_pairs": len(data["pairs"]),
            "duplicate_pairs": sum(p["duplicate"] for p in data["pairs"]),
        },
        "limit": LIMIT,
        "weights": dataclasses.asdict(WEIGHTS),
        "quality": {k: {s: v[s] for s in splits} for k, v in quality.items()},
        "other_thresholds": {k: {s: v[s] for s in splits} for k, v in thresholds.items()},
        "pairs_suggested_by_kind": pairs,
        "speed": {
            "problems": PROBLEMS,
            "pain_points": args.pain_points,
            "calls": args.calls,
            "results": speed,
        },
    }
    if args.split == "all":
        path = write_result("suggestions", result)
    print(f"suggestions: {result['data']['problems']} labelled problems, limit {LIMIT}")
    print(f"{'signals':<17}{'split':<16}{'queries':>8}{'P@3':>7}{'R@3':>7}{'none':>6}{'false':>7}")
    for label, figures in [*result["quality"].items(), *result["other_thresholds"].items()]:
        for split, f in figures.items():
            precision = "n/a" if f["precision_at_3"] is None else f"{f['precision_at_3']:.3f}"
            print(
                f"{label:<17}{split:<16}{f['problems_with_duplicates']:>8}{precision:>7}"
                f"{f['recall_at_3']:>7.3f}{f['no_suggestion']:>6}"
                f"{f['false_alarms']:>4}/{f['problems_without_duplicates']}"
            )
    print("labelled pairs suggested (either way round), by kind:")
    for kind, counts in pairs.items():
        print(f"  {kind:<28}{counts['suggested']:>4} / {counts['pairs']}")
    for r in speed:
        for case in ("any_problem", "with_duplicate"):
            c = r[case]
            print(
                f"speed {r['database']:<11}{case:<15} median {c['wall']['median_ms']} ms, "
                f"p95 {c['wall']['p95_ms']} ms, CPU median {c['cpu']['median_ms']} ms, "
                f"{c['mean_suggestions']} suggestions"
            )
        print(f"speed {r['database']:<11}first call     {r['first_call_ms']} ms")
        e = r["vectors_of_all_problems"]
        print(f"speed {r['database']:<11}all vectors    {e['wall_s']} s (CPU {e['cpu_s']} s), job")
    if args.split == "all":
        print(f"-> {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
