"""Hostile deliveries from every helpdesk, interleaved with ordinary ones, on SQLite and
PostgreSQL, processed by an rq worker through a real Redis. Whatever hypothesis puts in
them: no 5xx; every ordinary delivery processed and counted exactly; every hostile one
either refused with a reason or processed with values the database holds; the inbox
drains to empty; and no e-mail address used shows up in logs, stored errors or Redis."""

from __future__ import annotations

import logging
import os
import pickle
import uuid
import zlib
from collections import Counter
from dataclasses import replace
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from redis import Redis
from rq import Queue, SimpleWorker
from rq.exceptions import NoSuchJobError
from rq.job import Job
from sqlmodel import Session, select

from tests.hostile.shapes import KINDS, Report, post
from tests.hostile.values import changes
from tests.support import SECRETS, token
from voice_router.models import Account, Customer, Delivery, PainPoint, Problem
from workers.runtime import build_runtime, set_process_runtime

OUTCOMES: dict[str, Counter[str]] = {}  # kind -> outcome -> deliveries (the closing table)
_ORDINARY_STATUS = 202


def _outcome(status: int, stored: Delivery | None) -> str:
    if status == 413:
        return "413 too large"
    if status == 400:
        return "400 refused"
    return f"{status} then {stored.status if stored else 'lost'}"


@pytest.mark.parametrize("kind", KINDS)
@settings(
    # The same examples on every CI run; VOICE_ROUTER_HOSTILE_EXPLORE=N tries N fresh ones.
    max_examples=int(os.environ.get("VOICE_ROUTER_HOSTILE_EXPLORE", "12")),
    derandomize="VOICE_ROUTER_HOSTILE_EXPLORE" not in os.environ,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_hostile_deliveries_never_stall_crash_or_lose(
    client, runtime, redis_url, caplog, kind, data
):
    run = uuid.uuid4().hex[:8]
    ordinary_count = data.draw(st.integers(1, 3), label="ordinary")
    hostile = data.draw(st.lists(changes, min_size=1, max_size=4), label="hostile")
    reports: list[tuple[bool, Report]] = []
    for n in range(ordinary_count):
        reports.append(
            (False, Report(f"{run}-o{n}", f"ord{n}.{run}@acme.com", [f"pain-ord-{run}"]))
        )
    for n, change in enumerate(hostile):
        base = Report(f"{run}-h{n}", f"host{n}.{run}@globex.com", [f"pain-host-{run}"])
        reports.append((True, replace(base, **change)))
    order = data.draw(st.permutations(range(len(reports))), label="order")

    caplog.set_level("INFO")
    answers: list[tuple[bool, Report, int, int | None]] = []
    for index in order:
        is_hostile, report = reports[index]
        response = post(client, kind, report, SECRETS[kind])
        assert response.status_code < 500, response.get_data(as_text=True)
        body = response.get_json(silent=True) or {}
        if is_hostile:
            assert response.status_code in (202, 400, 413), response.status_code
            if response.status_code == 400:
                assert body["error"] == "bad_payload" and body["message"]
        else:
            assert response.status_code == _ORDINARY_STATUS, body
        answers.append((is_hostile, report, response.status_code, body.get("delivery_id")))

    _work_the_queue(runtime)

    with Session(runtime.engine) as session:
        stored = {d.id: d for d in session.exec(select(Delivery)).all()}
    assert not [d for d in stored.values() if d.status == "pending"], "the inbox did not drain"
    for is_hostile, report, status, delivery_id in answers:
        row = stored.get(delivery_id) if delivery_id is not None else None
        if status == 202:
            assert row is not None and row.status == "processed", (report, row)
        elif status == 400:
            assert row is not None and row.status == "invalid" and row.last_error
        if is_hostile:
            OUTCOMES.setdefault(kind, Counter())[_outcome(status, row)] += 1
    ordinary = _problem(client, runtime, f"ord-{run}")
    assert (ordinary["tickets"], ordinary["customers"]) == (ordinary_count, ordinary_count)
    assert ordinary["accounts"] == 1 and ordinary["mrr"] == 0

    _assert_storable(runtime)
    used = {r.email for _, r in reports if isinstance(r.email, str) and "@" in r.email}
    used = {e for e in used if len(e.strip("\x00 @")) > 3}
    _assert_nowhere(used, stored.values(), caplog, redis_url)


def _problem(client: Any, runtime: Any, key: str) -> dict[str, Any]:
    """The problem as the API shows it (the list pages; one problem is found by its id)."""
    with Session(runtime.engine) as session:
        problem_id = session.exec(select(Problem.id).where(Problem.key == key)).one()
    answer = client.get(f"/api/v1/problems/{problem_id}", headers=token(runtime))
    assert answer.status_code == 200
    return answer.get_json()


def _work_the_queue(runtime: Any) -> None:
    """What `voice-router worker` does: a drain job (its sweep asks for one every few
    seconds), then every job on the queue, each performed by an rq worker that keeps its
    result in Redis — in this process, with a runtime of its own as a worker process has.
    (`Worker.work` itself is not used: its teardown can wait a minute for a pub/sub
    thread.)"""
    worker_runtime = build_runtime(runtime.settings)
    set_process_runtime(worker_runtime)
    try:
        queues = worker_runtime.queue.queues
        queues[0].enqueue("workers.jobs.drain_inbox")
        worker = SimpleWorker(queues, connection=queues[0].connection)
        while (
            found := Queue.dequeue_any(queues, None, connection=queues[0].connection)
        ) is not None:
            job, from_queue = found
            worker.execute_job(job, from_queue)
    finally:
        set_process_runtime(None)  # type: ignore[arg-type]
        worker_runtime.engine.dispose()


_TEXT_COLUMNS = {
    Customer: ("email", "name"),
    Account: ("key", "name", "domain", "plan"),
    Problem: ("key", "title"),
    PainPoint: ("ticket_id", "tag", "subject", "ticket_url", "agent_email", "agent_name"),
}


def _assert_storable(runtime: Any) -> None:
    """What was kept is clean text within its column, on both databases."""
    with Session(runtime.engine) as session:
        for model, columns in _TEXT_COLUMNS.items():
            for row in session.exec(select(model)).all():
                for column in columns:
                    value = getattr(row, column)
                    if value is None:
                        continue
                    limit = model.__table__.c[column].type.length  # type: ignore[attr-defined]
                    assert limit is None or len(value) <= limit, (model, column)
                    assert all(ch in "\t\n" or ch.isprintable() or ord(ch) > 0x9F for ch in value)
                    assert not any(0xD800 <= ord(ch) <= 0xDFFF for ch in value)


def _assert_nowhere(emails: set[str], deliveries: Any, caplog: Any, redis_url: str) -> None:
    if not emails:
        return
    formatter = logging.Formatter()
    logged = "\n".join(
        f"{record.getMessage()} {record.__dict__!r} "
        + (formatter.formatException(record.exc_info) if record.exc_info else "")
        for record in caplog.records
    ).lower()
    errors = "\n".join(d.last_error or "" for d in deliveries).lower()
    kept = _redis_text(redis_url).lower()
    for email in emails:
        needle = email.lower()
        assert needle not in logged, "an e-mail address reached the logs"
        assert needle not in errors, "an e-mail address reached delivery.last_error"
        assert needle not in kept, "an e-mail address reached Redis"


def _redis_text(redis_url: str) -> str:
    """Everything Redis holds, rq's compressed job records and results decoded."""
    connection = Redis.from_url(redis_url)
    parts: list[str] = []
    for key in connection.scan_iter():
        kind = connection.type(key)
        if kind == b"string":
            parts.append(repr(connection.get(key)))
        elif kind == b"hash":
            parts += [repr(_decoded(v)) for v in connection.hgetall(key).values()]
        elif kind in (b"list", b"set", b"zset"):
            parts.append(repr(connection.dump(key)))
        elif kind == b"stream":
            for _, entry in connection.xrange(key):
                parts += [repr(_decoded(v)) for v in entry.values()]
        if key.startswith(b"rq:job:"):
            try:
                job = Job.fetch(key.decode().removeprefix("rq:job:"), connection=connection)
            except NoSuchJobError:  # its result expired meanwhile
                continue
            parts += [repr(job.args), repr(job.kwargs)]
            parts += [repr(result.return_value) for result in job.results()]
    return "\n".join(parts)


def _decoded(value: bytes) -> Any:
    try:
        return pickle.loads(zlib.decompress(value))
    except Exception:  # not a compressed pickle: the raw bytes are what is kept
        return value


def pytest_terminal_summary_lines() -> list[str]:
    lines = ["hostile deliveries per adapter (outcome: count)"]
    for kind in KINDS:
        counts = OUTCOMES.get(kind, Counter())
        summary = ", ".join(f"{outcome}: {n}" for outcome, n in sorted(counts.items()))
        lines.append(f"  {kind}: {sum(counts.values())} — {summary}")
    return lines
