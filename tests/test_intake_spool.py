"""SQLite: a webhook never waits on whoever holds the database's write lock. Past
`store.SPOOL_AFTER_SECONDS` its delivery goes to the spool beside the database and is
answered 202; processing takes the spool in once the lock is free, each delivery once
(voice_router/intake/spool.py, voice_router/intake/processing/spooled.py)."""

from __future__ import annotations

import json
import logging
import os
import shutil
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from tests.serving import post_delivery, serve, wait_until, write_config
from tests.support import generic_delivery, post_signed, spooled_row
from voice_router.intake import processing, spool
from voice_router.intake.statements import MAX_GROUP
from voice_router.platform.db import make_engine, session_scope
from workers.embedded import JobRunner
from workers.runtime import build_runtime

SQLITE_ONLY = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
MOMENT = datetime(2026, 12, 6, 12, 0, 0, 123456, tzinfo=UTC)
# store.SPOOL_AFTER_SECONDS (2 s), and room for a loaded machine; a helpdesk waits 10 s
ANSWERED_WITHIN = 5.0


def database_path(database_url: str) -> Path:
    return Path(database_url.removeprefix("sqlite:///"))


@contextmanager
def held_from_outside(path: Path) -> Iterator[None]:
    """A connection that is not voice-router's (the sqlite3 shell, a backup tool) holds the
    file's write lock until the block ends. Taking the lock waits for serve's runner, whose
    start-up sweeps may hold it for a moment when the block begins."""
    outside = sqlite3.connect(path, isolation_level=None, timeout=30)
    try:
        outside.execute("BEGIN IMMEDIATE")
        yield
        outside.execute("ROLLBACK")
    finally:
        outside.close()


def count(database_url: str, sql: str) -> Any:
    engine = make_engine(database_url)
    try:
        with engine.connect() as connection:
            return connection.execute(sa.text(sql)).scalar()
    finally:
        engine.dispose()


def spool_files(database_url: str) -> list[Path]:
    directory = spool.directory_of(str(database_path(database_url)))
    assert directory is not None
    return spool.waiting(directory)


def timed_post(post: Any) -> tuple[Any, float]:
    started = time.monotonic()
    answer = post()
    return answer, time.monotonic() - started


@pytest.mark.slow
def test_serve_answers_webhooks_while_an_outside_connection_holds_the_lock(
    tmp_path, sqlite_template
):
    """An 8 s hold from outside: each webhook is answered within the bound, and once the
    lock is free serve's runner processes them, the delivery sent twice once."""
    database = tmp_path / "vr.db"
    shutil.copy(sqlite_template, database)
    url = f"sqlite:///{database}"
    config = write_config(tmp_path / "vr.toml", url)
    web = serve(config, tmp_path / "serve.log").start()
    first = generic_delivery("T1", "ann@acme.com", ["pain-export"], delivery_id="dlv-1")
    second = generic_delivery("T2", "bob@globex.com", ["pain-export"], delivery_id="dlv-2")
    try:
        answers = []
        with held_from_outside(database):
            hold_started = time.monotonic()
            for body in (first, second, first):  # the first twice: a helpdesk's retry
                answers.append(timed_post(lambda b=body: post_delivery(web.base, "generic", b)))
            time.sleep(max(0.0, 8.0 - (time.monotonic() - hold_started)))
            assert count(url, "SELECT count(*) FROM delivery") == 0  # nothing got through
            assert len(spool_files(url)) == 3
        for answer, took in answers:
            assert answer.status_code == 202, answer.text
            assert answer.json() == {"delivery_id": None, "duplicate": False, "spooled": True}
            assert took < ANSWERED_WITHIN, f"answered after {took:.1f} s"
        tickets = "SELECT count(*) FROM painpoint"
        wait_until(lambda: count(url, tickets) == 2, 60, "both pain points")
        assert count(url, "SELECT count(*) FROM delivery") == 2
        assert count(url, "SELECT count(*) FROM delivery WHERE status = 'processed'") == 2
        assert count(url, "SELECT customers FROM problem WHERE key = 'export'") == 2
        assert spool_files(url) == []
        # the lock free again: the normal path, a stored delivery and its id
        again = post_delivery(web.base, "generic", first)
        assert again.status_code == 202 and again.json()["duplicate"] is True
    finally:
        web.stop()


@pytest.fixture
def intake(settings):  # type: ignore[no-untyped-def]
    """The web app with the embedded queue (signals only: nothing is processed here)."""
    from voice_router.web import create_app

    runtime = build_runtime(settings)
    yield create_app(runtime=runtime).test_client(), runtime
    runtime.engine.dispose()


@SQLITE_ONLY
def test_a_delivery_waits_on_our_own_long_writer_no_longer_than_the_bound(intake, database_url):
    """A long unit of work of this service (`forget`, `recompute --fix`) holds the write
    lock's queue: the webhook is spooled, and the next drain takes it in."""
    client, runtime = intake
    body = generic_delivery("T1", "ann@acme.com", ["pain-export"])
    release = threading.Event()
    started = threading.Event()

    def long_writer() -> None:
        with session_scope(runtime.engine) as session:
            session.execute(sa.text("SELECT 1"))  # BEGIN IMMEDIATE: the lock is held
            started.set()
            release.wait(30)

    writer = threading.Thread(target=long_writer, daemon=True)
    writer.start()
    try:
        assert started.wait(10)
        answer, took = timed_post(lambda: post_signed(client, "generic", body))
        assert answer.status_code == 202 and answer.get_json()["spooled"] is True
        assert took < ANSWERED_WITHIN
    finally:
        release.set()
        writer.join(10)
    assert len(spool_files(database_url)) == 1
    result = processing.drain(runtime.engine, runtime.settings)
    assert result.processed == 1
    assert spool_files(database_url) == []
    assert count(database_url, "SELECT count(*) FROM painpoint") == 1


@SQLITE_ONLY
def test_a_spool_left_by_a_crashed_process_is_taken_in_once_and_a_corrupt_file_set_aside(
    intake, database_url, every_log_record
):
    """Files present when the runner starts: each delivery stored and processed once (one
    file's delivery got stored already, as after a crash between commit and removal), a
    corrupt file moved to `corrupt/` and logged, a half-written temporary one removed."""
    client, runtime = intake
    path = database_path(database_url)
    stored = generic_delivery("T1", "ann@acme.com", ["pain-export"], delivery_id="dlv-1")
    with held_from_outside(path):  # spooled by this process, which then "crashes"
        for body in (stored, generic_delivery("T2", "bob@globex.com", ["pain-export"])):
            assert post_signed(client, "generic", body).get_json()["spooled"] is True
    left = spool_files(database_url)
    assert len(left) == 2
    kept = left[0].read_bytes()  # the file of dlv-1, as it was before it was taken in
    assert b"dlv-1" in kept
    assert processing.drain(runtime.engine, runtime.settings).processed == 2
    left[0].write_bytes(kept)  # a crash after its commit, before its removal
    directory = left[0].parent
    corrupt = directory / "00000000000000000001-broken.json"
    corrupt.write_bytes(kept[: len(kept) // 2])  # cut short
    temporary = directory / ".00000000000000000002-dead.tmp"
    temporary.write_bytes(b"{")
    old = time.time() - spool.STALE_TEMP_SECONDS - 60
    os.utime(temporary, (old, old))
    runner = JobRunner(runtime, poll=0.1).start()
    try:
        wait_until(lambda: spool_files(database_url) == [], 30, "the spool taken in")
        assert runner.settle(30)
    finally:
        runner.stop()
    assert count(database_url, "SELECT count(*) FROM delivery") == 2
    assert count(database_url, "SELECT count(*) FROM painpoint") == 2
    assert count(database_url, "SELECT customers FROM problem WHERE key = 'export'") == 2
    assert not corrupt.exists() and (directory / "corrupt" / corrupt.name).exists()
    assert not temporary.exists()
    logged = [r for r in every_log_record if r.getMessage() == "intake.spool_corrupt"]
    assert [r.levelno for r in logged] == [logging.ERROR]
    assert logged[0].file == corrupt.name  # type: ignore[attr-defined]


@SQLITE_ONLY
def test_a_spool_file_of_more_rows_than_one_insert_takes_is_taken_in_each_delivery_once(
    intake, database_url
):
    """A file with more rows than one INSERT binds (statements.MAX_GROUP), one delivery twice
    in it and one stored already: each delivery stored, processed and counted once."""
    client, runtime = intake
    people = [
        generic_delivery(f"T{i}", f"p{i}@acme.com", ["pain-export"], delivery_id=f"dlv-{i}")
        for i in range(MAX_GROUP + 40)
    ]
    assert post_signed(client, "generic", people[0]).get_json()["duplicate"] is False
    directory = spool.directory_of(str(database_path(database_url)))
    assert directory is not None
    spool.write(directory, [spooled_row(d) for d in [*people, people[7]]])
    assert processing.drain(runtime.engine, runtime.settings).processed == len(people)
    assert spool_files(database_url) == []
    assert count(database_url, "SELECT count(*) FROM delivery") == len(people)
    assert count(database_url, "SELECT count(*) FROM painpoint") == len(people)
    assert count(database_url, "SELECT customers FROM problem WHERE key = 'export'") == len(people)


def test_a_spool_file_holds_the_row_the_table_would_get(tmp_path):
    row = {
        "source": "generic",
        "kind": "generic",
        "delivery_key": "k",
        "headers": json.dumps({"x-é": "ü"}),
        "body": b"\x00{\xff}",
        "status": "invalid",
        "attempts": 0,
        "last_error": "bad ☃",
        "received_at": MOMENT,
        "next_attempt_at": MOMENT,
    }
    written = spool.write(tmp_path / "db.spool", [row])
    assert written.stat().st_mode & 0o777 == 0o600
    assert spool.read(written) == [row]
    with pytest.raises(spool.Corrupt):
        spool.read(_rewritten(written, lambda rows: rows[0].pop("body")))
    with pytest.raises(spool.Corrupt):
        spool.read(_rewritten(written, lambda rows: rows[0].update(attempts="0")))


def _rewritten(path: Path, change: Any) -> Path:
    document = json.loads(path.read_bytes())
    change(document["rows"])
    path.write_text(json.dumps(document))
    return path


def spool_seen(client: Any) -> tuple[dict[str, float], dict[str, Any]]:
    """The spool's gauges on /metrics, and /readyz's answer."""
    from prometheus_client.parser import text_string_to_metric_families

    gauges = {}
    for family in text_string_to_metric_families(client.get("/metrics").get_data(as_text=True)):
        for sample in family.samples:
            if sample.name.startswith("voice_router_spool_"):
                state = sample.labels.get("state")
                gauges[sample.name + (f"/{state}" if state else "")] = sample.value
    return gauges, client.get("/readyz").get_json()


@SQLITE_ONLY
def test_an_operator_sees_a_waiting_spool_and_corrupt_files_on_metrics_and_readyz(
    intake, database_url
):
    """Deliveries answered 202 but not in the table yet, and files set aside as corrupt,
    show as gauges and in /readyz's answer (while there are any); neither makes the service
    unready."""
    client, runtime = intake
    gauges, ready = spool_seen(client)
    assert gauges == {
        "voice_router_spool_files/waiting": 0,
        "voice_router_spool_files/corrupt": 0,
        "voice_router_spool_oldest_seconds": 0,
    }
    assert "spool" not in ready  # nothing to tell
    with held_from_outside(database_path(database_url)):
        body = generic_delivery("T1", "ann@acme.com", ["pain-export"])
        assert post_signed(client, "generic", body).get_json()["spooled"] is True
        (spool_files(database_url)[0].parent / "00000000000000000001-cut.json").write_text("{")
        time.sleep(0.1)
        gauges, ready = spool_seen(client)
    assert gauges["voice_router_spool_files/waiting"] == 2
    assert gauges["voice_router_spool_oldest_seconds"] >= 0.1
    assert ready["spool"]["waiting"] == 2 and ready["ready"] is True
    processing.drain(runtime.engine, runtime.settings)
    gauges, ready = spool_seen(client)
    assert gauges["voice_router_spool_files/waiting"] == 0
    assert gauges["voice_router_spool_files/corrupt"] == 1
    assert gauges["voice_router_spool_oldest_seconds"] == 0
    assert ready["spool"] == {"waiting": 0, "oldest_seconds": 0, "corrupt": 1}
    assert ready["ready"] is True
