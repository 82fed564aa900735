"""Zendesk adapter: timestamped signature, delivery ids, trigger templates and event webhooks."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from integrations import zendesk
from integrations.events import (
    Company,
    PayloadError,
    Person,
    SignatureError,
)
from integrations.signing import body_fingerprint
from tests.integrations.helpdesks import encode, sample_event

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "zendesk"
SAMPLES = ROOT / "voice_router" / "samples" / "zendesk"
SECRET = "zd-test-signing-secret"
SENT = datetime(2026, 3, 2, 11, 5, 0, tzinfo=UTC)

# fixture file -> events (ticket id, customer email, tags). Neither names a requester e-mail.
FIXTURE_EVENTS: dict[str, list[tuple[str, str, tuple[str, ...]]]] = {
    "ticket.created__event_subscription_captured.json": [],
    "trigger__ticket_create_update_zulip.json": [],
}

# sample ticket -> (customer email, name, company, tags, subject)
SCENARIO = {
    "2001": (
        "dev.patel@globex.io",
        "Dev Patel",
        "Globex",
        ("pain_sso_login_loop", "vip"),
        "SSO sends me back to the login page",
    ),
    "2002": (
        "tom.reed@acme-corp.com",
        "Tom Reed",
        "Acme Corp",
        ("pain-sso-login-loop", "pain-csv-export-timeout"),
        "Login loop and export timeouts",
    ),
    "2003": (
        "anna.berg@umbrella.co",
        "Anna Berg",
        "Umbrella",
        ("pain-mobile-sync-crash",),
        "App crashes while syncing",
    ),
}


def template_body(**changes: object) -> dict:
    """A delivery of the recommended trigger template, as Zendesk renders it."""
    ticket = {
        "id": "7",
        "url": "acme.zendesk.com/agent/tickets/7",
        "title": "Export is slow",
        "tags": "pain-slow-export vip",
        "updated_at": "2026-03-02T11:04:27Z",
        "requester": {"email": "ada@example.org", "name": "Ada Byron", "id": "361"},
        "organization": {"name": "Analytical Engines"},
        "assignee": {"email": "bob@support.example", "name": "Bob Chen"},
    }
    ticket.update(changes)
    return {"ticket": ticket}


def captured_event(**changes: object) -> dict:
    event = json.loads((FIXTURES / "ticket.created__event_subscription_captured.json").read_text())
    event.update(changes)
    return event


@pytest.mark.parametrize("path", sorted(FIXTURES.glob("*.json")), ids=lambda p: p.name)
def test_every_fixture_parses_into_its_expected_events(path: Path) -> None:
    events = zendesk.parse({}, path.read_bytes())

    assert [(e.ticket_id, e.customer.email, e.tags) for e in events] == FIXTURE_EVENTS[path.name]


def test_fixture_folder_holds_exactly_the_described_fixtures() -> None:
    assert {p.name for p in FIXTURES.glob("*.json")} == set(FIXTURE_EVENTS)


def test_an_event_webhook_without_requester_email_is_acknowledged_and_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level("INFO", logger="integrations.zendesk")
    body = (FIXTURES / "ticket.created__event_subscription_captured.json").read_bytes()

    assert zendesk.parse({}, body) == []
    assert "zendesk.parse.no_requester_email" in caplog.messages


def test_a_ticket_event_carrying_a_requester_email_gives_the_full_tag_set() -> None:
    event = captured_event()
    event["detail"]["requester"] = {"email": "ada@example.org", "name": "Ada Byron"}

    (parsed,) = zendesk.parse({}, encode(event))

    assert parsed.ticket_id == "5158"
    assert parsed.customer == Person("ada@example.org", "Ada Byron", "8447388090494")
    assert (parsed.tags, parsed.tags_complete) == (("ticket-info-test-tag",), True)
    assert parsed.subject == "ticketinfo_2294a6e9ece2"
    assert parsed.occurred_at == datetime(2025, 1, 8, 10, 12, 7, 672717, tzinfo=UTC)


def test_tags_changed_gives_deltas_not_a_full_set() -> None:
    event = captured_event(
        type="zen:event-type:ticket.tags_changed",
        event={"tags_added": ["pain-slow-export"], "tags_removed": ["pain-old-bug"]},
    )
    event["detail"]["requester_email"] = "ada@example.org"

    (parsed,) = zendesk.parse({}, encode(event))

    assert parsed.tags == ("pain-slow-export",)
    assert parsed.removed_tags == ("pain-old-bug",)
    assert parsed.tags_complete is False


def test_the_ticket_id_comes_from_the_subject_when_detail_has_none() -> None:
    event = captured_event()
    del event["detail"]["id"]
    event["detail"]["requester_email"] = "ada@example.org"

    (parsed,) = zendesk.parse({}, encode(event))

    assert parsed.ticket_id == "5158"


@pytest.mark.parametrize(
    "event_type",
    ["zen:event-type:user.created", "zen:event-type:ticket.merged"],
)
def test_events_about_other_things_are_acknowledged(event_type: str) -> None:
    assert zendesk.parse({}, encode(captured_event(type=event_type))) == []


@pytest.mark.parametrize("deletion", ["soft_deleted", "permanently_deleted"])
def test_a_deleted_ticket_is_one_with_no_tags_left(deletion: str) -> None:
    # Ticket events share one documented `detail` (the ticket as it stands, requester by id).
    (event,) = zendesk.parse({}, encode(captured_event(type=f"zen:event-type:ticket.{deletion}")))

    assert (event.ticket_id, event.tags, event.tags_complete) == ("5158", (), True)
    assert event.customer == Person()
    assert event.occurred_at == datetime(2025, 1, 8, 10, 12, 7, 672717, tzinfo=UTC)


@pytest.mark.parametrize(
    "changes",
    [
        {"detail": None},
        {"detail": {"requester_id": "1"}, "subject": None},
        {"detail": {"id": "1"}, "time": "yesterday"},
    ],
)
def test_a_deletion_that_names_no_ticket_or_time_is_refused(changes: dict) -> None:
    body = captured_event(type="zen:event-type:ticket.soft_deleted", **changes)
    with pytest.raises(PayloadError):
        zendesk.parse({}, encode(body))


def test_the_recommended_template_gives_everything_the_core_needs() -> None:
    (event,) = zendesk.parse({}, encode(template_body()))

    assert event.ticket_id == "7"
    assert event.customer == Person("ada@example.org", "Ada Byron", "361")
    assert event.company == Company(name="Analytical Engines")
    assert event.agent == Person("bob@support.example", "Bob Chen")
    assert (event.tags, event.tags_complete) == (("pain-slow-export", "vip"), True)
    assert event.ticket_url == "https://acme.zendesk.com/agent/tickets/7"
    assert event.subject == "Export is slow"
    assert event.occurred_at == datetime(2026, 3, 2, 11, 4, 27, tzinfo=UTC)


def test_empty_and_unrendered_placeholders_read_as_absent() -> None:
    body = template_body(
        tags="",
        organization={"name": ""},
        assignee={"email": "{{ticket.assignee.email}}", "name": ""},
        updated_at="{{ticket.updated_at_with_timestamp}}",
    )

    before = datetime.now(UTC)

    (event,) = zendesk.parse({}, encode(body))

    assert (event.tags, event.tags_complete) == ((), True)
    assert event.company is None and event.agent is None
    assert before <= event.occurred_at <= datetime.now(UTC)


def test_an_unrendered_tags_placeholder_says_nothing_about_tags() -> None:
    (event,) = zendesk.parse({}, encode(template_body(tags="{{ticket.tags}}")))

    assert (event.tags, event.tags_complete) == ((), False)


def test_a_template_without_requester_email_yields_no_event() -> None:
    body = template_body(requester={"email": "", "name": "Ada Byron", "id": "361"})

    assert zendesk.parse({}, encode(body)) == []


def test_zulips_template_with_a_requester_email_added_is_read() -> None:
    fixture = FIXTURES / "trigger__ticket_create_update_zulip.json"
    body = {**json.loads(fixture.read_text()), "requester_email": "tester@example.org"}
    before = datetime.now(UTC)

    (event,) = zendesk.parse({}, encode(body))

    assert event.ticket_id == "7"
    assert event.customer == Person("tester@example.org", "testerzulip")
    assert (event.tags, event.tags_complete) == (("change_address", "help", "order"), True)
    assert event.ticket_url == "https://asdf1640.zendesk.com/agent/tickets/7"
    assert event.agent == Person(name="Apoorva Pendse")
    assert before <= event.occurred_at <= datetime.now(UTC), "its dates are not ISO-8601"


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"\xff",
        b"[]",
        b"null",
        encode({"hello": "world"}),
        encode(template_body(id="")),
        encode(template_body(id=None)),
        encode(template_body(tags=["ok", 3])),
        encode(template_body(tags={"a": 1})),
        encode(captured_event(detail="5158")),
        encode(captured_event(detail={"requester_email": "a@b.example"}, subject=None)),
        encode(captured_event(time="yesterday", detail={"id": "1", "requester_email": "a@b.c"})),
        encode(
            captured_event(
                type="zen:event-type:ticket.tags_changed",
                event=["pain-a"],
                detail={"id": "1", "requester_email": "a@b.c"},
            )
        ),
    ],
)
def test_malformed_bodies_are_payload_errors(body: bytes) -> None:
    with pytest.raises(PayloadError):
        zendesk.parse({}, body)


@pytest.mark.parametrize("path", sorted(SAMPLES.glob("*.json")), ids=lambda p: p.name)
def test_every_demo_sample_parses_into_its_scenario_row(path: Path) -> None:
    event = sample_event(zendesk, path, SECRET)

    email, name, company, tags, subject = SCENARIO[event.ticket_id]
    assert (event.customer.email, event.customer.name) == (email, name)
    assert event.company == Company(name=company)
    assert (event.tags, event.tags_complete, event.subject) == (tags, True, subject)
    assert event.agent == Person("bob@support.example", "Bob Chen")


def test_the_samples_cover_every_scenario_ticket_once() -> None:
    tickets = [
        json.loads(p.read_text())["body"]["ticket"]["id"] for p in sorted(SAMPLES.glob("*.json"))
    ]
    assert sorted(tickets) == sorted(SCENARIO)


def test_signature_is_base64_hmac_sha256_of_timestamp_then_body() -> None:
    body = encode(template_body())
    digest = hmac.new(SECRET.encode(), b"2026-03-02T11:05:00Z" + body, hashlib.sha256).digest()

    assert zendesk.sign(body, SECRET, now=SENT) == {
        "X-Zendesk-Webhook-Signature-Timestamp": "2026-03-02T11:05:00Z",
        "X-Zendesk-Webhook-Signature": base64.b64encode(digest).decode(),
    }


def test_an_unreadable_timestamp_is_a_bad_signature_even_when_signed() -> None:
    body = encode(template_body())
    stamp = "last tuesday"
    digest = hmac.new(SECRET.encode(), stamp.encode() + body, hashlib.sha256).digest()
    headers = {
        "X-Zendesk-Webhook-Signature-Timestamp": stamp,
        "X-Zendesk-Webhook-Signature": base64.b64encode(digest).decode(),
    }

    with pytest.raises(SignatureError) as raised:
        zendesk.verify(headers, body, SECRET, now=SENT)
    assert type(raised.value) is SignatureError


def test_an_event_delivery_is_identified_by_its_event_id() -> None:
    body = (FIXTURES / "ticket.created__event_subscription_captured.json").read_bytes()
    headers = {"X-Zendesk-Webhook-Invocation-Id": "999"}

    assert zendesk.delivery_id(headers, body) == "cbe4028c-7239-495d-b020-f22348516046"


def test_a_trigger_delivery_is_identified_by_its_invocation_id() -> None:
    body = encode(template_body())
    first = zendesk.delivery_id({"X-Zendesk-Webhook-Invocation-Id": "8650173921"}, body)
    retry = zendesk.delivery_id({"x-zendesk-webhook-invocation-id": "8650173921"}, body)
    other = zendesk.delivery_id({"X-Zendesk-Webhook-Invocation-Id": "8650173922"}, body)

    assert first == retry == "8650173921"
    assert other != first


def test_without_any_id_the_bytes_identify_the_delivery() -> None:
    body = encode(template_body())

    assert zendesk.delivery_id({}, body) == body_fingerprint(body)
    assert zendesk.delivery_id({}, encode(template_body(tags="vip"))) != body_fingerprint(body)
