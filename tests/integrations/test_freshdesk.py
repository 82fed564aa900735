"""Freshdesk adapter: Basic-auth shared secret, delivery ids and the automation template."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from integrations import freshdesk
from integrations.events import Company, PayloadError, Person, SignatureError
from integrations.signing import body_fingerprint
from tests.integrations.helpdesks import encode, sample_event

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "freshdesk"
SAMPLES = ROOT / "voice_router" / "samples" / "freshdesk"
SECRET = "fd-shared-password"

# fixture file -> (ticket id, customer email, customer name). Zulip's template has no tags.
FIXTURE_EVENTS = {
    "automation__status_changed_zulip.json": ("11", "requester-bob@example.com", "Requester Bob"),
    "automation__ticket_created_zulip.json": (
        "11",
        "requester-bob@example.com",
        "Requester ☃ Bob",
    ),
}

# sample ticket -> (customer email, name, company, tags, subject)
SCENARIO = {
    "4001": (
        "li.wei@initech.com",
        "Li Wei",
        Company(name="Initech"),
        ("PAIN sso login loop",),
        "Login loops forever",
    ),
    "4002": (
        "olga.ivanova@yahoo.com",
        "Olga Ivanova",
        None,
        ("pain-invoice-pdf-missing",),
        "No PDF attached to invoice",
    ),
}


def template_body(**changes: object) -> dict:
    """A delivery of the recommended automation template, as Freshdesk renders it."""
    fields = {
        "triggered_event": "{ticket_action:created}",
        "ticket_id": "11",
        "ticket_url": "https://acme.freshdesk.com/helpdesk/tickets/11",
        "ticket_subject": "Export is slow",
        "ticket_tags": "pain slow export, vip",
        "ticket_updated_at": "2026-03-02T13:12:09Z",
        "requester_email": "ada@example.org",
        "requester_name": "Ada Byron",
        "company_name": "Analytical Engines",
        "agent_email": "dan@support.example",
        "agent_name": "Dan Kowalski",
    }
    fields.update(changes)
    return {"freshdesk_webhook": fields}


def basic(credentials: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(credentials.encode()).decode()}


@pytest.mark.parametrize("path", sorted(FIXTURES.glob("*.json")), ids=lambda p: p.name)
def test_every_fixture_parses_into_its_expected_event(path: Path) -> None:
    ticket_id, email, name = FIXTURE_EVENTS[path.name]

    (event,) = freshdesk.parse({}, path.read_bytes())

    assert (event.ticket_id, event.customer) == (ticket_id, Person(email, name))
    assert (event.tags, event.tags_complete) == ((), False)
    assert event.ticket_url == "http://test1234zzz.freshdesk.com/helpdesk/tickets/11"
    assert event.subject == "Test ticket subject ☃"


def test_fixture_folder_holds_exactly_the_described_fixtures() -> None:
    assert {p.name for p in FIXTURES.glob("*.json")} == set(FIXTURE_EVENTS)


def test_the_recommended_template_gives_everything_the_core_needs() -> None:
    (event,) = freshdesk.parse({}, encode(template_body()))

    assert event.ticket_id == "11"
    assert event.customer == Person("ada@example.org", "Ada Byron")
    assert event.company == Company(name="Analytical Engines")
    assert event.agent == Person("dan@support.example", "Dan Kowalski")
    assert (event.tags, event.tags_complete) == (("pain slow export", "vip"), True)
    assert event.ticket_url == "https://acme.freshdesk.com/helpdesk/tickets/11"
    assert event.subject == "Export is slow"
    assert event.occurred_at == datetime(2026, 3, 2, 13, 12, 9, tzinfo=UTC)


def test_an_empty_tag_string_is_a_complete_set_that_removes_every_tag() -> None:
    (event,) = freshdesk.parse({}, encode(template_body(ticket_tags="")))

    assert (event.tags, event.tags_complete) == ((), True)


def test_unrendered_placeholders_read_as_absent() -> None:
    body = template_body(
        ticket_tags="{{ticket.tags}}",
        company_name="{{ticket.company.name}}",
        agent_email="",
        agent_name="{{ticket.agent.name}}",
    )

    (event,) = freshdesk.parse({}, encode(body))

    assert (event.tags, event.tags_complete) == ((), False)
    assert event.company is None and event.agent is None


def test_without_a_readable_update_time_the_event_is_dated_when_parsed() -> None:
    before = datetime.now(UTC)

    (event,) = freshdesk.parse({}, encode(template_body(ticket_updated_at="Mon, 2 Mar 2026")))

    assert before <= event.occurred_at <= datetime.now(UTC) + timedelta(seconds=1)


def test_a_ticket_without_requester_email_yields_no_event() -> None:
    assert freshdesk.parse({}, encode(template_body(requester_email=""))) == []


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"\xff",
        b"[]",
        b"12",
        encode({"ticket_id": "11"}),
        encode({"freshdesk_webhook": "11"}),
        encode(template_body(ticket_id="")),
        encode(template_body(ticket_id=False)),
        encode(template_body(ticket_tags=7)),
        encode(template_body(ticket_tags=["ok", None])),
    ],
)
def test_malformed_bodies_are_payload_errors(body: bytes) -> None:
    with pytest.raises(PayloadError):
        freshdesk.parse({}, body)


@pytest.mark.parametrize("path", sorted(SAMPLES.glob("*.json")), ids=lambda p: p.name)
def test_every_demo_sample_parses_into_its_scenario_row(path: Path) -> None:
    event = sample_event(freshdesk, path, SECRET)

    email, name, company, tags, subject = SCENARIO[event.ticket_id]
    assert event.customer == Person(email, name)
    assert event.company == company
    assert (event.tags, event.tags_complete, event.subject) == (tags, True, subject)
    assert event.agent == Person("dan@support.example", "Dan Kowalski")


def test_the_samples_cover_every_scenario_ticket_once() -> None:
    tickets = [
        json.loads(p.read_text())["body"]["freshdesk_webhook"]["ticket_id"]
        for p in sorted(SAMPLES.glob("*.json"))
    ]
    assert sorted(tickets) == sorted(SCENARIO)


def test_sign_gives_basic_credentials_with_the_secret_as_password() -> None:
    assert freshdesk.sign(b"{}", SECRET) == basic(f"voice-router:{SECRET}")


@pytest.mark.parametrize("user", ["voice-router", "freshdesk", "", "ünïcode"])
def test_any_user_name_with_the_right_password_verifies(user: str) -> None:
    freshdesk.verify(basic(f"{user}:{SECRET}"), b"{}", SECRET)


def test_scheme_and_header_name_are_case_insensitive() -> None:
    value = basic(f"x:{SECRET}")["Authorization"].replace("Basic", "basic")

    freshdesk.verify({"authorization": value}, b"{}", SECRET)


def test_a_password_containing_colons_is_kept_whole() -> None:
    freshdesk.verify(basic("user:pa:ss"), b"{}", "pa:ss")


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": ""},
        basic("voice-router:wrong-password"),
        basic(f"voice-router:{SECRET}x"),
        basic(f"{SECRET}"),
        {"Authorization": f"Bearer {SECRET}"},
        {"Authorization": "Basic"},
        {"Authorization": "Basic %%%not-base64%%%"},
        {"Authorization": "Basic " + base64.b64encode(b"user:\xff\xfe").decode()},
        {"Authorization": "Basic ünïcode"},
    ],
)
def test_missing_malformed_or_wrong_credentials_fail(headers: dict[str, str]) -> None:
    with pytest.raises(SignatureError):
        freshdesk.verify(headers, b"{}", SECRET)


def test_delivery_id_is_the_ticket_id_and_the_bytes() -> None:
    body = encode(template_body())

    assert freshdesk.delivery_id({}, body) == "11:" + body_fingerprint(body)
    assert freshdesk.delivery_id(basic("x:y"), body) == freshdesk.delivery_id({}, body)


@pytest.mark.parametrize(
    "changes", [{"ticket_id": "12"}, {"ticket_tags": "vip"}, {"ticket_updated_at": "2026-03-03"}]
)
def test_a_different_delivery_has_a_different_id(changes: dict) -> None:
    first = freshdesk.delivery_id({}, encode(template_body()))

    assert freshdesk.delivery_id({}, encode(template_body(**changes))) != first
