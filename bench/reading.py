"""Reading: `GET /api/v1/problems?sort=impact` over 100,000 pain points on 1,000 problems.

    python bench/reading.py [--requests 50] [--databases sqlite,postgresql]

For each database it migrates a fresh schema (`voice_router.platform.db.upgrade`), bulk-inserts with
SQLAlchemy core 1,000 problems, ~3,000 accounts, ~20,000 customers and 100,000 pain points
(skewed over the problems, reported over the last 90 days, 5% of them removed), then calls
`voice_router.problems.impact_recount.recompute` for every problem so the stored impact columns are
right (timed and reported too). Then, through the Flask test client of `create_app()` with a
bearer token from `voice_router.platform.tokens.create_token`, it times the request for
limit=100 (the default) and limit=1000: 3 warm-up calls and N timed ones each, and also
`impact.trends` alone for the same problem ids (trends are kept on the problem rows, so
this is what is left of them). Also the UI list page `GET /` (50 problems with a sparkline
each), signed in. Targets (issue 15): the API median < 8 ms at limit 100, the UI page
< 30 ms. Then, unless --voice 0, for the biggest problem, the customer's voice:
`GET /api/v1/problems/<id>` (with its quotes), its notify list (a message draft per
customer), `quotes.quotes_for` alone and the weekly digest's `weekly.top_problems(5)`.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections.abc import Callable
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
    settings_for,
    summary_ms,
    temp_dir,
    time_calls,
    write_result,
)

PROBLEMS = 1000
DEFAULT_LIMIT = 100  # what GET /api/v1/problems returns without ?limit=
TARGET_MS = 8.0  # the API list at the default limit (issue 15)
UI_TARGET_MS = 30.0  # the UI list page
ACCOUNTS = 3000
CUSTOMERS = 20000
SOURCES = ("zendesk-main", "helpscout-eu", "generic")


def bulk_load(engine: Any, pain_points: int, seed: int) -> dict[str, float]:
    """Insert the data set with SQLAlchemy core and recompute every problem's impact."""
    import sqlalchemy as sa

    from voice_router.models import Account, Customer, PainPoint, Problem
    from voice_router.platform.db import session_scope
    from voice_router.problems import impact_recount

    rng = random.Random(seed)
    now = datetime.now(UTC)
    timings: dict[str, float] = {}
    started = time.perf_counter()
    with engine.begin() as connection:
        connection.execute(
            sa.insert(Problem.__table__),  # type: ignore[attr-defined]
            [
                {
                    "id": p + 1,
                    "key": f"problem-{p:04d}",
                    "title": f"Problem {p:04d}: something customers keep hitting",
                    "status": "open",
                    "customers": 0,
                    "accounts": 0,
                    "mrr": Decimal(0),
                    "tickets": 0,
                    "created_at": now - timedelta(days=120),
                    "updated_at": now - timedelta(days=120),
                }
                for p in range(PROBLEMS)
            ],
        )
        connection.execute(
            sa.insert(Account.__table__),  # type: ignore[attr-defined]
            [
                {
                    "id": a + 1,
                    "key": f"company{a}.example",
                    "domain": f"company{a}.example",
                    "name": f"Company {a}",
                    "plan": rng.choice(("free", "team", "business", "enterprise")),
                    "mrr": Decimal(rng.randrange(0, 500000)) / 100,
                }
                for a in range(ACCOUNTS)
            ],
        )
        customer_account: list[int | None] = []
        rows = []
        for c in range(CUSTOMERS):
            account = None if c % 10 == 9 else (c % ACCOUNTS) + 1
            customer_account.append(account)
            domain = "gmail.com" if account is None else f"company{account - 1}.example"
            rows.append(
                {
                    "id": c + 1,
                    "email": f"person{c}@{domain}",
                    "name": f"Person {c}",
                    "account_id": account,
                    "created_at": now - timedelta(days=100),
                }
            )
        connection.execute(sa.insert(Customer.__table__), rows)  # type: ignore[attr-defined]
        weights = [1 / (k + 1) ** 0.9 for k in range(PROBLEMS)]
        picks = rng.choices(range(PROBLEMS), weights=weights, k=pain_points)
        rows = []
        for i, problem in enumerate(picks):
            customer = rng.randrange(CUSTOMERS)
            reported = now - timedelta(seconds=rng.randrange(90 * 24 * 3600))
            last = min(now, reported + timedelta(seconds=rng.randrange(3 * 24 * 3600)))
            rows.append(
                {
                    "problem_id": problem + 1,
                    "source": SOURCES[i % len(SOURCES)],
                    "ticket_id": f"T{i}",
                    "ticket_url": f"https://desk.example/t/T{i}",
                    "subject": f"Ticket {i}",
                    "first_message": None if i % 2 else f"Hi, step {i} fails, call 555-010-1234",
                    "tag": f"pain-problem-{problem:04d}",
                    "customer_id": customer + 1,
                    "account_id": customer_account[customer],
                    "agent_email": f"agent{i % 25}@support.example",
                    "agent_name": f"Agent {i % 25}",
                    "reported_at": reported,
                    "last_event_at": last,
                    "removed_at": last if rng.random() < 0.05 else None,
                }
            )
            if len(rows) == 10000:
                connection.execute(sa.insert(PainPoint.__table__), rows)  # type: ignore[attr-defined]
                rows = []
        if rows:
            connection.execute(sa.insert(PainPoint.__table__), rows)  # type: ignore[attr-defined]
    if engine.dialect.name == "postgresql":
        with engine.begin() as connection:
            for table in ("problem", "account", "customer", "painpoint"):
                connection.execute(
                    sa.text(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                        f"(SELECT max(id) FROM {table}))"
                    )
                )
        with engine.connect() as connection:  # what autovacuum would have done by now
            autocommit = connection.execution_options(isolation_level="AUTOCOMMIT")
            for table in ("problem", "account", "customer", "painpoint"):
                autocommit.execute(sa.text(f"VACUUM ANALYZE {table}"))
    else:
        with engine.begin() as connection:
            connection.execute(sa.text("ANALYZE"))
    timings["insert_s"] = round(time.perf_counter() - started, 2)

    started = time.perf_counter()
    with session_scope(engine) as session:
        impact_recount.recompute(session, range(1, PROBLEMS + 1))
    timings["recompute_all_s"] = round(time.perf_counter() - started, 2)
    return timings


def bench_database(
    database: str, database_url: str, args: argparse.Namespace
) -> list[dict[str, Any]]:
    from sqlmodel import Session

    from voice_router.platform.db import upgrade
    from voice_router.platform.tokens import create_token
    from voice_router.problems import impact, listing
    from voice_router.web import create_app
    from workers.runtime import build_runtime

    runtime = build_runtime(settings_for(database_url))
    upgrade(runtime.engine)
    log(f"{database}: bulk-loading {args.pain_points} pain points over {PROBLEMS} problems ...")
    timings = bulk_load(runtime.engine, args.pain_points, args.seed)
    log(f"  insert {timings['insert_s']} s, recompute all {timings['recompute_all_s']} s")
    token = create_token(runtime.engine, "agent", "bench")
    client = create_app(runtime=runtime).test_client()
    headers = {"Authorization": f"Bearer {token}"}
    results = []
    for limit in args.limits:
        url = f"/api/v1/problems?sort=impact&limit={limit}"

        def get(url: str = url, limit: int = limit) -> None:
            response = client.get(url, headers=headers)
            if response.status_code != 200:
                raise RuntimeError(f"{url}: {response.status_code} {response.get_data()!r}")
            found = response.get_json()["problems"]
            if len(found) != limit:
                raise RuntimeError(f"{url}: {len(found)} problems, expected {limit}")
            counts = [p["customers"] for p in found]
            if counts != sorted(counts, reverse=True) or counts[0] == 0:
                raise RuntimeError(f"{url}: not ranked by impact")

        request = summary_ms(time_calls(get, 3, args.requests))
        with Session(runtime.engine) as session:
            ids = [p["id"] for p in listing.list_problems(session, "impact", limit=limit)]
        with Session(runtime.engine) as session:
            trends = summary_ms(
                time_calls(lambda ids=ids: impact.trends(session, ids), 3, args.requests)
            )
        result = {
            "database": database,
            "limit": limit,
            "request": request,
            "trends_only": trends,
            **timings,
            "meets_target": request["median_ms"] < TARGET_MS,
        }
        results.append(result)
        log(
            f"  limit={limit}: median {request['median_ms']} ms, p95 {request['p95_ms']} ms "
            f"(trends alone: median {trends['median_ms']} ms)"
        )
    results.append(bench_ui_list(database, runtime, args.requests))
    if args.voice:
        results.append(bench_voice(database, runtime, client, headers, args.requests))
    runtime.engine.dispose()
    return results


def bench_ui_list(database: str, runtime: Any, requests: int) -> dict[str, Any]:
    """The UI's problem list `GET /` (50 problems, a sparkline each), signed in with a token
    through the login form as a browser would."""
    import re

    from voice_router.platform.tokens import create_token
    from voice_router.web import create_app

    client = create_app(runtime=runtime).test_client()
    token = create_token(runtime.engine, "agent", "bench ui")
    page = client.get("/login").get_data(as_text=True)
    found = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
    if found is None:
        raise RuntimeError("no CSRF token on the login page")
    signed = client.post("/login", data={"token": token, "csrf_token": found.group(1)})
    if signed.status_code != 303:
        raise RuntimeError(f"sign-in: {signed.status_code}")

    def get() -> None:
        response = client.get("/")
        if response.status_code != 200 or b"<polyline" not in response.data:
            raise RuntimeError(f"/: {response.status_code}, no sparkline")

    timed = summary_ms(time_calls(get, 3, requests))
    log(f"  UI list page: median {timed['median_ms']} ms, p95 {timed['p95_ms']} ms")
    return {
        "database": database,
        "case": "ui_list",
        "request": timed,
        "meets_target": timed["median_ms"] < UI_TARGET_MS,
    }


def bench_voice(
    database: str, runtime: Any, client: Any, headers: dict[str, str], requests: int
) -> dict[str, Any]:
    """The customer's voice on the biggest problem: its page's API (quotes), its notify list
    (a draft per customer), quotes alone, and the weekly digest's top five."""
    import sqlalchemy as sa
    from sqlmodel import Session

    from voice_router.closing import weekly
    from voice_router.closing.drafts import draft_message
    from voice_router.models import Customer, PainPoint
    from voice_router.problems import impact, listing
    from voice_router.problems.quotes import quote_of, quotes_for

    with Session(runtime.engine) as session:
        top = listing.list_problems(session, "impact", limit=1)[0]
        top_id, customers = top["id"], top["customers"]
        group = impact.group_of(top_id, impact.merge_children(session))

    def get(url: str) -> Callable[[], None]:
        def call() -> None:
            response = client.get(url, headers=headers)
            if response.status_code != 200:
                raise RuntimeError(f"{url}: {response.status_code}")

        return call

    timed: dict[str, Any] = {"database": database, "case": "voice", "customers": customers}
    timed["detail"] = summary_ms(time_calls(get(f"/api/v1/problems/{top_id}"), 3, requests))
    notify_url = f"/api/v1/problems/{top_id}/notify"
    timed["notify_with_drafts"] = summary_ms(time_calls(get(notify_url), 3, requests))
    with Session(runtime.engine) as session:
        rows = session.exec(
            sa.select(Customer.name, PainPoint.first_message, PainPoint.subject)
            .join(Customer, Customer.id == PainPoint.customer_id)  # type: ignore[arg-type]
            .where(PainPoint.problem_id.in_(group))  # type: ignore[attr-defined]
        ).all()

    def drafts() -> None:
        for name, message, subject in rows:
            draft_message(name, quote_of(message, subject), "A title", "shipped", "4.2", "Sam")

    timed["drafts_only"] = summary_ms(time_calls(drafts, 1, max(3, requests // 5)))
    timed["drafts_count"] = len(rows)
    with Session(runtime.engine) as session:
        timed["quotes_only"] = summary_ms(
            time_calls(lambda: quotes_for(session, group), 3, requests)
        )
        timed["weekly_top5"] = summary_ms(
            time_calls(lambda: weekly.top_problems(session, runtime.settings, 5), 3, requests)
        )
    log(
        f"  voice ({customers} customers on the top problem): detail "
        f"{timed['detail']['median_ms']} ms, notify with drafts "
        f"{timed['notify_with_drafts']['median_ms']} ms (drafts alone, {len(rows)} of them: "
        f"{timed['drafts_only']['median_ms']} ms), quotes alone "
        f"{timed['quotes_only']['median_ms']} ms, "
        f"weekly top 5 {timed['weekly_top5']['median_ms']} ms"
    )
    return timed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--requests", type=int, default=50, help="timed requests per case")
    parser.add_argument("--pain-points", type=int, default=100000)
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--limits", default="100,1000")
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument(
        "--voice", type=int, default=1, help="also time the customer's voice (0: skip)"
    )
    args = parser.parse_args()
    args.limits = [int(x) for x in args.limits.split(",") if x.strip()]
    databases = [d.strip() for d in args.databases.split(",") if d.strip()]

    info = machine()
    results: list[dict[str, Any]] = []
    with temp_dir("vr-bench-reading-") as workdir:
        for database in databases:
            if database not in DATABASES:
                parser.error(f"unknown database {database!r}")
            with fresh_database(database, workdir / "read.db", "read") as url:
                results += bench_database(database, url, args)

    data = {
        "benchmark": "reading",
        "machine": info,
        "postgres": postgres_version() if "postgresql" in databases else None,
        "data": {
            "problems": PROBLEMS,
            "pain_points": args.pain_points,
            "customers": CUSTOMERS,
            "accounts": ACCOUNTS,
            "reported_over_days": 90,
        },
        "client": "Flask test client, in process",
        "results": results,
        "target_median_ms": TARGET_MS,
        "ui_target_median_ms": UI_TARGET_MS,
    }
    path = write_result("reading", data)
    print(
        f"reading: GET /api/v1/problems?sort=impact, {args.pain_points} pain points over "
        f"{PROBLEMS} problems, {args.requests} timed requests per case"
    )
    print(f"{'database':<12}{'limit':>6}{'median ms':>11}{'p95 ms':>9}{'trends median ms':>18}")
    for r in results:
        if "limit" not in r:
            continue
        print(
            f"{r['database']:<12}{r['limit']:>6}{r['request']['median_ms']:>11.1f}"
            f"{r['request']['p95_ms']:>9.1f}{r['trends_only']['median_ms']:>18.1f}"
        )
    for r in results:
        if r.get("case") == "ui_list":
            print(
                f"{r['database']:<12}{'UI /':>6}{r['request']['median_ms']:>11.1f}"
                f"{r['request']['p95_ms']:>9.1f}"
            )
    # The target is for the request as a client sends it: the default page (limit 100).
    # Larger pages are measured to show how the cost grows, not judged.
    default = [r["request"]["median_ms"] for r in results if r.get("limit") == DEFAULT_LIMIT]
    worst = max(default, default=0.0)
    verdict = "meets" if worst < TARGET_MS else "MISSES"
    print(
        f"worst median at the default limit={DEFAULT_LIMIT}: {worst:.1f} ms — {verdict} "
        f"the < {TARGET_MS:g} ms target"
    )
    pages = [r["request"]["median_ms"] for r in results if r.get("case") == "ui_list"]
    worst_page = max(pages, default=0.0)
    verdict = "meets" if worst_page < UI_TARGET_MS else "MISSES"
    print(
        f"worst UI list page median: {worst_page:.1f} ms — {verdict} "
        f"the < {UI_TARGET_MS:g} ms target"
    )
    print(f"-> {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
