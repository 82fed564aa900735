"""`voice-router serve` on PostgreSQL while the database goes away and comes back (a restart,
a failover): webhooks answer 503 with Retry-After (never a 500, never a 202 for a delivery
not stored), /readyz names the database, the job runner's threads neither die nor spin and
the log says `database.unreachable` once; once the database is back, everything stored
before is processed, new webhooks are taken, and each lane of the runner (inbox, Jira,
messages) works again. A PostgreSQL cluster of the test's own, stopped and started on the
same port; the Jira sandbox and Slack over HTTP."""

from __future__ import annotations

import json
import signal
import threading
import time
from pathlib import Path
from typing import Any

import pytest
import requests
from sqlmodel import Session, col, func, select

from tests.conftest import source_table
from tests.serving import Process, post_delivery, serve, wait_until, write_config
from tests.support import JIRA_EMAIL, JIRA_TOKEN, generic_delivery, inline_runtime
from tests.test_readiness import postgres  # noqa: F401 - a cluster of the module's own
from tests.test_worker import processed
from voice_router.models import Delivery, Problem
from voice_router.platform.db import make_engine
from voice_router.platform.settings import parse_settings
from workers import jobs, outage

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("jira_openapi_check")]

JIRA_SECRET = "jira-webhook-secret"
SLACK_PATH = "/hooks/T000/B000"
AWAY_SECONDS = 12  # past the runner's lease (10 s): it stands by, then leads again


def events(running: Process, name: str) -> list[dict[str, Any]]:
    lines = [line for line in running.output().splitlines() if line.startswith("{")]
    return [record for record in map(json.loads, lines) if record.get("event") == name]


def deliveries(start: int, count: int) -> list[dict[str, Any]]:
    """One delivery per ticket, each naming a problem of its own (one Jira issue each)."""
    return [
        generic_delivery(f"T{i}", f"person{i}@company{i}.com", [f"pain-outage-{i}"])
        for i in range(start, start + count)
    ]


def cpu_seconds(pid: int) -> float:
    """User and system time the process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / 100


def with_issue(engine) -> list[str]:  # type: ignore[no-untyped-def]
    """The Jira keys of the problems, oldest problem first."""
    with Session(engine) as session:
        found = session.exec(
            select(Problem.jira_key).where(col(Problem.jira_key).is_not(None)).order_by(Problem.id)
        ).all()
    return [key for key in found if key]


def shipped(engine) -> int:  # type: ignore[no-untyped-def]
    with Session(engine) as session:
        return session.exec(
            select(func.count()).select_from(Problem).where(Problem.status == "shipped")
        ).one()


def stored(engine) -> int:  # type: ignore[no-untyped-def]
    with Session(engine) as session:
        return session.exec(select(func.count()).select_from(Delivery)).one()


def test_serve_rides_out_a_postgres_outage(
    postgres,  # noqa: F811 - the fixture imported above
    sandbox,
    httpserver,
    tmp_path,
):
    httpserver.expect_request(SLACK_PATH, method="POST").respond_with_data("ok")
    jira = {"url": sandbox.url, "email": JIRA_EMAIL, "api_token": JIRA_TOKEN}
    config = write_config(
        tmp_path / "vr.toml",
        postgres.url,
        jira={**jira, "update_interval_seconds": 0, "webhook_secret": JIRA_SECRET},
        notify={"slack_webhook_url": httpserver.url_for(SLACK_PATH)},
    )
    running = serve(config, tmp_path / "serve.log").start()
    sandbox.register_webhook(f"{running.base}/webhooks/jira", JIRA_SECRET)
    engine = make_engine(postgres.url)
    try:
        for body in deliveries(0, 5):
            assert post_delivery(running.base, "generic", body).status_code == 202
        wait_until(lambda: len(with_issue(engine)) == 5, 60, "the first problems' issues")
        for body in deliveries(5, 5):  # stored, and the database stopped at once
            assert post_delivery(running.base, "generic", body).status_code == 202
        [runner] = events(running, "runner.started")

        postgres.stop()
        refused = deliveries(10, 5)
        for body in refused:
            answer = post_delivery(running.base, "generic", body)
            assert (answer.status_code, answer.headers.get("Retry-After")) == (503, "30")
        ready = requests.get(f"{running.base}/readyz", timeout=10)
        assert ready.status_code == 503
        assert ready.json()["checks"]["database"].startswith("unreachable"), ready.json()
        used = cpu_seconds(int(runner["pid"]))
        time.sleep(AWAY_SECONDS)
        spent = cpu_seconds(int(runner["pid"])) - used
        postgres.start()

        for body in [*refused, *deliveries(15, 5)]:  # the helpdesk resends what got a 503
            answer = post_delivery(running.base, "generic", body)
            assert answer.status_code == 202, answer.text
        wait_until(lambda: processed(engine) == 20, 60, "the runner's inbox to work again")
        wait_until(lambda: len(with_issue(engine)) == 20, 60, "its Jira lane to work again")
        sandbox.transition(with_issue(engine)[0], "Done", resolution="Done")
        wait_until(lambda: shipped(engine) == 1, 60, "the Jira webhook to be taken")
        wait_until(lambda: len(httpserver.log) == 1, 60, "its messages lane to work again")
        assert requests.get(f"{running.base}/readyz", timeout=10).status_code == 200
    finally:
        running.stop()
        engine.dispose()

    output = running.output()
    assert [r["pid"] for r in events(running, "runner.started")] == [runner["pid"]], output
    assert spent < AWAY_SECONDS / 4, f"the runner spun: {spent} s of CPU while away"
    assert len(events(running, "database.unreachable")) == 1, output[-5000:]
    assert len(events(running, "database.back")) == 1, output[-5000:]
    assert "Traceback" not in output, output[-5000:]
    assert 500 not in {record.get("status") for record in events(running, "http.request")}


def test_a_job_that_needs_no_database_does_not_say_it_is_back(
    postgres,  # noqa: F811 - the fixture imported above
    every_log_record,
):
    """Serve's messages lane runs the weekly digest on every pass, which reads nothing while
    it is off: it said `database.back` each time, and the next drain a new
    `database.unreachable`, one pair a second for as long as the outage lasted."""
    settings = parse_settings(
        {"database_url": postgres.url, "redis_url": "", "sources": source_table()}, {}, "t"
    )
    runtime = inline_runtime(settings)
    postgres.stop()
    try:
        for _ in range(3):
            jobs.drain_inbox(runtime)
            jobs.weekly_digest(runtime)
    finally:
        postgres.start()
    jobs.weekly_digest(runtime)
    jobs.drain_inbox(runtime)  # the database answers it
    runtime.engine.dispose()

    said = [r.getMessage() for r in every_log_record if r.name == "workers.outage"]
    assert said == ["database.unreachable", "database.back"]


def test_a_job_answered_before_the_outage_does_not_say_it_is_back(
    postgres,  # noqa: F811 - the fixture imported above
    every_log_record,
):
    """A job whose statement was answered just before PostgreSQL stopped, ending just after
    another lane found it away, said `database.back` at once, and the next lane to meet the
    outage said `database.unreachable` again (serve's outage test, now and then)."""
    settings = parse_settings(
        {"database_url": postgres.url, "redis_url": "", "sources": source_table()}, {}, "t"
    )
    runtime = inline_runtime(settings)
    answered, ending = threading.Event(), threading.Event()

    @outage.waits_out("slow", lambda: None)
    def slow_job() -> None:
        with runtime.engine.connect() as connection:
            connection.exec_driver_sql("SELECT 1")
        answered.set()
        ending.wait(30)

    slow = threading.Thread(target=slow_job)
    slow.start()
    try:
        assert answered.wait(30)
        postgres.stop()
        jobs.drain_inbox(runtime)  # another lane finds it away
        ending.set()
        slow.join(30)
        jobs.drain_inbox(runtime)
    finally:
        ending.set()
        postgres.start()
    jobs.drain_inbox(runtime)  # the database answers it
    runtime.engine.dispose()

    said = [r.getMessage() for r in every_log_record if r.name == "workers.outage"]
    assert said == ["database.unreachable", "database.back"]


def lease_expiry(engine) -> Any:  # type: ignore[no-untyped-def]
    with engine.connect() as connection:
        return connection.exec_driver_sql(
            "SELECT expires_at FROM lease WHERE name = 'job-runner'"
        ).scalar_one_or_none()


def test_serve_stopped_while_postgres_is_away_exits_0_with_one_line(
    postgres,  # noqa: F811 - the fixture imported above
    tmp_path,
):
    """A stop that came before the runner's next lease renewal (every 2 s) found out that
    the database was gone by releasing the lease: a traceback at exit, twice. The stop comes
    just after a renewal here, with deliveries stored and not all processed yet: serve exits
    0, says once that the lease was left to run out, and every delivery is still there."""
    running = serve(write_config(tmp_path / "vr.toml", postgres.url), tmp_path / "serve.log")
    running.start()
    engine = make_engine(postgres.url)
    try:
        wait_until(lambda: events(running, "runner.leading"), 60, "the runner to lead")
        before = stored(engine)  # the cluster is the module's: another test's may be there
        for body in deliveries(500, 5):
            assert post_delivery(running.base, "generic", body).status_code == 202
        renewed_from = lease_expiry(engine)
        wait_until(lambda: lease_expiry(engine) != renewed_from, 10, "a lease renewal")
        engine.dispose()
        postgres.stop()
        assert running.process is not None
        running.process.send_signal(signal.SIGTERM)
        code = running.process.wait(60)
    finally:
        running.stop()
    postgres.start()

    output = running.output()
    assert code == 0, output[-5000:]
    assert "Traceback" not in output, output[-5000:]
    [left] = events(running, "runner.lease_left")
    assert left["reason"] == "database unreachable"
    assert events(running, "runner.stopped"), output[-5000:]
    with Session(engine) as session:
        statuses = session.exec(select(Delivery.status).order_by(col(Delivery.id))).all()
    engine.dispose()
    assert len(statuses) == before + 5, statuses
    assert set(statuses[before:]) <= {"pending", "processed"}, statuses
