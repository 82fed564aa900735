"""Each agent hears once per shipped problem, naming their customers: Slack and e-mail."""

from __future__ import annotations

import json
import socket

import pytest
from aiosmtpd.controller import Controller
from sqlmodel import Session, select

from tests.shipping.test_close_the_loop import problem, seed
from voice_router.models import Outbound
from workers import jobs

pytestmark = pytest.mark.usefixtures("jira_openapi_check")


class Inbox:
    def __init__(self) -> None:
        self.messages: list[tuple[str, list[str], bytes]] = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        return "250 OK"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp():
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield controller, inbox
    controller.stop()


def slack_texts(httpserver) -> list[str]:  # type: ignore[no-untyped-def]
    """The text of every message posted to the Slack webhook on `httpserver`."""
    return [json.loads(request.get_data())["text"] for request, _ in httpserver.log]


def test_each_agent_gets_one_slack_digest_naming_their_customers(make_loop, httpserver):
    httpserver.expect_request("/hooks/T000/B000", method="POST").respond_with_data("ok")
    loop = make_loop(notify={"slack_webhook_url": httpserver.url_for("/hooks/T000/B000")})
    p = seed(loop)
    loop.sandbox.transition(p.jira_key, "Done", resolution="Done")
    texts = slack_texts(httpserver)
    assert len(texts) == 2  # bob and carol: one message each
    carol = next(t for t in texts if "Maria Lopez" in t)
    assert "Dev Patel" not in carol  # only her own customers
    assert "Still looping" in carol  # the problem in the customer's words
    assert p.jira_key in carol
    jobs.reconcile(loop.runtime, force=True)
    loop.sandbox.transition(p.jira_key, "To Do")
    loop.sandbox.transition(p.jira_key, "Done", resolution="Done")
    jobs.reconcile(loop.runtime, force=True)
    assert len(httpserver.log) == 2  # reopened and shipped again: nobody hears twice
    with Session(loop.runtime.engine) as session:
        rows = session.exec(select(Outbound.channel, Outbound.status)).all()
    assert sorted(rows) == [("slack", "sent"), ("slack", "sent")]


def test_each_agent_gets_one_email_digest(make_loop, smtp):
    controller, inbox = smtp
    loop = make_loop(
        notify={
            "smtp_url": f"smtp://127.0.0.1:{controller.port}",
            "from_addr": "voice-router@example.com",
        }
    )
    p = seed(loop)
    loop.sandbox.transition(p.jira_key, "Done", resolution="Done")
    recipients = sorted(rcpt for _, rcpts, _ in inbox.messages for rcpt in rcpts)
    assert recipients == ["bob@support.example", "carol@support.example"]
    bob = next(content for _, rcpts, content in inbox.messages if rcpts == ["bob@support.example"])
    text = bob.decode()
    assert "Dev Patel" in text and "Maria" not in text
    assert all(sender == "voice-router@example.com" for sender, _, _ in inbox.messages)


def test_wont_fix_tells_the_agents_it_will_not_be_fixed(make_loop, httpserver):
    httpserver.expect_request("/hook", method="POST").respond_with_data("ok")
    loop = make_loop(notify={"slack_webhook_url": httpserver.url_for("/hook")})
    p = seed(loop)
    loop.sandbox.transition(p.jira_key, "Done", resolution="Won't Do")
    texts = slack_texts(httpserver)
    assert len(texts) == 2
    assert all("not be fixed" in t or "won't be fixed" in t.lower() for t in texts), texts
    assert problem(loop).status == "wont_fix"


def test_slack_down_is_retried_and_sent_once(make_loop, httpserver):
    httpserver.expect_ordered_request("/hook", method="POST").respond_with_data("busy", status=503)
    httpserver.expect_ordered_request("/hook", method="POST").respond_with_data("ok")
    httpserver.expect_ordered_request("/hook", method="POST").respond_with_data("ok")
    loop = make_loop(notify={"slack_webhook_url": httpserver.url_for("/hook")})
    p = seed(loop)
    loop.sandbox.transition(p.jira_key, "Done", resolution="Done")
    with Session(loop.runtime.engine) as session:
        for row in session.exec(select(Outbound)):
            row.next_attempt_at = row.created_at
            session.add(row)
        session.commit()
    jobs.reconcile(loop.runtime, force=True)
    jobs.reconcile(loop.runtime, force=True)
    assert len(httpserver.log) == 3
    with Session(loop.runtime.engine) as session:
        assert sorted(session.exec(select(Outbound.status)).all()) == ["sent", "sent"]
