"""Jira API calls for a burst of pain points, and issues per problem when create answers are
lost under a lagging search index, through the real code path, against the sandbox.

    python bench/jira_calls.py [--pain-points 10000] [--problems 100]
        [--waves 5] [--gap S] [--database auto|sqlite|postgresql] [--timeout 240]
        [--lost-problems 20] [--lags 0,5,30] [--only embedded|redis|lost]

A burst of generic-signed deliveries (by default 10,000 pain points spread evenly over 100
problems, 3,000 customers) is stored through `voice_router.intake.inbox.receive` and processed by
the real code, while an in-process `JiraSandbox` (jira_sandbox) logs every
request it gets. Two runs, each on a fresh database and a fresh sandbox (`--database auto`:
a SQLite file for the embedded run, a PostgreSQL database for the worker run, as each is
deployed):

- `embedded`: no Redis. Every delivery is stored, then one `workers.jobs.drain_inbox`
  processes them and marks each touched problem's sync due; then, as `voice-router serve`'s
  runner does, `workers.jobs.run_due_syncs` once they are due (2 s later).
- `redis`: Redis db 12 (flushed before and after) and one real worker subprocess,
  `python -m voice_router worker` (with its rq scheduler and its sweep). The deliveries are
  posted while the worker runs, in `--waves` waves, each stored and followed by
  `signal_drain()` exactly as POST /webhooks/<source> does; before the next wave the script
  waits until every delivery is processed, no Jira sync is owed in the database (due, paced
  for later, or running) and no job is queued, scheduled or running (so each wave changes
  every problem's impact again; `--gap S` posts the next wave S seconds after the last
  instead). After the last wave it waits for that same idle state, then stops the worker
  with SIGTERM.

Per run it reports every Jira call by method and path (issue keys folded to {key}) with
where in the code it comes from, and two figures:

- calls per problem beyond the create: all calls attributed to a problem (its issue's
  paths, its label search) minus the create itself (label search + POST issue + remote
  link) — target <= 2;
- calls made by a second `sync.sync_problem` of every problem with nothing changed
  (after `sandbox.reset_calls()`, in this process) — target 0.

A third run, `lost`, asks whether a create whose answer is lost can make a second issue:
for each search-index lag in `--lags` (seconds), on Jira Cloud and on Data Center, and for
two retry policies (the job's own: Retry-After, else 30 s doubling; and an eager runner
retrying after 1 s), `--lost-problems` problems each get their issue while the answer to
their create is lost (the connection cut after Jira committed it, or a 503 after the
commit, alternately). The sandbox's clock and voice-router's create timing share a
simulated clock, so a 30 s lag costs no real time; each sync that asks to come back later
is run again after exactly the wait it asked for. Figure: issues per problem — target
exactly 1 (no reconcile sweep is run: that is the fallback, not the answer).

Figures go to bench/results/jira_calls.json; a summary is printed. The first two runs take
two to four minutes on a 2-CPU machine; `--timeout` bounds the worker run, and a run cut
short by it is reported as incomplete. The `lost` run takes seconds.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import re
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from pathlib import Path
from typing import Any
from urllib.parse import unquote_plus

from common import (
    POSTGRES_ADMIN_URL,
    PYTHON,
    ROOT,
    create_postgres,
    drop_postgres,
    log,
    machine,
    postgres_url,
    postgres_version,
    temp_dir,
    write_result,
)

REDIS_URL = os.environ.get("VOICE_ROUTER_BENCH_JIRA_REDIS", "redis://127.0.0.1:6379/12")
SECRET = "bench-jira-generic-secret"
EMAIL, TOKEN, PROJECT = "bot@example.com", "bench-sandbox-token", "PROD"
BASE_URL = "https://vr.example"
TARGET_BEYOND_CREATE = 2
TARGET_SECOND_SYNC = 0
TARGET_ISSUES_PER_PROBLEM = 1

KEY = re.compile(r"(?<=/)[A-Z][A-Z0-9_]*-\d+(?=/|$)")
LABEL = re.compile(r"vr-problem-(\d+)")
SEARCH = "/rest/api/2/search/jql"
CLASSIC_SEARCH = "/rest/api/2/search"
LABEL_SEARCH = SEARCH + " (vr-problem label)"
UPDATED_SEARCH = SEARCH + " (updated since)"
CREATE = {
    ("GET", LABEL_SEARCH),
    ("POST", "/rest/api/2/issue"),
    ("POST", "/rest/api/2/issue/{key}/remotelink"),
}
SETUP = {("GET", "/rest/api/2/serverInfo"), ("GET", "/rest/api/2/field")}
ORIGIN = {
    ("GET", "/rest/api/2/serverInfo"): "JiraClient() -> jira.JIRA() construction, once a process "
    "(platform.jira_client.client_for, called only when a sync has something to do)",
    ("GET", LABEL_SEARCH): "create.create_or_adopt: label search before a create "
    "(and while a lost create is being confirmed)",
    ("GET", UPDATED_SEARCH): "reconcile.reconcile: search_all, the worker's periodic pass "
    "(not per problem)",
    ("POST", "/rest/api/2/issue"): "create.create_or_adopt: client.create_issue",
    ("POST", "/rest/api/2/issue/{key}/remotelink"): "sync._link_back: client.add_remote_link",
    ("GET", "/rest/api/2/issue/{key}/remotelink"): "sync._link_back: an issue voice-router "
    "did not just create may carry the link already",
    ("GET", "/rest/api/2/issue/{key}"): "sync._rewrite: client.get_issue before every block "
    "rewrite (to splice the block into the current description)",
    ("PUT", "/rest/api/2/issue/{key}"): "sync._rewrite: client.edit_issue when the content "
    "hash changed",
    ("POST", "/rest/api/2/issue/{key}/comment"): "comments: notes, merge and regression notices",
    ("GET", "/rest/api/2/issue/{key}/comment"): "comments: a pending note or notice looked "
    "for before it is posted again",
}


# ---------------------------------------------------------------- the burst


class Burst:
    """`pain_points` deliveries, exactly `pain_points // problems` (+1) per problem in a
    shuffled order, each from one of `customers` people at one of 300 companies."""

    def __init__(self, pain_points: int, problems: int, customers: int, seed: int = 11) -> None:
        rng = random.Random(seed)
        order = [i % problems for i in range(pain_points)]
        rng.shuffle(order)
        self.items = [(problem, rng.randrange(customers)) for problem in order]
        self.problems = problems

    def body(self, index: int) -> bytes:
        problem, customer = self.items[index]
        domain = customer % 300
        document = {
            "id": f"jira-bench-{index}",
            "ticket": {
                "id": f"J{index}",
                "url": f"https://desk.example/t/J{index}",
                "subject": f"Ticket {index}: problem {problem} again",
            },
            "customer": {
                "email": f"person{customer}@company{domain}.example",
                "name": f"Person {customer}",
                "company": f"Company {domain}",
                "mrr": float(50 + (domain * 37) % 2000),
            },
            "agent": {"email": f"agent{index % 12}@support.example", "name": "Agent"},
            "tags": [f"pain-jira-bench-{problem:03d}", "billing"],
            "removed_tags": [],
            "occurred_at": datetime.now(UTC).isoformat(timespec="seconds"),
        }
        return json.dumps(document, separators=(",", ":")).encode()


def post(
    runtime: Any,
    burst: Burst,
    indexes: Iterable[int],
    enqueue: bool,
    tick: Callable[[], object] | None = None,
) -> int:
    """Store each delivery as the webhook view does (verify, store, enqueue a drain);
    `tick` is called every 100 deliveries."""
    from integrations.generic import sign
    from voice_router.intake import inbox

    stored = 0
    for index in indexes:
        body = burst.body(index)
        receipt = inbox.receive(
            runtime.engine, runtime.settings, "generic", sign(body, SECRET), body
        )
        if receipt.status != "pending" or receipt.duplicate:
            raise RuntimeError(f"delivery {index} not accepted: {receipt}")
        stored += 1
        if enqueue:
            runtime.queue.signal_drain()
        if tick is not None and stored % 100 == 0:
            tick()
    return stored


# ---------------------------------------------------------------- settings and databases


def jira_table(sandbox: Any) -> dict[str, Any]:
    return {
        "url": sandbox.url,
        "email": EMAIL,
        "api_token": TOKEN,
        "project": PROJECT,
        "labels": ["voice-router"],
    }


def write_toml(path: Path, database_url: str, redis_url: str, sandbox: Any) -> Path:
    jira = jira_table(sandbox)
    lines = [
        f"database_url = {json.dumps(database_url)}",
        f"redis_url = {json.dumps(redis_url)}",
        f"base_url = {json.dumps(BASE_URL)}",
        "",
        "[sources.generic]",
        'kind = "generic"',
        f"secret = {json.dumps(SECRET)}",
        "",
        "[jira]",
        *(f"{key} = {json.dumps(value)}" for key, value in jira.items()),
    ]
    path.write_text("\n".join(lines) + "\n")
    return path


def database_for(args: argparse.Namespace, run: str) -> str:
    if args.database != "auto":
        return args.database
    return "sqlite" if run == "embedded" else "postgresql"


class Database:
    """A fresh SQLite file or PostgreSQL database (dropped again, synchronous_commit off),
    migrated."""

    def __init__(self, kind: str, workdir: Path, name: str) -> None:
        self.kind = kind
        self.pg_name = ""
        if kind == "sqlite":
            self.url = f"sqlite:///{workdir / f'{name}.db'}"
        else:
            self.pg_name = create_postgres(f"jira_{name}")
            self.url = postgres_url(self.pg_name)
            import psycopg

            # calls are counted, not durability: commits need not wait for the disk
            with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as admin:
                admin.execute(f'ALTER DATABASE "{self.pg_name}" SET synchronous_commit = off')
        from voice_router.platform.db import make_engine, upgrade

        engine = make_engine(self.url)
        upgrade(engine)
        engine.dispose()

    def drop(self) -> None:
        if self.pg_name:
            drop_postgres(self.pg_name)


# ---------------------------------------------------------------- counting calls


def shape(path: str) -> str:
    return KEY.sub("{key}", path)


def endpoint(call: Any) -> tuple[str, str]:
    """(method, path with keys folded), the two kinds of JQL search told apart."""
    path = shape(call.path)
    if path == SEARCH:
        jql = unquote_plus(call.query or "")
        path = LABEL_SEARCH if LABEL.search(jql) else UPDATED_SEARCH if "updated" in jql else path
    return call.method, path


def problem_of(call: Any, keys: dict[str, int]) -> int | None:
    """The problem a call was made for: by the issue key in its path or the label it searched."""
    found = KEY.search(call.path)
    if found:
        return keys.get(found.group(0))
    label = LABEL.search(unquote_plus(call.query or ""))
    return int(label.group(1)) if label else None


def breakdown(calls: Sequence[Any]) -> list[dict[str, Any]]:
    counted = Counter((*endpoint(c), c.status) for c in calls)
    return [
        {
            "method": method,
            "path": path,
            "status": status,
            "calls": n,
            "where": ORIGIN.get((method, path), "?"),
        }
        for (method, path, status), n in sorted(counted.items(), key=lambda kv: -kv[1])
    ]


def issue_keys(sandbox: Any) -> dict[str, int]:
    """issue key -> problem id, from the vr-problem-<id> label each created issue carries."""
    keys: dict[str, int] = {}
    for issue in sandbox.issues():
        for label in issue["fields"].get("labels") or []:
            found = LABEL.fullmatch(label)
            if found:
                keys[issue["key"]] = int(found.group(1))
    return keys


def per_problem(
    calls: Sequence[Any], keys: dict[str, int], problem_ids: Sequence[int]
) -> dict[str, Any]:
    """calls per problem beyond its create, and the calls no problem can be charged with."""
    by_problem: dict[int, Counter[tuple[str, str]]] = {pid: Counter() for pid in problem_ids}
    unattributed: Counter[tuple[str, str]] = Counter()
    searched: int | None = None  # calls come one at a time from one process in both runs
    for call in calls:
        pid = problem_of(call, keys)
        kind = endpoint(call)
        if kind == ("GET", LABEL_SEARCH):
            searched = pid
        elif kind == ("POST", "/rest/api/2/issue"):  # no key yet: the search's problem
            pid, searched = searched, None
        if pid in by_problem:
            by_problem[pid][kind] += 1
        else:
            unattributed[kind] += 1
    beyond: dict[int, int] = {}
    beyond_kinds: Counter[tuple[str, str]] = Counter()
    for pid, counted in by_problem.items():
        rest = Counter(counted)
        if rest[("POST", "/rest/api/2/issue")]:
            for part in CREATE:  # one create = one search + one POST + one remote link
                if rest[part]:
                    rest[part] -= 1
        beyond[pid] = sum(rest.values())
        beyond_kinds.update(+rest)
    values = sorted(beyond.values()) or [0]
    return {
        "problems": len(problem_ids),
        "total": sum(values),
        "mean": round(sum(values) / max(1, len(problem_ids)), 2),
        "min": values[0],
        "median": values[len(values) // 2],
        "max": values[-1],
        "distribution": {str(k): v for k, v in sorted(Counter(values).items())},
        "by_endpoint": [
            {"method": m, "path": p, "calls": n, "where": ORIGIN.get((m, p), "?")}
            for (m, p), n in beyond_kinds.most_common()
        ],
        "unattributed": [
            {"method": m, "path": p, "calls": n, "where": ORIGIN.get((m, p), "?")}
            for (m, p), n in unattributed.most_common()
        ],
    }


def problem_rows(engine: Any) -> list[Any]:
    from sqlmodel import Session, col, select

    from voice_router.models import Problem

    with Session(engine) as session:
        return list(session.exec(select(Problem).order_by(col(Problem.id))).all())


def delivery_counts(engine: Any) -> dict[str, int]:
    import sqlalchemy as sa

    with engine.connect() as connection:
        rows = connection.execute(sa.text("SELECT status, count(*) FROM delivery GROUP BY status"))
        return {str(status): int(n) for status, n in rows}


def second_sync(sandbox: Any, runtime: Any, problem_ids: Sequence[int]) -> dict[str, Any]:
    """Sync every problem again with nothing changed, in this process, counting calls."""
    from voice_router.tracker import sync

    sandbox.reset_calls()
    outcomes = Counter(
        sync.sync_problem(runtime.engine, runtime.settings, pid).action for pid in problem_ids
    )
    calls = sandbox.calls
    setup = sum(1 for c in calls if endpoint(c) in SETUP)
    return {
        "calls": len(calls),
        "client_setup_calls": setup,
        "calls_without_client_setup": len(calls) - setup,
        "outcomes": dict(outcomes),
        "by_endpoint": breakdown(calls),
    }


def checks(sandbox: Any, runtime: Any, expected: int, problems: int) -> dict[str, Any]:
    rows = problem_rows(runtime.engine)
    keys = issue_keys(sandbox)
    counted = Counter(keys.values())
    return {
        "deliveries": delivery_counts(runtime.engine),
        "pain_points_expected": expected,
        "problems_in_db": len(rows),
        "problems_expected": problems,
        "issues_in_jira": len(sandbox.issues()),
        "problems_with_two_issues": sum(1 for n in counted.values() if n > 1),
        "problems_without_key": sum(1 for r in rows if not r.jira_key),
        "problems_with_jira_error": sum(1 for r in rows if r.jira_error),
        "non_2xx_calls": sum(1 for c in sandbox.calls if not 200 <= c.status < 300),
        "tickets_counted": sum(r.tickets for r in rows),
    }


def summarize(
    name: str, sandbox: Any, runtime: Any, calls: list[Any], seconds: float, args: Any
) -> dict[str, Any]:
    rows = problem_rows(runtime.engine)
    ids = [r.id for r in rows]
    keys = issue_keys(sandbox)
    return {
        "run": name,
        "seconds": round(seconds, 1),
        "calls_total": len(calls),
        "issues_created": sum(1 for c in calls if endpoint(c) == ("POST", "/rest/api/2/issue")),
        "client_setup_calls": sum(1 for c in calls if endpoint(c) in SETUP),
        "calls_by_endpoint": breakdown(calls),
        "beyond_create_per_problem": per_problem(calls, keys, ids),
        "checks": checks(sandbox, runtime, args.pain_points, args.problems),
    }


# ---------------------------------------------------------------- run (a): embedded


def run_embedded(args: argparse.Namespace, burst: Burst, workdir: Path) -> dict[str, Any]:
    from jira_sandbox import JiraSandbox
    from voice_router.platform.jira_client import forget_clients
    from voice_router.platform.settings import parse_settings
    from workers.jobs import drain_inbox
    from workers.runtime import build_runtime

    forget_clients()
    database = Database(database_for(args, "embedded"), workdir, "embedded")
    try:
        with JiraSandbox(email=EMAIL, api_token=TOKEN, project=PROJECT) as sandbox:
            settings = parse_settings(
                {
                    "database_url": database.url,
                    "base_url": BASE_URL,
                    "sources": {"generic": {"kind": "generic", "secret": SECRET}},
                    "jira": jira_table(sandbox),
                },
                {},
                "bench/jira_calls.py",
            )
            runtime = build_runtime(settings)
            try:
                started = time.monotonic()
                post(runtime, burst, range(len(burst.items)), enqueue=False)
                stored_s = time.monotonic() - started
                drained = drain_inbox(runtime)
                synced = run_syncs_when_due(runtime)
                seconds = time.monotonic() - started
                result = summarize("embedded", sandbox, runtime, sandbox.calls, seconds, args)
                result["store_seconds"] = round(stored_s, 1)
                result["drain"] = drained
                result["syncs_run"] = synced
                ids = [r.id for r in problem_rows(runtime.engine)]
                result["second_sync"] = second_sync(sandbox, runtime, ids)
            finally:
                runtime.engine.dispose()
    finally:
        database.drop()
        forget_clients()
    return result


def run_syncs_when_due(runtime: Any) -> int:
    """What `voice-router serve`'s runner does after a drain: the syncs it made due, once
    they are due (schedule.SYNC_DELAY later), until none is left."""
    from voice_router.platform import schedule
    from workers.jobs import run_due_syncs

    ran = 0
    while True:
        time.sleep(schedule.SYNC_DELAY.total_seconds())
        done = run_due_syncs(runtime)
        ran += done
        if not done and not schedule.anything_due(runtime.engine, schedule.SYNC_DELAY):
            return ran


# ---------------------------------------------------------------- run (b): Redis + worker


class Rq:
    """What the worker still has to do, read from Redis."""

    def __init__(self, redis_url: str) -> None:
        from redis import Redis
        from rq import Queue

        from workers.queue import QUEUE_NAMES

        self.redis = Redis.from_url(redis_url)
        self.queues = [Queue(name, connection=self.redis) for name in QUEUE_NAMES]
        self.seen: set[str] = set()
        self.done: Counter[str] = Counter()

    def pending(self) -> dict[str, int]:
        from rq.registry import ScheduledJobRegistry, StartedJobRegistry

        return {
            "queued": sum(queue.count for queue in self.queues),
            "scheduled": sum(ScheduledJobRegistry(queue=queue).count for queue in self.queues),
            "started": sum(StartedJobRegistry(queue=queue).count for queue in self.queues),
            "sync_flags": sum(1 for _ in self.redis.scan_iter("voice-router:jira-sync:*")),
        }

    def failed(self) -> dict[str, int]:
        """Failed jobs by function and the last line of their traceback."""
        from rq.job import Job
        from rq.registry import FailedJobRegistry

        ids = [i for queue in self.queues for i in FailedJobRegistry(queue=queue).get_job_ids()]
        failed: Counter[str] = Counter()
        for job in Job.fetch_many(ids, connection=self.redis):
            if job is not None:
                lines = (job.exc_info or "?").strip().splitlines() or ["?"]
                failed[f"{job.func_name}: {lines[-1][:160]}"] += 1
        return dict(failed.most_common())

    def workers(self) -> int:
        from rq import Worker

        return len(Worker.all(connection=self.redis))

    def collect(self) -> None:
        """Count the jobs finished since the last call into `done` (function -> count, and
        each sync job's action); called often, as finished jobs are kept only 60 s."""
        self.done.update(self._finished())

    def _finished(self) -> Counter[str]:
        from rq.job import Job
        from rq.registry import FinishedJobRegistry

        ids = [
            i
            for queue in self.queues
            for i in FinishedJobRegistry(queue=queue).get_job_ids()
            if i not in self.seen
        ]
        self.seen.update(ids)
        done: Counter[str] = Counter()
        for job in Job.fetch_many(ids, connection=self.redis):
            if job is None:
                continue
            name = (job.func_name or "?").rsplit(".", 1)[-1]
            done[name] += 1
            if name == "sync_jira":
                done[f"sync_jira:{job.return_value()}"] += 1
        return done


def error_lines(output: str) -> dict[str, int]:
    """The exception lines of a worker's output, counted (the worker logs retried and
    failed jobs with their tracebacks)."""
    found = re.findall(r"^((?:[\w.]+\.)?\w+(?:Error|Exception|Locked)\b.*)$", output, re.M)
    return dict(Counter(line[:160] for line in found).most_common(8))


def syncs_owed(engine: Any) -> int:
    """Problems whose Jira sync is due or running: the schedule lives in the database, and
    a paced trailing sync may be due only `update_interval_seconds` later."""
    import sqlalchemy as sa

    with engine.connect() as connection:
        return int(
            connection.execute(
                sa.text(
                    "SELECT count(*) FROM problem WHERE jira_sync_due_at IS NOT NULL "
                    "OR jira_sync_claimed_at IS NOT NULL"
                )
            ).scalar_one()
        )


def wait_quiet(rq: Rq, engine: Any, expected: int, deadline: float, worker: Any) -> None:
    """Until every stored delivery is processed, no Jira sync is owed (due, paced for later
    or running) and the queue, the scheduled and started registries and the per-problem sync
    flags are all empty, twice in a row."""
    quiet = 0
    while quiet < 2:
        if worker.poll() is not None:
            raise RuntimeError(f"the worker exited with {worker.returncode}")
        if time.monotonic() > deadline:
            raise TimeoutError(
                f"still busy at the deadline: {delivery_counts(engine)} {rq.pending()} "
                f"syncs owed: {syncs_owed(engine)}"
            )
        counts = delivery_counts(engine)
        done = counts.get("pending", 0) == 0 and sum(counts.values()) >= expected
        done = done and syncs_owed(engine) == 0
        quiet = quiet + 1 if done and not any(rq.pending().values()) else 0
        rq.collect()
        time.sleep(0.5)


def stop_worker(worker: subprocess.Popen[bytes]) -> int | None:
    """SIGTERM to the worker's process group (the worker and the rq scheduler it forked),
    SIGKILL to the group after 30 s; the worker's exit code, None if it had to be killed."""
    if worker.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(worker.pid, signal.SIGTERM)
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(worker.pid, signal.SIGKILL)
            worker.wait(timeout=10)
            return None
    with contextlib.suppress(ProcessLookupError):  # a scheduler child left behind
        os.killpg(worker.pid, signal.SIGTERM)
    return worker.returncode


def run_redis(args: argparse.Namespace, burst: Burst, workdir: Path) -> dict[str, Any]:
    from jira_sandbox import JiraSandbox
    from voice_router.platform.jira_client import forget_clients
    from voice_router.platform.settings import load_settings
    from workers.runtime import build_runtime

    forget_clients()
    rq = Rq(args.redis_url)
    rq.redis.flushdb()
    database = Database(database_for(args, "redis"), workdir, "redis")
    worker: subprocess.Popen[bytes] | None = None
    worker_log = workdir / "worker.log"
    try:
        with JiraSandbox(email=EMAIL, api_token=TOKEN, project=PROJECT) as sandbox:
            config = write_toml(workdir / "redis.toml", database.url, args.redis_url, sandbox)
            settings = load_settings(config)  # the very settings the worker reads
            runtime = build_runtime(settings)
            try:
                env = {**os.environ, "VOICE_ROUTER_CONFIG": str(config)}
                with worker_log.open("wb") as output:
                    worker = subprocess.Popen(
                        [PYTHON, "-m", "voice_router", "worker"],
                        env=env,
                        cwd=workdir,
                        stdout=output,
                        stderr=subprocess.STDOUT,
                        start_new_session=True,  # its own group: the scheduler it forks too
                    )
                deadline = time.monotonic() + args.timeout
                while rq.workers() == 0:
                    if worker.poll() is not None or time.monotonic() > deadline:
                        raise RuntimeError("the worker did not start")
                    time.sleep(0.2)
                started = time.monotonic()
                waves: list[dict[str, Any]] = []
                total = len(burst.items)
                bounds = [round(total * w / args.waves) for w in range(args.waves + 1)]
                incomplete = ""
                for number, (lo, hi) in enumerate(pairwise(bounds), 1):
                    mark, wave_start = len(sandbox.calls), time.monotonic()
                    jobs_before = Counter(rq.done)
                    post(runtime, burst, range(lo, hi), enqueue=True, tick=rq.collect)
                    posted_s = time.monotonic() - wave_start
                    try:
                        if args.gap is None or hi == total:
                            wait_quiet(rq, runtime.engine, hi, deadline, worker)
                        else:
                            time.sleep(args.gap)
                    except TimeoutError as exc:
                        incomplete = f"wave {number}: {exc}"
                        log(f"  INCOMPLETE (--timeout {args.timeout:g} s): {incomplete}")
                    wave_calls = sandbox.calls[mark:]
                    rq.collect()
                    wave_jobs = rq.done - jobs_before
                    waves.append(
                        {
                            "wave": number,
                            "deliveries": hi - lo,
                            "post_seconds": round(posted_s, 1),
                            "seconds": round(time.monotonic() - wave_start, 1),
                            "calls": len(wave_calls),
                            "jobs": dict(sorted(wave_jobs.items())),
                            "calls_by_endpoint": {
                                f"{b['method']} {b['path']}": b["calls"]
                                for b in breakdown(wave_calls)
                            },
                        }
                    )
                    log(
                        f"  wave {number}: {hi - lo} deliveries, {len(wave_calls)} Jira calls, "
                        f"{wave_jobs.get('sync_jira', 0)} sync jobs, "
                        f"{waves[-1]['seconds']} s"
                    )
                    if incomplete:
                        break
                seconds = time.monotonic() - started
                failed_jobs = rq.failed()
                exit_code = stop_worker(worker)
                calls = sandbox.calls
                result = summarize("redis", sandbox, runtime, calls, seconds, args)
                result["waves"] = waves
                result["incomplete"] = incomplete or None
                rq.collect()
                result["jobs"] = dict(sorted(rq.done.items()))
                result["checks"]["failed_rq_jobs"] = sum(failed_jobs.values())
                result["checks"]["failed_rq_job_errors"] = failed_jobs
                result["checks"]["worker_exit_code_after_sigterm"] = exit_code
                worker_output = worker_log.read_text(errors="replace")
                result["checks"]["worker_tracebacks"] = worker_output.count("Traceback")
                result["checks"]["worker_errors"] = error_lines(worker_output)
                first = worker_output.find("Traceback")
                if first >= 0:
                    result["checks"]["worker_first_traceback"] = worker_output[first : first + 4000]
                ids = [r.id for r in problem_rows(runtime.engine)]
                result["second_sync"] = second_sync(sandbox, runtime, ids)
            finally:
                if worker is not None:
                    stop_worker(worker)
                runtime.engine.dispose()
    finally:
        rq.redis.flushdb()
        database.drop()
        forget_clients()
    return result


# ---------------------------------------------------------------- run (c): lost create answers


class SimulatedClock:
    """The sandbox's clock (its index lag, `created`, `updated`) and voice-router's create
    timing (create.utcnow), stepped instead of slept."""

    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


def sync_until_linked(
    runtime: Any, problem_id: int, clock: SimulatedClock, policy: str
) -> dict[str, Any]:
    """Sync one problem until it has its issue, waiting as the job runner would: after a
    transient error Retry-After or the job's backoff (30 s, doubling) — or 1 s with the
    "eager" policy; after a sync that asks to come back, exactly the wait it asked for."""
    from integrations.jira.errors import JiraError, JiraRateLimited
    from voice_router.tracker import sync

    started, actions = clock.now, Counter[str]()
    for attempt in range(1, 200):
        try:
            outcome = sync.sync_problem(runtime.engine, runtime.settings, problem_id)
        except JiraError as exc:
            if not exc.transient:
                raise
            actions["transient error"] += 1
            if policy == "eager":
                clock.advance(1.0)
            elif isinstance(exc, JiraRateLimited):
                clock.advance(exc.retry_after)
            else:
                clock.advance(30 * 2 ** min(attempt - 1, 10))
            continue
        actions[outcome.action] += 1
        if outcome.retry_in is None:
            break
        clock.advance(outcome.retry_in)
    return {
        "actions": dict(actions),
        "simulated_seconds": (clock.now - started).total_seconds(),
    }


def run_lost(args: argparse.Namespace, burst: Burst, workdir: Path) -> dict[str, Any]:
    from jira_sandbox import JiraSandbox
    from voice_router.intake import processing
    from voice_router.platform.jira_client import forget_clients
    from voice_router.platform.settings import parse_settings
    from voice_router.tracker import create
    from workers.runtime import build_runtime

    lost = Burst(args.lost_problems, args.lost_problems, args.lost_problems, seed=5)
    cells = []
    real_clock = create.utcnow
    try:
        for lag in args.lags:
            for deployment in ("cloud", "datacenter"):
                for policy in ("job backoff", "eager"):
                    forget_clients()
                    clock = SimulatedClock()
                    create.utcnow = clock  # type: ignore[assignment]
                    name = f"lost_{lag:g}_{deployment}_{policy.split()[0]}".replace(".", "_")
                    database = Database("sqlite", workdir, name)
                    try:
                        with JiraSandbox(
                            email=EMAIL,
                            api_token=TOKEN,
                            project=PROJECT,
                            clock=clock,
                            index_lag=lag,
                            deployment=deployment,
                        ) as sandbox:
                            jira = {**jira_table(sandbox), "update_interval_seconds": 0}
                            if deployment == "datacenter":
                                jira["auth"] = "token"
                            settings = parse_settings(
                                {
                                    "database_url": database.url,
                                    "base_url": BASE_URL,
                                    "sources": {"generic": {"kind": "generic", "secret": SECRET}},
                                    "jira": jira,
                                },
                                {},
                                "bench/jira_calls.py",
                            )
                            runtime = build_runtime(settings)
                            try:
                                post(runtime, lost, range(len(lost.items)), enqueue=False)
                                processing.drain(runtime.engine, settings)
                                ids = [r.id for r in problem_rows(runtime.engine)]
                                sandbox.reset_calls()
                                per = []
                                for n, problem_id in enumerate(ids):
                                    mode = "drop" if n % 2 == 0 else "503"
                                    sandbox.drop_after_commit_next(
                                        "POST", r"/rest/api/2/issue", mode=mode
                                    )
                                    per.append(
                                        sync_until_linked(runtime, problem_id, clock, policy)
                                    )
                                cells.append(
                                    lost_cell(lag, deployment, policy, sandbox, runtime, ids, per)
                                )
                            finally:
                                runtime.engine.dispose()
                    finally:
                        database.drop()
                    log(f"  lost: lag {lag:g} s, {deployment}, {policy}: {cells[-1]['verdict']}")
    finally:
        create.utcnow = real_clock  # type: ignore[assignment]
        forget_clients()
    return {"run": "lost", "problems_per_cell": args.lost_problems, "cells": cells}


def lost_cell(
    lag: float,
    deployment: str,
    policy: str,
    sandbox: Any,
    runtime: Any,
    ids: Sequence[int],
    per: Sequence[dict[str, Any]],
) -> dict[str, Any]:
    issues = Counter(issue_keys(sandbox).values())
    counts = [issues.get(pid, 0) for pid in ids]
    rows = problem_rows(runtime.engine)
    creates = sum(
        1 for c in sandbox.calls if c.method == "POST" and shape(c.path) == "/rest/api/2/issue"
    )
    searches = sum(1 for c in sandbox.calls if endpoint(c)[1] in (LABEL_SEARCH, CLASSIC_SEARCH))
    waits = sorted(p["simulated_seconds"] for p in per)
    actions: Counter[str] = Counter()
    for p in per:
        actions.update(p["actions"])
    ok = min(counts) == max(counts) == TARGET_ISSUES_PER_PROBLEM
    return {
        "lag_seconds": lag,
        "deployment": deployment,
        "retry_policy": policy,
        "problems": len(ids),
        "issues_per_problem_min": min(counts),
        "issues_per_problem_max": max(counts),
        "issues_in_jira": len(sandbox.issues()),
        "creates_sent": creates,
        "label_searches": searches,
        "searches_per_problem": round(searches / max(1, len(ids)), 2),
        "problems_pointing_at_their_issue": sum(1 for r in rows if r.jira_key),
        "simulated_seconds_to_issue_median": waits[len(waits) // 2],
        "simulated_seconds_to_issue_max": waits[-1],
        "actions": dict(actions),
        "verdict": "exactly 1 issue per problem" if ok else f"issues per problem {Counter(counts)}",
        "meets_target": ok,
    }


# ---------------------------------------------------------------- report


def verdicts(run: dict[str, Any]) -> dict[str, Any]:
    beyond = run["beyond_create_per_problem"]
    second = run["second_sync"]
    return {
        "complete": not run.get("incomplete"),
        "beyond_create_mean": beyond["mean"],
        "beyond_create_max": beyond["max"],
        "beyond_create_meets_target": beyond["max"] <= TARGET_BEYOND_CREATE,
        "second_sync_calls": second["calls"],
        "second_sync_calls_without_client_setup": second["calls_without_client_setup"],
        "second_sync_meets_target": second["calls"] <= TARGET_SECOND_SYNC,
    }


def print_run(run: dict[str, Any]) -> None:
    beyond = run["beyond_create_per_problem"]
    second = run["second_sync"]
    checks_ = run["checks"]
    print(
        f"\n[{run['run']}] {checks_['deliveries']} deliveries, {checks_['issues_in_jira']} issues "
        f"for {checks_['problems_in_db']} problems, {run['calls_total']} Jira calls "
        f"in {run['seconds']} s"
    )
    print(f"  {'calls':>6}  {'method':<6} {'path':<46} {'status':>6}  where")
    for row in run["calls_by_endpoint"]:
        print(
            f"  {row['calls']:>6}  {row['method']:<6} {row['path']:<46} {row['status']:>6}  "
            f"{row['where']}"
        )
    verdict = "meets" if beyond["max"] <= TARGET_BEYOND_CREATE else "MISSES"
    print(
        f"  beyond the create, per problem: mean {beyond['mean']}, median {beyond['median']}, "
        f"max {beyond['max']} (target <= {TARGET_BEYOND_CREATE}: {verdict}); "
        f"distribution {beyond['distribution']}"
    )
    for row in beyond["by_endpoint"]:
        print(f"      {row['calls']:>6}  {row['method']} {row['path']}")
    for row in beyond["unattributed"]:
        print(f"      {row['calls']:>6}  {row['method']} {row['path']}  (not charged to a problem)")
    verdict = "meets" if second["calls"] <= TARGET_SECOND_SYNC else "MISSES"
    print(
        f"  second sync of every problem, nothing changed: {second['calls']} calls "
        f"({second['client_setup_calls']} of them building this process's client) "
        f"(target {TARGET_SECOND_SYNC}: {verdict}); outcomes {second['outcomes']}"
    )
    problems = {
        key: checks_[key]
        for key in (
            "problems_with_two_issues",
            "problems_without_key",
            "problems_with_jira_error",
            "non_2xx_calls",
            "failed_rq_jobs",
            "worker_tracebacks",
        )
        if checks_.get(key)
    }
    if run.get("incomplete"):
        print(f"  WARNING: INCOMPLETE, figures cover part of the burst: {run['incomplete']}")
    if problems:
        print(f"  WARNING: {problems}")
        for line, n in {
            **checks_.get("failed_rq_job_errors", {}),
            **checks_.get("worker_errors", {}),
        }.items():
            print(f"    {n:>5} x {line}")
    if "jobs" in run:
        print(f"  rq jobs run: {run['jobs']}")
        for wave in run["waves"]:
            print(
                f"    wave {wave['wave']}: {wave['deliveries']} deliveries posted in "
                f"{wave['post_seconds']} s, quiet after {wave['seconds']} s, "
                f"{wave['calls']} calls {wave['calls_by_endpoint']}"
            )


def print_lost(lost: dict[str, Any]) -> None:
    print(
        f"\n[lost] every create's answer lost (cut connection / 503 after the commit, "
        f"alternately), {lost['problems_per_cell']} problems per cell, no reconcile sweep"
    )
    print(
        f"  {'lag s':>5}  {'Jira':<10} {'retries':<11} {'issues/problem':>14} {'creates':>7} "
        f"{'searches/problem':>16} {'simulated s to issue (median/max)':>34}"
    )
    for c in lost["cells"]:
        issues = f"{c['issues_per_problem_min']}..{c['issues_per_problem_max']}"
        waits = (
            f"{c['simulated_seconds_to_issue_median']:g} / {c['simulated_seconds_to_issue_max']:g}"
        )
        print(
            f"  {c['lag_seconds']:>5g}  {c['deployment']:<10} {c['retry_policy']:<11} "
            f"{issues:>14} {c['creates_sent']:>7} {c['searches_per_problem']:>16} {waits:>34}"
        )
    ok = all(c["meets_target"] for c in lost["cells"])
    print(
        f"  issues per problem: target exactly {TARGET_ISSUES_PER_PROBLEM}: "
        f"{'met' if ok else 'MISSED'}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--pain-points", type=int, default=10_000)
    parser.add_argument("--problems", type=int, default=100)
    parser.add_argument("--customers", type=int, default=3000)
    parser.add_argument("--waves", type=int, default=5, help="waves of deliveries (redis run)")
    parser.add_argument(
        "--gap",
        type=float,
        help="seconds between waves instead of waiting for the worker to be idle (redis run)",
    )
    parser.add_argument(
        "--database",
        choices=("auto", "sqlite", "postgresql"),
        default="auto",
        help="auto: SQLite for the embedded run, PostgreSQL for the worker run",
    )
    parser.add_argument("--redis-url", default=REDIS_URL)
    parser.add_argument("--timeout", type=float, default=240.0, help="redis run deadline (s)")
    parser.add_argument(
        "--lost-problems", type=int, default=20, help="problems per cell of the lost run"
    )
    parser.add_argument(
        "--lags", default="0,5,30", help="search index lags (s) of the lost run, comma-separated"
    )
    parser.add_argument("--only", choices=("embedded", "redis", "lost"), help="run one of three")
    args = parser.parse_args()
    args.lags = [float(lag) for lag in args.lags.split(",") if lag.strip()]

    burst = Burst(args.pain_points, args.problems, args.customers)
    info = machine()
    runs: dict[str, dict[str, Any]] = {}
    with temp_dir("vr-bench-jira-") as workdir:
        if args.only in (None, "embedded"):
            log(f"embedded: {args.pain_points} deliveries, then one drain_inbox ...")
            runs["embedded"] = run_embedded(args, burst, workdir)
        if args.only in (None, "redis"):
            log(f"redis: {args.waves} waves with a worker subprocess ...")
            runs["redis"] = run_redis(args, burst, workdir)
        lost = None
        if args.only in (None, "lost"):
            log(f"lost: lost create answers, lags {args.lags} s ...")
            lost = run_lost(args, burst, workdir)

    databases = {name: database_for(args, name) for name in runs}
    data = {
        "benchmark": "jira_calls",
        "machine": info,
        "postgres": postgres_version() if "postgresql" in databases.values() else None,
        "settings": {
            "pain_points": args.pain_points,
            "problems": args.problems,
            "customers": args.customers,
            "waves": args.waves,
            "between_waves": "idle worker" if args.gap is None else f"{args.gap:g} s",
            "database": databases,
            "redis_url": args.redis_url,
            "command": " ".join([Path(PYTHON).name, *sys.argv]),
        },
        "targets": {
            "beyond_create_per_problem_max": TARGET_BEYOND_CREATE,
            "second_sync_calls": TARGET_SECOND_SYNC,
            "issues_per_problem_with_lost_create_answers": TARGET_ISSUES_PER_PROBLEM,
        },
        "runs": runs,
        "verdicts": {name: verdicts(run) for name, run in runs.items()},
    }
    if lost is not None:
        data["lost_create_answers"] = lost
        data["verdicts"]["lost"] = {
            "issues_per_problem_max": max(c["issues_per_problem_max"] for c in lost["cells"]),
            "issues_per_problem_min": min(c["issues_per_problem_min"] for c in lost["cells"]),
            "meets_target": all(c["meets_target"] for c in lost["cells"]),
        }
    path = write_result("jira_calls", data)

    print(
        f"jira_calls: {args.pain_points} pain points over {args.problems} problems, "
        f"databases {databases}"
    )
    for run in runs.values():
        print_run(run)
    if lost is not None:
        print_lost(lost)
    print(f"\n-> {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
