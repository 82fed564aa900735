"""Both production set-ups, run as an operator runs them: `voice-router serve` (SQLite, no
Redis) and gunicorn + `voice-router worker` (PostgreSQL, rq on Redis). A webhook's 202 never
waits on Jira; a SIGKILL mid-drain or mid-sync loses nothing and repeats nothing; reconcile
ships what a lost Jira webhook did not; gunicorn without Redis runs one job runner."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
import sqlalchemy as sa
from redis import Redis
from rq.registry import FailedJobRegistry, StartedJobRegistry
from werkzeug import Response

from integrations import registry
from tests.serving import (
    BlackHole,
    Process,
    command_line,
    gunicorn,
    post_delivery,
    serve,
    wait_until,
    worker,
    write_config,
)
from tests.support import JIRA_EMAIL, JIRA_TOKEN, SECRETS, generic_delivery
from voice_router.intake import inbox
from voice_router.platform.db import make_engine, upgrade
from voice_router.platform.settings import load_settings
from voice_router.platform.tokens import create_token
from workers.queue import QUEUE_NAMES

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("jira_openapi_check")]

JIRA_SECRET = "jira-hook-secret"


class Deployment:
    """One set-up, its database, and an API token to read it with."""

    def __init__(self, setup: str, tmp_path: Path, database_url: str, redis_url: str) -> None:
        self.setup, self.tmp_path = setup, tmp_path
        self.database_url, self.redis_url = database_url, redis_url
        self.engine = make_engine(database_url)
        upgrade(self.engine)
        self.headers = {"Authorization": f"Bearer {create_token(self.engine, 'pm', 'Test')}"}
        self.processes: list[Process] = []
        self.web: Process | None = None

    def configure(self, **extra: Any) -> Path:
        if self.setup == "rq":
            extra["redis_url"] = self.redis_url
        return write_config(self.tmp_path / "vr.toml", self.database_url, **extra)

    def start(self, config: Path) -> Deployment:
        log = self.tmp_path / f"{self.setup}.log"
        if self.setup == "serve":
            self.web = serve(config, log).start()
            self.processes = [self.web]
        else:
            self.web = gunicorn(config, log).start()
            self.processes = [self.web, worker(config, self.tmp_path / "worker.log").start()]
        return self

    def kill(self) -> None:
        for process in self.processes:
            process.kill()

    def stop(self) -> None:
        for process in self.processes:
            process.stop()

    def output(self) -> str:
        return "\n".join(process.output() for process in self.processes)

    def problems(self) -> dict[str, dict[str, Any]]:
        assert self.web is not None
        answer = requests.get(f"{self.web.base}/api/v1/problems", headers=self.headers, timeout=10)
        return {p["key"]: p for p in answer.json()["problems"]}

    def issue_key(self, problem: str, seconds: float = 60, what: str = "the Jira issue") -> str:
        return wait_until(
            lambda: (self.problems().get(problem, {}).get("jira") or {}).get("key"), seconds, what
        )

    def ship_by_webhook(self, sandbox: Any, problem: str = "ship-me") -> None:
        """Once `problem` has its Jira issue, it moves to Done, and Jira says so by webhook."""
        key = self.issue_key(problem)
        assert self.web is not None
        sandbox.register_webhook(f"{self.web.base}/webhooks/jira", JIRA_SECRET)
        sandbox.transition(key, "Done", resolution="Done")

    def scalar(self, sql: str) -> Any:
        with self.engine.connect() as connection:
            return connection.execute(sa.text(sql)).scalar()


@pytest.fixture(params=["serve", "rq"])
def deployment(request, tmp_path, sqlite_template, redis_url) -> Iterator[Deployment]:  # type: ignore[no-untyped-def]
    """`serve` on SQLite without Redis; gunicorn + worker on PostgreSQL with Redis."""
    if request.param == "serve":
        database_url = f"sqlite:///{tmp_path / 'vr.db'}"
    else:
        from tests.conftest import _truncate_postgres

        database_url = request.getfixturevalue("postgres_database")
        _truncate_postgres(database_url)
    found = Deployment(request.param, tmp_path, database_url, redis_url)
    yield found
    found.stop()
    found.engine.dispose()


def jira_table(url: str, **extra: Any) -> dict[str, Any]:
    return {
        "url": url,
        "email": JIRA_EMAIL,
        "api_token": JIRA_TOKEN,
        "webhook_secret": JIRA_SECRET,
        "update_interval_seconds": 0,
        **extra,
    }


def test_webhooks_never_wait_on_a_jira_that_does_not_answer(deployment):
    hole = BlackHole()
    try:
        config = deployment.configure(jira=jira_table(hole.url))
        deployment.start(config)
        took = []
        for n in range(20):
            body = generic_delivery(f"T{n}", f"p{n}@acme{n}.com", [f"pain-problem-{n}"])
            started = time.monotonic()
            answer = post_delivery(deployment.web.base, "generic", body)
            took.append(time.monotonic() - started)
            assert answer.status_code == 202, answer.text
        assert max(took) < 1.0, took
        # Processed meanwhile, while every Jira sync hangs on the black hole.
        wait_until(lambda: len(deployment.problems()) == 20, 60, "the deliveries processed")
        wait_until(lambda: hole.held, 30, "voice-router to try Jira")
        started = time.monotonic()
        assert requests.get(f"{deployment.web.base}/healthz", timeout=5).status_code == 200
        assert time.monotonic() - started < 1.0
        # And while Jira syncs wait their turn on it (10 s each), new deliveries do not wait
        # behind them: the inbox has a worker (a runner thread) of its own.
        wait_until(lambda: len(hole.held) >= 2, 30, "a Jira sync to hang")
        for n in range(20, 25):
            body = generic_delivery(f"T{n}", f"p{n}@acme{n}.com", [f"pain-problem-{n}"])
            assert post_delivery(deployment.web.base, "generic", body).status_code == 202
        wait_until(lambda: len(deployment.problems()) == 25, 5, "the later deliveries processed")
    finally:
        deployment.stop()
        hole.close()


def test_reconcile_ships_a_problem_whose_jira_webhook_was_lost(deployment, sandbox):
    config = deployment.configure(reconcile_seconds=2, jira=jira_table(sandbox.url))
    deployment.start(config)
    body = generic_delivery("T1", "ann@acme.com", ["pain-sso-login"])
    assert post_delivery(deployment.web.base, "generic", body).status_code == 202
    key = wait_until(
        lambda: (deployment.problems().get("sso-login", {}).get("jira") or {}).get("key"),
        60,
        "the Jira issue",
    )
    sandbox.transition(key, "Done", resolution="Done")  # no webhook registered: it is lost
    wait_until(
        lambda: deployment.problems()["sso-login"]["status"] == "shipped",
        60,
        "reconcile to ship the problem:\n" + deployment.output(),
    )


def test_a_helpdesk_that_does_not_answer_holds_up_no_jira_sync(deployment, sandbox):
    """A shipped problem's write-back notes go to a helpdesk that hangs (10 s each); a new
    problem reported meanwhile still gets its Jira issue at once: messages and Jira's work
    have a worker (a runner thread) each."""
    hole = BlackHole()
    try:
        key = _six_notes_owed_to(hole, deployment, sandbox, reconcile_seconds=3600)
        sandbox.register_webhook(f"{deployment.web.base}/webhooks/jira", JIRA_SECRET)
        sandbox.transition(key, "Done", resolution="Done")
        wait_until(lambda: hole.held, 30, "the first note to hang")
        _a_new_problem_gets_its_issue_meanwhile(deployment)
    finally:
        deployment.stop()
        hole.close()


def _a_new_problem_gets_its_issue_meanwhile(deployment: Deployment) -> None:
    """A webhook for a new problem is taken, and the problem gets its Jira issue, while the
    notes hang."""
    body = generic_delivery("T1", "ann@acme.com", ["pain-later"])
    assert post_delivery(deployment.web.base, "generic", body).status_code == 202
    wait_until(
        lambda: (deployment.problems().get("later", {}).get("jira") or {}).get("key"),
        15,
        "the later problem's Jira issue, while the notes hang",
    )


def test_a_reconcile_pass_sends_nothing_itself_while_a_helpdesk_hangs(deployment, sandbox):
    """Reconcile runs on Jira's lane: the notes it finds owed go to the messages lane, so a
    pass ends at once while the helpdesk hangs and a new problem still gets its Jira issue
    (a pass that sent them itself waited 10 s a note, and every sync behind it)."""
    hole = BlackHole()
    try:
        key = _six_notes_owed_to(hole, deployment, sandbox, reconcile_seconds=2)
        sandbox.transition(key, "Done", resolution="Done")  # no webhook: reconcile ships it
        wait_until(lambda: hole.held, 60, "the first note to hang")
        wait_until(
            lambda: any(
                "reconcile.done" in line and '"transitions": 1' in line
                for line in deployment.output().splitlines()
            ),
            5,
            "the pass that shipped the problem to end, while the notes hang",
        )
        _a_new_problem_gets_its_issue_meanwhile(deployment)
        assert deployment.scalar("SELECT count(*) FROM outbound WHERE status = 'sent'") == 0
    finally:
        deployment.stop()
        hole.close()


def _six_notes_owed_to(hole: BlackHole, deployment, sandbox, reconcile_seconds: int) -> str:  # type: ignore[no-untyped-def]
    """The service started with six Zendesk tickets of one problem, whose write-back notes go
    to `hole` once it ships; the problem's Jira key."""
    zendesk = {"writeback": True, "api_token": "zd", "api_base": hole.url}
    config = deployment.configure(
        reconcile_seconds=reconcile_seconds,
        jira=jira_table(sandbox.url),
        **{"sources.zendesk": zendesk},
    )
    store_deliveries(deployment.database_url, config, ["pain-ship-me"] * 6)
    deployment.start(config)
    return wait_until(
        lambda: (deployment.problems().get("ship-me", {}).get("jira") or {}).get("key"),
        60,
        "the Jira issue",
    )


def store_deliveries(database_url: str, config: Path, tags: list[str]) -> None:
    """Deliveries already in the inbox (as if received just before), fast: ticket n tagged
    `tags[n]`."""
    settings = load_settings(config)
    engine = make_engine(database_url)
    secret = SECRETS["zendesk"]
    for n, tag in enumerate(tags):
        body = {
            "ticket": {
                "id": f"{n}",
                "title": f"Ticket {n}",
                "tags": tag,
                "updated_at": "2026-11-20T10:00:00Z",
                "requester": {"email": f"c{n}@corp{n % 7}.com", "name": f"Customer {n}"},
            }
        }
        raw = json.dumps(body).encode()
        headers = {**registry.adapter("zendesk").sign(raw, secret)}
        headers["X-Zendesk-Webhook-Invocation-Id"] = f"inv-{n}"
        inbox.receive(engine, settings, "zendesk", headers, raw)
    engine.dispose()


def test_serve_killed_mid_drain_and_mid_sync_loses_nothing_and_repeats_nothing(
    tmp_path, sqlite_template, sandbox, httpserver
):
    """SIGKILL while a batch is being applied, while Jira is creating an issue (its answer
    never arrives), and while a write-back note is being posted; after each restart: exact
    counts, one issue per problem, and nobody notified twice."""
    count, problems = 3000, 3
    tags = [f"pain-problem-{n % problems}" for n in range(count)] + ["pain-ship-me"] * 3
    shipped = [f"/api/v2/tickets/{n}.json" for n in range(count, count + 3)]
    notes: list[str] = []
    hold = threading.Event()

    def helpdesk(request):  # type: ignore[no-untyped-def]
        notes.append(request.path)
        if request.path == shipped[1]:
            hold.wait(30)  # this note is in flight when serve dies
        body = {"audit": {"events": [{"type": "Comment", "id": len(notes)}]}}
        return Response(json.dumps(body), status=200, content_type="application/json")

    for path in shipped:
        httpserver.expect_request(path, method="PUT").respond_with_handler(helpdesk)
    deployment = Deployment("serve", tmp_path, f"sqlite:///{tmp_path / 'vr.db'}", "")
    zendesk = {"writeback": True, "api_token": "zd", "api_base": httpserver.url_for("").rstrip("/")}
    config = deployment.configure(
        process_batch_size=200,
        reconcile_seconds=3600,
        jira=jira_table(sandbox.url),
        **{"sources.zendesk": zendesk},
    )
    store_deliveries(deployment.database_url, config, tags)
    processed = "SELECT count(*) FROM delivery WHERE status = 'processed'"
    sandbox.delay_next("POST", r"/rest/api/2/issue", 3.0)  # Jira is slow to create the first
    try:
        deployment.start(config)
        wait_until(lambda: 0 < deployment.scalar(processed) < count, 60, "processing under way")
        deployment.kill()  # mid-drain
        assert deployment.scalar(processed) < count
        deployment.start(config)
        wait_until(lambda: sandbox.state.traffic.pending_faults == 0, 60, "a create in flight")
        deployment.kill()  # mid-sync: Jira creates the issue, and the answer is lost
        time.sleep(3.5)
        deployment.start(config)
        wait_until(lambda: deployment.scalar(processed) == count + 3, 90, "the inbox drained")
        linked = "SELECT count(*) FROM problem WHERE jira_key IS NOT NULL"
        wait_until(lambda: deployment.scalar(linked) == problems + 1, 90, "every issue")
        found = deployment.problems()
        assert sorted(p["tickets"] for p in found.values()) == [3] + [count // problems] * 3
        assert len(sandbox.issues()) == problems + 1  # one issue each: no second create
        # Ship a problem; kill serve while the note on its second ticket is in flight.
        sandbox.register_webhook(f"{deployment.web.base}/webhooks/jira", JIRA_SECRET)
        sandbox.transition(found["ship-me"]["jira"]["key"], "Done", resolution="Done")
        wait_until(lambda: shipped[1] in notes, 60, "the note in flight")
        deployment.kill()
        hold.set()
        deployment.start(config)
        unsettled = "SELECT count(*) FROM outbound WHERE status IN ('pending', 'sending')"
        wait_until(lambda: deployment.scalar(unsettled) == 0, 120, "the notes to settle")
        assert sorted(notes) == sorted(shipped), notes  # each ticket's note once, none twice
    finally:
        hold.set()
        deployment.stop()
        deployment.engine.dispose()


def test_serve_stopped_while_jira_and_a_helpdesk_hang_stops_at_once_and_loses_nothing(
    tmp_path, sqlite_template, sandbox
):
    """A Jira create and a write-back note in flight, neither answered: SIGTERM stopped serve
    after 13 s (its runner's lanes joined one after the other, each up to the call's
    timeout). It waits once for both, STOP_WAIT_SECONDS, and says in one line which lanes it
    left. After a restart the sync is done with the issue Jira made meanwhile (no second
    create), and the note, which may have arrived, is never marked sent nor sent again."""
    hole = BlackHole()  # the helpdesk: takes the note, never answers
    deployment = Deployment("serve", tmp_path, f"sqlite:///{tmp_path / 'vr.db'}", "")
    zendesk = {"writeback": True, "api_token": "zd", "api_base": hole.url}
    config = deployment.configure(
        outbound_timeout_seconds=60,  # the calls stay in flight whatever the machine's pace
        reconcile_seconds=3600,
        jira=jira_table(sandbox.url),
        **{"sources.zendesk": zendesk},
    )
    store_deliveries(deployment.database_url, config, ["pain-ship-me"])
    create = r"/rest/api/2/issue"
    try:
        deployment.start(config)
        deployment.ship_by_webhook(sandbox)
        wait_until(lambda: hole.held, 60, "the note in flight")
        creates = sandbox.count_calls("POST", create)  # ship-me's
        sandbox.delay_next("POST", create, 120)  # Jira holds the next create's answer
        body = generic_delivery("T1", "ann@acme.com", ["pain-later"])
        assert post_delivery(deployment.web.base, "generic", body).status_code == 202
        wait_until(lambda: sandbox.state.traffic.pending_faults == 0, 60, "a create in flight")
        assert deployment.web.process is not None
        started = time.monotonic()
        deployment.web.process.send_signal(signal.SIGTERM)
        code = deployment.web.process.wait(60)
        took = time.monotonic() - started
        first_run = deployment.output()
        sandbox.release_delayed()  # Jira makes the issue after all; its answer reaches nobody

        assert code == 0, first_run[-3000:]
        assert took < 9, took  # STOP_WAIT_SECONDS and the web processes' stop, not 13 s
        lines = [json.loads(line) for line in first_run.splitlines() if "stop.jobs_left" in line]
        assert [line["lanes"] for line in lines] == [["jira", "messages"]], first_run[-3000:]
        unsent = "SELECT count(*) FROM outbound WHERE status = 'sent'"
        assert deployment.scalar(unsent) == 0

        deployment.start(config)
        deployment.issue_key("later", 120, "the sync left in flight, done after the restart")
        assert sandbox.count_calls("POST", create) == creates + 1  # the one made, adopted
        assert len(sandbox.issues()) == 2
        wait_until(
            lambda: deployment.scalar("SELECT status FROM outbound") == "failed", 30, "the note"
        )
        error = deployment.scalar("SELECT last_error FROM outbound")
        assert "interrupted while sending" in error and "not retried" in error, error
        assert len(hole.held) == 1  # it went out once, and not again
    finally:
        sandbox.release_delayed()
        deployment.stop()
        deployment.engine.dispose()
        hole.close()


def test_a_stop_sends_no_further_note_and_the_rest_go_after_the_restart(
    deployment, sandbox, httpserver
):
    """SIGTERM to serve, or to the worker, while the first of three write-back notes is in
    flight: that one is answered within the stop's wait and recorded sent, and the messages
    lane sends no further note. It went on to the next one, left it in flight at the wait's
    end, and that note was given up as possibly sent though only the stop had cut it. The
    others stay owed and go after the restart, each once."""
    tickets = [f"/api/v2/tickets/{n}.json" for n in range(3)]
    notes: list[str] = []
    answer_first, restarted = threading.Event(), threading.Event()

    def helpdesk(request):  # type: ignore[no-untyped-def]
        notes.append(request.path)
        (answer_first if len(notes) == 1 else restarted).wait(60)
        body = {"audit": {"events": [{"type": "Comment", "id": len(notes)}]}}
        return Response(json.dumps(body), status=200, content_type="application/json")

    for path in tickets:
        httpserver.expect_request(path, method="PUT").respond_with_handler(helpdesk)
    base = httpserver.url_for("").rstrip("/")
    config = deployment.configure(
        reconcile_seconds=3600,
        jira=jira_table(sandbox.url),
        **{"sources.zendesk": {"writeback": True, "api_token": "zd", "api_base": base}},
    )
    store_deliveries(deployment.database_url, config, ["pain-ship-me"] * 3)
    statuses = "SELECT status FROM outbound ORDER BY status"
    try:
        deployment.start(config)
        deployment.ship_by_webhook(sandbox)
        wait_until(lambda: notes, 60, "the first note in flight")
        jobs = deployment.processes[-1]  # serve, or the worker
        assert jobs.process is not None
        jobs.process.send_signal(signal.SIGTERM)
        said = "runner.stopping" if deployment.setup == "serve" else "worker.stopping"
        wait_until(lambda: said in jobs.output(), 30, "the stop under way")
        answer_first.set()
        assert jobs.process.wait(60) == 0
        with deployment.engine.connect() as connection:
            after_stop = [row[0] for row in connection.execute(sa.text(statuses))]
        assert after_stop == ["pending", "pending", "sent"], (notes, after_stop)
        assert len(notes) == 1

        restarted.set()
        jobs.start()
        wait_until(
            lambda: deployment.scalar("SELECT count(*) FROM outbound WHERE status = 'sent'") == 3,
            60,
            "the other notes, after the restart",
        )
        assert sorted(notes) == sorted(tickets), notes  # each ticket's note once
    finally:
        answer_first.set()
        restarted.set()
        deployment.stop()


def test_a_worker_stopped_while_jira_hangs_waits_once_and_names_the_lane_it_left(
    tmp_path, redis_url
):
    """`voice-router worker` gives its lanes' jobs one wait in all too, and says which lane it
    left: Jira's, whose sync (or pass) is due again once its claim (or lease) lapses."""
    hole = BlackHole()  # Jira: takes every call, answers none
    database_url = f"sqlite:///{tmp_path / 'vr.db'}"
    engine = make_engine(database_url)
    upgrade(engine)
    engine.dispose()
    jira = {"url": hole.url, "email": JIRA_EMAIL, "api_token": JIRA_TOKEN}
    config = write_config(
        tmp_path / "vr.toml",
        database_url,
        redis_url=redis_url,
        outbound_timeout_seconds=60,
        jira={**jira, "update_interval_seconds": 0},
    )
    store_deliveries(database_url, config, ["pain-later"])
    running = worker(config, tmp_path / "worker.log").start()
    try:
        wait_until(lambda: hole.held, 60, "a call to Jira in flight")
        assert running.process is not None
        started = time.monotonic()
        running.process.send_signal(signal.SIGTERM)
        code = running.process.wait(60)
        took = time.monotonic() - started
    finally:
        running.stop()
        hole.close()
    output = running.output()
    assert code == 0, output[-3000:]
    assert took < 9, took
    lines = [json.loads(line) for line in output.splitlines() if "stop.jobs_left" in line]
    assert [line["lanes"] for line in lines] == [["jira"]], output[-3000:]
    # The job left in flight is not left `started`: rq's cleanup in the next worker (here
    # as if its timeout had long passed) put it in the failed list, abandoned.
    redis = Redis.from_url(redis_url)
    for name in QUEUE_NAMES:
        StartedJobRegistry(name, connection=redis).cleanup(time.time() + 10**6)
        assert FailedJobRegistry(name, connection=redis).get_job_ids() == [], name


def first_runner(deployment: Deployment, web: Process) -> tuple[str, int]:
    """Post a delivery, wait for the runner to process it: the lease's holder and its pid."""
    body = generic_delivery("T1", "ann@acme.com", ["pain-export"])
    assert post_delivery(web.base, "generic", body).status_code == 202
    wait_until(lambda: "export" in deployment.problems(), 30, "the runner to process it")
    holder = deployment.scalar("SELECT holder FROM lease WHERE name = 'job-runner'")
    return holder, int(holder.split(":")[1])


def parent_of(pid: int) -> int:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(next(line for line in status.splitlines() if line.startswith("PPid:")).split()[1])


@pytest.mark.parametrize("runner", ["serve", "gunicorn"])
def test_without_redis_one_job_runner_runs_beside_the_web_processes_and_is_restarted(
    runner, tmp_path, sqlite_template
):
    """`voice-router serve` and gunicorn with deploy/gunicorn.conf.py: the runner works in a
    process of its own, not a web process (serve: a child of serve running
    workers/serve_runner.py; gunicorn: its dirty arbiter's worker), and when it dies another
    is started, which takes the lease over and goes on."""
    deployment = Deployment(runner, tmp_path, f"sqlite:///{tmp_path / 'vr.db'}", "")
    config = deployment.configure()
    start = serve if runner == "serve" else gunicorn
    web = start(config, tmp_path / f"{runner}.log", workers=2).start()
    deployment.web, deployment.processes = web, [web]
    try:
        holder, pid = first_runner(deployment, web)
        assert web.process is not None
        if runner == "serve":
            supervisor = web.process.pid
            assert parent_of(pid) == supervisor
            assert "workers.serve_runner" in command_line(pid)
        else:
            supervisor = parent_of(pid)
            assert supervisor != web.process.pid  # not a web process of gunicorn's master
            assert parent_of(supervisor) == web.process.pid  # but its dirty arbiter's worker
        logs = web.output()
        assert logs.count('"runner.leading"') == 1, logs  # one runner, and only one

        os.kill(pid, signal.SIGKILL)
        body = generic_delivery("T2", "bob@globex.com", ["pain-import"])
        assert post_delivery(web.base, "generic", body).status_code == 202
        wait_until(lambda: "import" in deployment.problems(), 60, "a new runner to take over")
        successor = deployment.scalar("SELECT holder FROM lease WHERE name = 'job-runner'")
        assert successor != holder
        successor_parent = parent_of(int(successor.split(":")[1]))
        if runner == "serve":
            assert successor_parent == supervisor
        else:  # gunicorn may replace the dirty arbiter along with its dead worker (under load)
            assert successor_parent == supervisor or parent_of(successor_parent) == web.process.pid
    finally:
        web.stop()
        deployment.engine.dispose()


def test_gunicorn_without_its_settings_file_runs_the_job_runner_in_a_web_process(
    tmp_path, sqlite_template
):
    """Plain `gunicorn 'voice_router.web:create_app()'` (no -c): the web processes run the
    runner themselves, one at a time by the lease, and hand it over when one dies."""
    deployment = Deployment("gunicorn", tmp_path, f"sqlite:///{tmp_path / 'vr.db'}", "")
    config = deployment.configure()
    web = gunicorn(config, tmp_path / "gunicorn.log", workers=2, settings_file=False).start()
    deployment.web, deployment.processes = web, [web]
    try:
        holder, pid = first_runner(deployment, web)
        assert web.process is not None and parent_of(pid) == web.process.pid  # a web process

        os.kill(pid, signal.SIGKILL)  # the leading web process dies; gunicorn starts another
        body = generic_delivery("T2", "bob@globex.com", ["pain-import"])
        wait_until(lambda: post_delivery(web.base, "generic", body).status_code == 202, 30, "a 202")
        wait_until(lambda: "import" in deployment.problems(), 60, "another runner to take over")
        successor = deployment.scalar("SELECT holder FROM lease WHERE name = 'job-runner'")
        assert successor != holder
    finally:
        web.stop()
        deployment.engine.dispose()


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        (None, (os.cpu_count() or 1) + 1),
        ("5", 5),
        ("", (os.cpu_count() or 1) + 1),
        ("x", (os.cpu_count() or 1) + 1),
    ],
)
def test_serve_runs_one_web_process_per_core_plus_one_unless_told(given, expected, monkeypatch):
    from voice_router.cli.service import web_processes

    if given is None:
        monkeypatch.delenv("WEB_CONCURRENCY", raising=False)
    else:
        monkeypatch.setenv("WEB_CONCURRENCY", given)
    assert web_processes() == expected


def served_by(web: Process, answer: requests.Response) -> int:
    """The pid of the web process that answered (its `http.request` log line)."""
    request_id = answer.headers["X-Request-ID"]
    for _ in range(50):
        for line in web.output().splitlines():
            if request_id in line and '"http.request"' in line:
                return int(json.loads(line)["pid"])
        time.sleep(0.1)
    raise AssertionError(f"no log line for request {request_id}")


def test_a_ui_form_served_by_one_web_process_is_taken_by_another(tmp_path, sqlite_template):
    """No `secret_key` configured: the web processes of one `serve` sign with one key, so a
    sign-in form (its CSRF token and cookie) served by one process is accepted when the
    browser posts it on a connection another process answers."""
    from concurrent.futures import ThreadPoolExecutor

    from tests.ui.ui_support import csrf_token

    deployment = Deployment("serve", tmp_path, f"sqlite:///{tmp_path / 'vr.db'}", "")
    web = serve(deployment.configure(secret_key=""), tmp_path / "serve.log", workers=3).start()
    deployment.web, deployment.processes = web, [web]
    connections: list[requests.Session] = []  # each holds its connection (keep-alive)
    forms: list[requests.Response] = []
    try:
        with ThreadPoolExecutor(max_workers=8) as pool:
            while len({served_by(web, form) for form in forms}) < 2:  # until two processes
                # On a loaded machine one process may accept many connections in a row.
                assert len(connections) < 400, "every connection went to one web process"
                batch = [requests.Session() for _ in range(8)]
                forms += pool.map(lambda c: c.get(f"{web.base}/login", timeout=10), batch)
                connections += batch
        pids = [served_by(web, form) for form in forms]
        first = 0
        cookies = dict(connections[first].cookies)
        token_value = create_token(deployment.engine, "agent", "Agent")
        answered = []
        # A kept-alive connection answered by another process than the form's, unless the
        # server closed it meanwhile and the reconnect reached the form's own process: then
        # the next such connection (what is tested is the other process taking the form).
        for other in (j for j, pid in enumerate(pids) if pid != pids[first]):
            connection = connections[other]
            connection.cookies.clear()
            connection.cookies.update(cookies)
            answer = connection.post(
                f"{web.base}/login",
                data={"token": token_value, "csrf_token": csrf_token(forms[first].text)},
                allow_redirects=False,
                timeout=10,
            )
            answered.append(served_by(web, answer))
            if answered[-1] != pids[first]:
                break
        assert answered[-1] != pids[first], answered
        assert answer.status_code == 303, answer.text
    finally:
        for session in connections:
            session.close()
        web.stop()
        deployment.engine.dispose()


def test_a_second_serve_on_a_port_in_use_refuses_to_start(tmp_path, sqlite_template):
    """granian binds with SO_REUSEPORT: a second `serve` on the same port (another terminal,
    systemd beside a manual run, another config) used to start and take a share of the
    webhooks, acknowledged into its own database. It now exits, naming the port."""
    first_config = write_config(tmp_path / "a.toml", f"sqlite:///{tmp_path / 'a.db'}")
    first = serve(first_config, tmp_path / "a.log").start()
    try:
        other = write_config(tmp_path / "b.toml", f"sqlite:///{tmp_path / 'b.db'}")
        env = {**os.environ, "VOICE_ROUTER_CONFIG": str(other)}
        second = subprocess.run(
            [sys.executable, "-m", "voice_router", "serve", "--port", str(first.port)],
            env=env,
            capture_output=True,
            timeout=60,
        )
        assert second.returncode != 0
        assert f"{first.port} is in use" in second.stderr.decode()
        body = generic_delivery("T1", "ann@acme.com", ["pain-export"])
        assert post_delivery(first.base, "generic", body).status_code == 202  # undisturbed
    finally:
        first.stop()
