"""Two senders that reach for the same owed message at the same moment (two workers' message
lanes, or a lane and an operator's command): one of them sends it, the other finds it taken.
On both databases, so PostgreSQL's READ COMMITTED is held to it as SQLite's write lock is."""

from __future__ import annotations

import collections
import re
import threading
from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlmodel import Session, select

from tests.shipping.test_close_the_loop import problem
from tests.support import ZENDESK_ASSIGNED, post_signed, zendesk_login_loop, zendesk_writeback
from voice_router.closing import outbound
from voice_router.models import Outbound
from voice_router.platform.clock import utcnow

pytestmark = pytest.mark.usefixtures("jira_openapi_check")

TICKETS = [str(3000 + n) for n in range(20)]
NOTE = re.compile(r"/api/v2/tickets/[0-9]+\.json")


def report_tickets(loop) -> None:  # type: ignore[no-untyped-def]
    for ticket in TICKETS:
        requester = {
            "email": f"c{ticket}@acme-corp.com",
            "name": f"Customer {ticket}",
            "id": ticket,
        }
        body = zendesk_login_loop(**ZENDESK_ASSIGNED, id=ticket, requester=requester)
        assert post_signed(loop.client, "zendesk", body).status_code == 202


def test_two_senders_claiming_one_note_at_once_send_it_once(make_loop, httpserver):
    httpserver.expect_request(NOTE).respond_with_data("down", 503)  # when it ships: all wait
    loop = make_loop(sources=zendesk_writeback(httpserver.url_for("").rstrip("/")))
    report_tickets(loop)
    loop.sandbox.transition(problem(loop).jira_key, "Done", resolution="Done")
    with loop.runtime.engine.begin() as connection:
        connection.execute(sa.update(Outbound).values(next_attempt_at=utcnow() - timedelta(1)))
    with Session(loop.runtime.engine) as session:
        ids = session.exec(select(Outbound.id).where(Outbound.status == "pending")).all()
    assert len(ids) == len(TICKETS)
    httpserver.clear()
    httpserver.expect_request(NOTE).respond_with_json({"audit": {"events": [{"type": "Comment"}]}})

    outcomes: list[str] = []
    for outbound_id in ids:
        together = threading.Barrier(2)

        def send(row: int = outbound_id, barrier: threading.Barrier = together) -> None:
            barrier.wait()
            outcomes.append(outbound.deliver(loop.runtime.engine, loop.runtime.settings, row))

        senders = [threading.Thread(target=send) for _ in range(2)]
        for sender in senders:
            sender.start()
        for sender in senders:
            sender.join(30)

    notes = collections.Counter(request.path for request, _ in httpserver.log)
    assert sorted(notes.values()) == [1] * len(TICKETS), notes  # every ticket noted once
    assert sorted(collections.Counter(outcomes).items()) == [("sent", 20), ("skipped", 20)]
    with Session(loop.runtime.engine) as session:
        rows = session.exec(select(Outbound.status, Outbound.attempts)).all()
    assert set(rows) == {("sent", 2)}
