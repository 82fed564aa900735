"""Who is told when the fix ships: one agent per customer, a note on each of their tickets that
names them, nobody asked about a customer who was forgotten, and a draft that fits when the
customer reported the problem (before or after the fix)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from pytest_httpserver import HTTPServer
from sqlmodel import Session, select

from tests.shipping.test_close_the_loop import notify_list, problem
from tests.shipping.test_digests import make_messages_due
from tests.support import post_signed, zendesk_login_loop, zendesk_writeback
from voice_router.models import Outbound
from voice_router.problems.privacy import forget
from voice_router.tracker.reconcile import reconcile

pytestmark = pytest.mark.usefixtures("jira_openapi_check")

NOTE_ANSWER = {"audit": {"events": [{"type": "Comment", "id": 77}]}}


def desk_and_slack(make_loop, httpserver: HTTPServer):
    """A service writing notes back to a Zendesk on `httpserver`, digests to its Slack hook."""
    httpserver.expect_request("/hook", method="POST").respond_with_data("ok")
    return make_loop(
        sources=zendesk_writeback(httpserver.url_for("").rstrip("/")),
        notify={"slack_webhook_url": httpserver.url_for("/hook")},
    )


def zendesk(loop, ticket, email, name, agent, subject="Login loop", at="2026-11-20T10:00:00Z"):
    body = zendesk_login_loop(
        id=ticket,
        title=subject,
        updated_at=at,
        requester={"email": email, "name": name, "id": f"r-{ticket}"},
        assignee={"email": f"{agent.lower()}@support.example", "name": agent},
    )
    assert post_signed(loop.client, "zendesk", body).status_code == 202


def slack_texts(httpserver: HTTPServer) -> list[str]:
    return [json.loads(r.get_data())["text"] for r, _ in httpserver.log if r.path == "/hook"]


def notes(httpserver: HTTPServer) -> dict[str, str]:
    """Ticket id -> the internal note posted on it."""
    return {
        request.path.rsplit("/", 1)[1].removesuffix(".json"): json.loads(request.get_data())[
            "ticket"
        ]["comment"]["body"]
        for request, _ in httpserver.log
        if request.path.startswith("/api/v2/tickets/")
    }


def test_a_customer_forgotten_before_the_ship_is_not_told_about(make_loop, httpserver):
    for ticket in ("2001", "2003"):
        httpserver.expect_request(f"/api/v2/tickets/{ticket}.json", method="PUT").respond_with_json(
            NOTE_ANSWER
        )
    loop = desk_and_slack(make_loop, httpserver)
    zendesk(loop, "2001", "maria@acme-corp.com", "Maria Lopez", "Alice")
    zendesk(loop, "2003", "erin@initech.example", "Erin Gold", "Alice", "Erin cannot log in")
    zendesk(loop, "2004", "erin@initech.example", "Erin Gold", "Bob", "Still cannot log in")
    forget(loop.runtime.engine, "erin@initech.example", "test")
    p = problem(loop)
    assert (p.customers, p.tickets) == (2, 3)  # she still counts

    loop.sandbox.transition(p.jira_key, "Done", resolution="Done")

    listed = notify_list(loop, p.id)["recipients"]
    assert [(r["customer_name"], r["ticket_id"]) for r in listed] == [("Maria Lopez", "2001")]
    assert list(notes(httpserver)) == ["2001"]  # nothing new written on Erin's tickets
    [digest] = slack_texts(httpserver)  # Alice's; Bob had only Erin, and hears nothing
    assert "For Alice" in digest and "Maria Lopez" in digest
    assert "initech" not in digest and "**" not in digest
    with Session(loop.runtime.engine) as session:
        planned = session.exec(select(Outbound.channel, Outbound.target)).all()
    assert sorted(planned) == [("slack", "alice@support.example"), ("writeback", "zendesk:2001")]


def test_a_note_owed_on_a_ticket_of_someone_forgotten_since_is_never_sent(make_loop, httpserver):
    httpserver.expect_request("/api/v2/tickets/2001.json", method="PUT").respond_with_json(
        NOTE_ANSWER
    )
    httpserver.expect_request("/api/v2/tickets/2003.json", method="PUT").respond_with_data(
        "busy", status=503
    )
    loop = desk_and_slack(make_loop, httpserver)
    zendesk(loop, "2001", "maria@acme-corp.com", "Maria Lopez", "Alice")
    zendesk(loop, "2003", "erin@initech.example", "Erin Gold", "Alice", "Erin cannot log in")
    p = problem(loop)
    loop.sandbox.transition(p.jira_key, "Done", resolution="Done")  # 2003's note waits
    forget(loop.runtime.engine, "erin@initech.example", "test")
    make_messages_due(loop)
    reconcile(loop.runtime.engine, loop.runtime.settings)

    tried = [r.path for r, _ in httpserver.log if r.path.endswith("2003.json")]
    assert len(tried) == 1  # the first try only
    with Session(loop.runtime.engine) as session:
        row = session.exec(select(Outbound).where(Outbound.target == "zendesk:2003")).one()
    assert row.status == "cancelled"


def test_each_ticket_names_its_customer_and_one_agent_gets_back_to_them(make_loop, httpserver):
    for ticket in ("2001", "2002", "2005"):
        httpserver.expect_request(f"/api/v2/tickets/{ticket}.json", method="PUT").respond_with_json(
            NOTE_ANSWER
        )
    loop = desk_and_slack(make_loop, httpserver)
    zendesk(loop, "2001", "maria@acme-corp.com", "Maria Lopez", "Alice", "Login loop")
    zendesk(loop, "2002", "tom@acme-corp.com", "Tom Reed", "Bob", "SSO bounces me")
    later = "2026-11-22T10:00:00Z"
    zendesk(loop, "2005", "maria@acme-corp.com", "Maria Lopez", "Carol", "Still looping", later)
    p = problem(loop)

    loop.sandbox.transition(p.jira_key, "Done", resolution="Done")

    written = notes(httpserver)
    assert sorted(written) == ["2001", "2002", "2005"]
    older = written["2001"]  # Alice's ticket: Maria, her words there, and who writes to her
    assert older.startswith(
        'Fixed for Maria Lopez at acme-corp.com: "Login loop", as they reported on this ticket.'
    )
    assert "zendesk #2005, handled by Carol" in older and "nothing to send" in older
    assert "Let them know" not in older
    assert written["2005"].startswith(
        'Fixed for Maria Lopez at acme-corp.com: "Still looping", as they reported on this '
        "ticket. Let them know, in your own words.\n"
    )
    assert written["2002"].startswith(
        'Fixed for Tom Reed at acme-corp.com: "SSO bounces me", as they reported on this ticket.'
    )
    digests = slack_texts(httpserver)  # Carol and Bob; Alice is not asked to write to Maria
    assert sorted(d.split(":", 1)[0] for d in digests) == [
        "*For Bob (bob@support.example)",
        "*For Carol (carol@support.example)",
    ]


def test_drafts_greet_by_a_usable_name_and_thank_a_customer_who_reported_after_the_fix(
    make_loop,
):
    loop = make_loop()
    zendesk(loop, "2001", "maria@acme-corp.com", "Dr. Maria Lopez", "Alice")
    zendesk(loop, "2002", "tom@acme-corp.com", "Reed, Tom", "Alice")
    p = problem(loop)
    loop.sandbox.transition(p.jira_key, "Done", resolution="Done")
    after = (datetime.now(UTC) + timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M:%SZ")
    zendesk(loop, "2005", "nina@umbrella.example", "Nina Park", "Bob", "It is back!", after)
    assert problem(loop).status == "regressed"

    drafts = {r["customer_email"]: r["draft"] for r in notify_list(loop, p.id)["recipients"]}

    assert drafts["maria@acme-corp.com"].startswith("Hi Maria,\n")
    assert drafts["tom@acme-corp.com"].startswith("Hi Tom,\n")
    assert "it has come back" in drafts["tom@acme-corp.com"]  # told it was fixed: warned
    nina = drafts["nina@umbrella.example"]
    assert nina.startswith("Hi Nina,\n\nThank you for letting us know: “It is back!”.")
    assert "A while ago" not in nina and "surprised" not in nina
    assert "looking at it again" in nina and nina.rstrip().endswith("Bob")
