"""A sender that died before its message's request went out left nothing that may have
arrived: the message is sent again, once, instead of being given up as possibly sent (a
stop while the sender waited on Jira for a won't-fix's reason lost the agent's digest for
good). One whose request went out is given up as before (test_digests.py). And a sender
whose message was taken back while it prepared it, by a runner that took over from its
process, sends nothing: the agent hears once; nor one whose note that it is going out the
database refused, which is tried again. Real Slack on loopback, the Jira sandbox."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from sqlmodel import Session, select
from werkzeug import Request, Response

from tests.serving import wait_until
from tests.shipping.test_close_the_loop import seed
from tests.shipping.test_digests import make_messages_due
from voice_router.closing import outbound, sending, why
from voice_router.models import Outbound
from voice_router.platform.clock import utcnow
from workers import jobs

pytestmark = pytest.mark.usefixtures("jira_openapi_check")

BOB = "bob@support.example"


class Slack:
    """A Slack webhook that answers 503 while `down`, and then takes every message."""

    def __init__(self, httpserver) -> None:  # type: ignore[no-untyped-def]
        self.down = True
        self.taken: list[str] = []
        httpserver.expect_request("/hook", method="POST").respond_with_handler(self.answer)
        self.url = httpserver.url_for("/hook")

    def answer(self, request: Request) -> Response:
        if self.down:
            return Response("busy", status=503)
        self.taken.append(json.loads(request.get_data())["text"])
        return Response("ok")

    def bobs(self) -> list[str]:
        return [text for text in self.taken if f"({BOB})" in text]


def bobs_row(loop) -> Outbound:  # type: ignore[no-untyped-def]
    with Session(loop.runtime.engine) as session:
        return session.exec(
            select(Outbound).where(Outbound.channel == "slack", Outbound.target == BOB)
        ).one()


def owed(make_loop, httpserver, resolution: str):  # type: ignore[no-untyped-def]
    """The agents' digests of a problem closed with `resolution`, left waiting by a Slack
    that was down: Slack is up again and they are due (the loop, and Slack)."""
    slack = Slack(httpserver)
    loop = make_loop(notify={"slack_webhook_url": slack.url})
    p = seed(loop)
    loop.sandbox.transition(p.jira_key, "Done", resolution=resolution)
    assert bobs_row(loop).status == "pending"
    make_messages_due(loop)
    slack.down = False
    return loop, slack


def test_a_message_whose_sender_died_before_its_request_went_out_is_sent_again(
    make_loop, httpserver, every_log_record
):
    loop, slack = owed(make_loop, httpserver, "Done")
    with Session(loop.runtime.engine) as session:  # a sender took Bob's and died preparing it
        row = session.get(Outbound, bobs_row(loop).id)
        row.status, row.request_at = "sending", None
        row.next_attempt_at = utcnow() - timedelta(hours=1)
        session.add(row)
        session.commit()
    jobs.deliver_outbound(runtime=loop.runtime)
    assert bobs_row(loop).status == "sent"
    assert len(slack.bobs()) == 1 and "Good news" in slack.bobs()[0]
    assert "outbound.resumed" in [r.msg for r in every_log_record]
    assert not [r for r in every_log_record if r.msg == "outbound.failed"]


def test_a_sender_whose_message_was_taken_back_while_it_prepared_it_sends_nothing(
    make_loop, httpserver
):
    loop, slack = owed(make_loop, httpserver, "Won't Do")
    engine, settings, bob = loop.runtime.engine, loop.runtime.settings, bobs_row(loop).id
    why._last_word.cache_clear()  # read afresh (this process read it for the first tries)
    comments = r"/rest/api/\d/issue/[^/]+/comment"
    loop.sandbox.delay_next("GET", comments, seconds=60)  # Jira holds the reason's read
    with ThreadPoolExecutor(1) as pool:
        first = pool.submit(outbound.deliver, engine, settings, bob)
        try:
            traffic = loop.sandbox.state.traffic
            wait_until(lambda: traffic.pending_faults == 0, 30, "the reason's read held")
            # The runner that takes over from this process, taking it for dead:
            assert sending.give_up_interrupted(engine, timedelta(0)) == 0  # due again
            assert outbound.deliver(engine, settings, bob) == "sent"
        finally:
            loop.sandbox.release_delayed()
        assert first.result(60) == "skipped"  # its reason read at last, it sends nothing
    assert len(slack.bobs()) == 1 and "will not be fixed" in slack.bobs()[0]
    assert bobs_row(loop).status == "sent"


REFUSE_THE_NOTE = {
    "postgresql": [
        "CREATE FUNCTION refuse_note() RETURNS trigger LANGUAGE plpgsql AS "
        "$$ BEGIN RAISE EXCEPTION 'disk full'; END $$",
        "CREATE TRIGGER refuse_note BEFORE UPDATE OF request_at ON outbound FOR EACH ROW "
        "WHEN (NEW.request_at IS NOT NULL) EXECUTE FUNCTION refuse_note()",
    ],
    "sqlite": [
        "CREATE TRIGGER refuse_note BEFORE UPDATE OF request_at ON outbound "
        "WHEN NEW.request_at IS NOT NULL BEGIN SELECT RAISE(ABORT, 'disk full'); END",
    ],
}


def test_a_message_whose_going_out_the_database_refused_is_tried_again(make_loop, httpserver):
    """The note that the request is going out failed (the database refused it): nothing
    went out, and the message waits for a retry rather than being given up."""
    loop, slack = owed(make_loop, httpserver, "Done")
    engine = loop.runtime.engine
    with engine.begin() as connection:
        for statement in REFUSE_THE_NOTE[engine.dialect.name]:
            connection.exec_driver_sql(statement)
    assert outbound.deliver(engine, loop.runtime.settings, bobs_row(loop).id) == "retry"
    row = bobs_row(loop)
    assert (row.status, row.request_at) == ("pending", None)
    assert row.last_error is not None and row.last_error.startswith("database: ")
    assert slack.bobs() == []
    on = " ON outbound" if engine.dialect.name == "postgresql" else ""
    with engine.begin() as connection:
        connection.exec_driver_sql(f"DROP TRIGGER refuse_note{on}")
    make_messages_due(loop)
    assert outbound.deliver(engine, loop.runtime.settings, bobs_row(loop).id) == "sent"
    assert len(slack.bobs()) == 1
