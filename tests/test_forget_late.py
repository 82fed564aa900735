"""A webhook received while `voice-router forget` runs is erased too: the person asked to be
forgotten before it came in. Forget runs as the operator runs it (a process of its own) and
is held mid-way by something it really waits for; the delivery comes in through the web app
meanwhile, and processing afterwards stubs it, unapplied (problems/forget_late.py). One
received after forget ended is new data."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from tests.support import (
    INTERCOM_ID,
    ZENDESK_ID,
    config_file,
    generic_delivery,
    intercom_chat,
    lock_waiters,
    post_signed,
    zendesk_event,
)
from tests.test_forget import dump
from voice_router.intake import processing, spool
from voice_router.problems.privacy import FORGOTTEN_BODY

EMAIL = "maria.lopez@acme-corp.com"


def maria(ticket: str) -> dict[str, Any]:
    return generic_delivery(ticket, EMAIL, ["pain-export"], name="Maria Lopez")


@pytest.fixture
def intake(settings):  # type: ignore[no-untyped-def]
    """The web app with the embedded queue (signals only: this test drains by itself)."""
    from voice_router.web import create_app
    from workers.runtime import build_runtime

    runtime = build_runtime(settings)
    yield create_app(runtime=runtime).test_client(), runtime
    runtime.engine.dispose()


def forget_process(
    tmp_path: Path, database_url: str, email: str, jira_secret: str = ""
) -> subprocess.Popen[bytes]:
    config = config_file(tmp_path, database_url, jira_secret)
    command = ["-m", "voice_router", "--config", str(config), "forget", email, "--yes"]
    return subprocess.Popen(
        [sys.executable, *command], stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )


@contextmanager
def forget_held_sqlite(
    tmp_path: Path, database_url: str, email: str, jira_secret: str = ""
) -> Iterator[subprocess.Popen[bytes]]:
    """Forget holding SQLite's write lock: it reads the files in `corrupt/` once it holds it,
    and one of them is a pipe nobody has written to yet."""
    directory = spool.directory_of(database_url.removeprefix("sqlite:///"))
    assert directory is not None
    (directory / spool.CORRUPT).mkdir(parents=True)
    pipe = directory / spool.CORRUPT / "00000000000000000000-pipe.json"
    os.mkfifo(pipe)
    eraser = forget_process(tmp_path, database_url, email, jira_secret)
    deadline = time.monotonic() + 60
    while True:  # until forget opened the pipe to read it, holding the lock
        try:
            writer = os.open(pipe, os.O_WRONLY | os.O_NONBLOCK)
            break
        except OSError:  # ENXIO: no reader yet
            assert eraser.poll() is None, eraser.communicate()[1]
            assert time.monotonic() < deadline, "forget never read the spool's corrupt files"
            time.sleep(0.05)
    yield eraser
    os.write(writer, b"not a spool file")
    os.close(writer)
    assert eraser.wait(60) == 0, eraser.communicate()[1]


@contextmanager
def forget_held_postgres(
    tmp_path: Path, database_url: str, engine: Any, email: str, jira_secret: str = ""
) -> Iterator[subprocess.Popen[bytes]]:
    """Forget in its transaction, having read the deliveries: it waits to stub her first one,
    which a batch of another worker holds."""
    outside = sa.create_engine(engine.url)
    try:
        with outside.connect() as batch:
            batch.execute(sa.text("SELECT id FROM delivery FOR UPDATE"))
            eraser = forget_process(tmp_path, database_url, email, jira_secret)
            deadline = time.monotonic() + 60
            while not lock_waiters(batch, "UPDATE delivery%"):  # until forget waits for it
                assert eraser.poll() is None, eraser.communicate()[1]
                assert time.monotonic() < deadline, "forget never waited for the held delivery"
                time.sleep(0.05)
            yield eraser
            batch.commit()
        assert eraser.wait(60) == 0, eraser.communicate()[1]
    finally:
        outside.dispose()


def forget_held(
    tmp_path: Path, database_url: str, engine: Any, email: str, jira_secret: str = ""
) -> AbstractContextManager[subprocess.Popen[bytes]]:
    """`forget email` running in a process of its own, held mid-way by a real wait (its
    configuration takes Jira's webhooks when `jira_secret` is given)."""
    if database_url.startswith("sqlite"):
        return forget_held_sqlite(tmp_path, database_url, email, jira_secret)
    return forget_held_postgres(tmp_path, database_url, engine, email, jira_secret)


def test_a_delivery_received_while_forget_runs_is_erased_and_one_after_it_is_kept(
    tmp_path, settings, intake, database_url
):
    client, runtime = intake
    assert post_signed(client, "generic", maria("M-1")).status_code == 202
    processing.drain(runtime.engine, runtime.settings)
    with forget_held(tmp_path, database_url, runtime.engine, EMAIL):
        # SQLite: it waits for the write lock, then goes to the spool, answered all the same.
        answer = post_signed(client, "generic", maria("M-2"))
        assert answer.status_code == 202
        assert answer.get_json().get("spooled", False) is database_url.startswith("sqlite")
    processing.drain(runtime.engine, runtime.settings)
    with runtime.engine.connect() as connection:
        rows = connection.execute(sa.text("SELECT body, status FROM delivery ORDER BY id")).all()
        customers = connection.execute(sa.text("SELECT count(*) FROM customer")).scalar_one()
    assert [(bytes(body), status) for body, status in rows] == [
        (FORGOTTEN_BODY, "processed"),  # M-1, erased by forget
        (FORGOTTEN_BODY, "forgotten"),  # M-2, erased as it reached processing
    ]
    assert customers == 1  # her tombstone; nobody made again from M-2
    assert EMAIL.encode() not in dump(runtime.engine)
    # Once forget has ended, she is a new customer like anyone writing in.
    assert post_signed(client, "generic", maria("M-3")).status_code == 202
    assert processing.drain(runtime.engine, runtime.settings).processed == 1
    assert EMAIL.encode() in dump(runtime.engine)


@pytest.mark.slow
def test_a_delivery_naming_her_by_a_helpdesk_id_alone_received_while_forget_runs_is_erased(
    tmp_path, settings, intake, database_url
):
    """Zendesk's event webhooks name the requester by id, and Intercom's contacts carry ids
    only. Before, forget's audit named addresses only: such an Intercom delivery received
    while forget ran was processed after it, and her words were back under a new customer
    holding her Intercom id; a Zendesk one (no event without the requester's address) was
    kept whole, her words in it, as was one stored before forget."""
    client, runtime = intake
    for kind, body in (
        ("zendesk", zendesk_event("Z-1", "Export drops the totals", EMAIL)),
        ("intercom", intercom_chat("501", "Exports time out", EMAIL)),
        ("zendesk", zendesk_event("Z-0", "Maria's payroll export is empty")),
    ):
        assert post_signed(client, kind, body).status_code == 202
    processing.drain(runtime.engine, runtime.settings)
    with forget_held(tmp_path, database_url, runtime.engine, EMAIL):
        for kind, body in (
            ("zendesk", zendesk_event("Z-2", "Maria's payroll file vanished")),
            ("intercom", intercom_chat("502", "Maria's second payroll run failed")),
        ):
            assert post_signed(client, kind, body).status_code == 202
    processing.drain(runtime.engine, runtime.settings)
    with runtime.engine.connect() as connection:
        rows = connection.execute(sa.text("SELECT body, status FROM delivery ORDER BY id")).all()
        customers = connection.execute(sa.text("SELECT email, name FROM customer")).all()
        identities = connection.execute(sa.text("SELECT count(*) FROM customeridentity"))
        identities_left = identities.scalar_one()
    assert [(bytes(body), status) for body, status in rows] == [
        (FORGOTTEN_BODY, "processed"),
        (FORGOTTEN_BODY, "processed"),
        (FORGOTTEN_BODY, "processed"),  # Z-0, by her Zendesk id alone
        (FORGOTTEN_BODY, "forgotten"),  # Z-2, erased as it reached processing
        (FORGOTTEN_BODY, "forgotten"),  # 502 too
    ]
    assert [tuple(row) for row in customers] == [(None, None)]  # nobody made again
    assert identities_left == 0
    everything = dump(runtime.engine)
    for needle in (b"payroll", EMAIL.encode(), ZENDESK_ID.encode(), INTERCOM_ID.encode()):
        assert needle not in everything, needle  # the audit keeps the ids hashed only
    # Once forget has ended, a delivery naming her helpdesk id is new data, as any.
    assert post_signed(client, "zendesk", zendesk_event("Z-3", "New words")).status_code == 202
    assert processing.drain(runtime.engine, runtime.settings).processed == 1
