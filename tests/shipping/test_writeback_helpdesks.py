"""Write-back through the whole loop, the way real helpdesk accounts behave: a Help Scout app
whose tokens voice-router fetches itself, conversations merged before the fix shipped (the
note lands on the surviving one, which the notify list then shows), and every HTTP session
a note opens closed again."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
import requests
from pytest_httpserver import HTTPServer
from sqlmodel import Session, select

from tests.shipping.test_close_the_loop import notify_list, problem
from tests.support import post_signed, zendesk_login_loop
from voice_router.closing.notify import moved_ticket, writeback_result
from voice_router.models import Outbound

pytestmark = pytest.mark.usefixtures("jira_openapi_check")

SAMPLES = Path(__file__).parents[2] / "voice_router" / "samples"
APP_ID, APP_SECRET = "hs-app-2f9e", "hs-app-secret-77c1d0b4a2"
WRITEBACK_MODULES = {"integrations.http_exchange"}  # where every client makes its session


def report_sample(loop, kind: str) -> None:
    sample = json.loads((SAMPLES / kind / "01_sso_login_loop.json").read_text())
    response = post_signed(loop.client, kind, sample["body"], headers=sample["headers"])
    assert response.status_code == 202


def ship(loop) -> int:
    shipped = problem(loop, "sso-login-loop")
    loop.sandbox.transition(shipped.jira_key, "Done", resolution="Done")
    return shipped.id


def outbound_rows(loop) -> list[Outbound]:
    with Session(loop.runtime.engine) as session:
        return list(session.exec(select(Outbound).where(Outbound.channel == "writeback")))


def test_a_help_scout_app_writes_back_with_tokens_it_fetches_and_never_logs(
    make_loop, httpserver: HTTPServer, every_log_record: list
) -> None:
    issued = "hs-access-token-6b0f3e19"
    httpserver.expect_ordered_request("/v2/oauth2/token", method="POST").respond_with_json(
        {"token_type": "bearer", "access_token": issued, "expires_in": 172800}
    )
    httpserver.expect_ordered_request(
        "/v2/conversations/1001/notes",
        method="POST",
        headers={"Authorization": f"Bearer {issued}"},
    ).respond_with_data("", status=201, headers={"Resource-ID": "9001"})
    base = httpserver.url_for("").rstrip("/")
    helpscout = {"api_base": base, "app_id": APP_ID, "app_secret": APP_SECRET, "writeback": True}
    loop = make_loop(sources={"helpscout": helpscout})

    report_sample(loop, "helpscout")
    ship(loop)

    httpserver.check_assertions()
    [row] = outbound_rows(loop)
    assert (row.status, row.result_id) == ("sent", "9001")
    for record in every_log_record:
        text = record.getMessage() + repr(record.__dict__)
        assert APP_SECRET not in text and issued not in text, record.name


def test_a_merged_front_conversation_gets_the_note_and_the_notify_list_shows_the_survivor(
    make_loop, httpserver: HTTPServer
) -> None:
    httpserver.expect_ordered_request(
        "/conversations/cnv_5001/comments", method="POST"
    ).respond_with_data("", status=301, headers={"Location": "/conversations/cnv_7xq2/comments"})
    httpserver.expect_ordered_request(
        "/conversations/cnv_7xq2/comments", method="POST"
    ).respond_with_json({"id": "com_4k1", "body": "..."}, status=201)
    front = {"api_base": httpserver.url_for("").rstrip("/"), "api_token": "fr-tok"}
    loop = make_loop(sources={"front": {**front, "writeback": True}})
    report_sample(loop, "front")
    problem_id = ship(loop)

    httpserver.check_assertions()
    [row] = outbound_rows(loop)
    assert (row.status, row.target) == ("sent", "front:cnv_5001")
    [sam] = notify_list(loop, problem_id)["recipients"]
    assert (sam["source"], sam["ticket_id"]) == ("front", "cnv_7xq2")
    assert sam["ticket_url"] == "https://app.frontapp.com/open/cnv_7xq2"
    assert sam["customer_email"] == "sam.okafor@gmail.com"


def test_a_merged_help_scout_conversation_is_looked_up_and_the_notify_list_shows_it(
    make_loop, httpserver: HTTPServer
) -> None:
    httpserver.expect_ordered_request(
        "/v2/conversations/1001/notes", method="POST"
    ).respond_with_json({"message": "Not found"}, status=404)
    httpserver.expect_ordered_request("/v2/conversations/1001", method="GET").respond_with_data(
        "", status=301, headers={"Location": "/v2/conversations/1777"}
    )
    httpserver.expect_ordered_request("/v2/conversations/1777", method="GET").respond_with_json(
        {"id": 1777, "number": 4190}
    )
    httpserver.expect_ordered_request(
        "/v2/conversations/1777/notes", method="POST"
    ).respond_with_data("", status=201, headers={"Resource-ID": "61"})
    helpscout = {"api_base": httpserver.url_for("").rstrip("/"), "api_token": "hs-static"}
    loop = make_loop(sources={"helpscout": {**helpscout, "writeback": True}})
    report_sample(loop, "helpscout")
    problem_id = ship(loop)

    httpserver.check_assertions()
    [row] = outbound_rows(loop)
    assert row.status == "sent"
    [maria] = notify_list(loop, problem_id)["recipients"]
    assert maria["ticket_id"] == "1777"
    assert maria["ticket_url"] == "https://secure.helpscout.net/conversation/1777/4190"


def test_every_session_a_note_opens_is_closed(
    make_loop, httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Outbound makes a write-back client per note; Help Scout's token source one session per
    token request. (Jira's client is cached for the process and is not counted.)"""
    opened: list[requests.Session] = []
    closed: list[requests.Session] = []

    class Tracked(requests.Session):
        def __init__(self) -> None:
            super().__init__()
            if sys._getframe(1).f_globals["__name__"] in WRITEBACK_MODULES:
                opened.append(self)

        def close(self) -> None:
            closed.append(self)
            super().close()

    monkeypatch.setattr(requests, "Session", Tracked)
    httpserver.expect_request("/v2/oauth2/token", method="POST").respond_with_json(
        {"access_token": "hs-t", "expires_in": 172800}
    )
    httpserver.expect_request("/v2/conversations/1001/notes", method="POST").respond_with_data(
        "", status=201
    )
    httpserver.expect_request("/me", method="GET").respond_with_json({"type": "admin", "id": "9"})
    httpserver.expect_request("/conversations/3001/reply", method="POST").respond_with_json({})
    base = httpserver.url_for("").rstrip("/")
    loop = make_loop(
        sources={
            "helpscout": {
                "api_base": base,
                "app_id": APP_ID,
                "app_secret": APP_SECRET,
                "writeback": True,
            },
            "intercom": {"api_base": base, "api_token": "ic-tok", "writeback": True},
        }
    )
    report_sample(loop, "helpscout")
    report_sample(loop, "intercom")
    opened.clear()
    ship(loop)

    assert [row.status for row in outbound_rows(loop)] == ["sent", "sent"]
    assert len(opened) == 3  # one token request, one client per note
    assert [session for session in opened if session in closed] == opened


def test_the_recorded_result_names_the_surviving_ticket_and_fits_its_column() -> None:
    plain = writeback_result("com_1")
    moved = writeback_result("com_1", "cnv_9", "https://app.frontapp.com/open/cnv_9")
    long_url = writeback_result("61", "1777", "https://secure.helpscout.net/" + "x" * 300)

    assert (plain, moved_ticket(plain)) == ("com_1", None)
    assert moved_ticket(moved) == ("cnv_9", "https://app.frontapp.com/open/cnv_9")
    assert long_url is not None and len(long_url) <= 200
    assert moved_ticket(long_url) == ("1777", None)
    assert writeback_result(None) is None and moved_ticket(None) is None


# A customer's name and subject as a hostile sender would write them: Markdown links and an
# image, HTML, a line of its own, a character that turns the rest of the line around.
HOSTILE_NAME = (
    "Sam [verify](https://evil.example/phish) ![x](https://evil.example/p.gif) Okafor"
    "\r\nvoice-router: refund this customer"
)
HOSTILE_SUBJECT = "Login <b>loop</b> [click](https://evil.example/) *now* \u202eevil\u202c\u200b"


def hostile_front_sample() -> tuple[dict, dict]:
    sample = json.loads((SAMPLES / "front" / "01_sso_login_loop.json").read_text())
    body = sample["body"]
    body["conversation"]["subject"] = HOSTILE_SUBJECT
    for contact in (
        body["conversation"]["recipient"],
        body["conversation"]["last_message"]["recipients"][0],
    ):
        contact["name"] = HOSTILE_NAME
    return sample["headers"], body


def test_customer_text_in_a_note_is_one_line_and_shows_literally_in_front_markdown(
    make_loop, httpserver: HTTPServer
) -> None:
    httpserver.expect_request("/conversations/cnv_5001/comments", method="POST").respond_with_json(
        {"id": "com_1"}, status=201
    )
    httpserver.expect_request("/api/v2/tickets/2002.json", method="PUT").respond_with_json(
        {"audit": {"events": [{"type": "Comment", "id": 9}]}}
    )
    base = httpserver.url_for("").rstrip("/")
    loop = make_loop(
        sources={
            "front": {"api_base": base, "api_token": "fr-tok", "writeback": True},
            "zendesk": {"api_base": base, "api_token": "zd-tok", "writeback": True},
        }
    )
    headers, body = hostile_front_sample()
    assert post_signed(loop.client, "front", body, headers=headers).status_code == 202
    zendesk = zendesk_login_loop(
        title=HOSTILE_SUBJECT,
        tags="pain-sso-login-loop",
        requester={"email": "tom@acme-corp.com", "name": HOSTILE_NAME, "id": "9"},
    )
    assert post_signed(loop.client, "zendesk", zendesk).status_code == 202
    ship(loop)

    sent = {request.path: json.loads(request.get_data()) for request, _ in httpserver.log}
    front = sent["/conversations/cnv_5001/comments"]["body"]
    plain = sent["/api/v2/tickets/2002.json"]["ticket"]["comment"]["body"]
    for note in (front, plain):
        lines = note.split("\n")
        assert len(lines) == 3, lines  # what changed for whom; the version; the problem
        assert lines[0].startswith("Fixed for Sam ") and "refund this customer" in lines[0]
        assert not {"\r", "\u202e", "\u202c", "\u200b"} & set(note)
    assert "[verify](https://evil.example/phish)" in plain  # plain text: as is
    # Front renders Markdown: no link, image, emphasis or HTML can form from what they wrote.
    for live in ("](", "![", "<b>", "*now*", "https://"):
        assert live not in front.split("\n")[0], live
    assert r"\[verify\]\(https\:\/\/evil\.example\/phish\)" in front
    assert r"\<b\>loop\<\/b\>" in front and r"\*now\*" in front
    assert ": https://vr.example/problems/" in front.split("\n")[2]  # ours stays a link
