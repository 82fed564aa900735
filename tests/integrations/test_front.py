"""integrations/front: rule webhooks (base64 HMAC-SHA1 of the body), application webhooks
(base64 HMAC-SHA256 of `timestamp:body`, 5-minute window, challenge handshake) and Front
Event bodies."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from integrations import front
from integrations.events import Handshake, PayloadError, Person, SignatureError, StaleDeliveryError
from integrations.signing import body_fingerprint
from tests.integrations.helpdesks import sample_event

FIXTURES = Path(__file__).parents[1] / "fixtures" / "front"
SAMPLES = Path(__file__).parents[2] / "voice_router" / "samples" / "front"
SECRET = "front-test-secret"
NOW = datetime(2026, 3, 4, 9, 0, tzinfo=UTC)

# fixture -> [(ticket id, customer email, tags, removed tags, tags_complete)]
EXPECTED = {
    "tag__rule_webhook_zulip.json": [
        ("cnv_keocka", "calculon@momsbot.com", ("Urgent",), (), False)
    ],
    "untag__rule_webhook_zulip.json": [
        ("cnv_keocka", "calculon@momsbot.com", (), ("Urgent",), False)
    ],
}

# Front conversation ids are `cnv_` aliases, so the demo's tickets 5001/5002 are cnv_5001/cnv_5002.
SCENARIO = {
    "cnv_5001": {
        "customer": ("sam.okafor@gmail.com", "Sam Okafor"),
        "tags": ("pain-sso-login-loop",),
        "subject": "Login keeps looping",
        "agent": ("erin@support.example", "Erin Walsh"),
    },
    "cnv_5002": {
        "customer": ("ravi.kumar@wayne-ent.com", "Ravi Kumar"),
        "tags": ("pain-mobile-sync-crash",),
        "subject": "Mobile sync crash on iOS",
        "agent": ("erin@support.example", "Erin Walsh"),
    },
}


def fixture(name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / name).read_bytes())


def parse(document: object) -> list:
    body = json.dumps(document).encode()
    return front.parse(front.sign(body, SECRET), body)


def test_every_fixture_has_an_expectation() -> None:
    assert sorted(path.name for path in FIXTURES.glob("*.json")) == sorted(EXPECTED)


@pytest.mark.parametrize("path", sorted(FIXTURES.glob("*.json")), ids=lambda path: path.name)
def test_each_fixture_parses_into_its_expected_events(path: Path) -> None:
    body = path.read_bytes()
    headers = front.sign(body, SECRET)
    front.verify(headers, body, SECRET)

    events = front.parse(headers, body)

    summary = [
        (e.ticket_id, e.customer.email, e.tags, e.removed_tags, e.tags_complete) for e in events
    ]
    assert summary == EXPECTED[path.name]


def test_samples_cover_the_front_rows_of_the_demo_scenario() -> None:
    tickets = {
        json.loads(path.read_bytes())["body"]["conversation"]["id"]
        for path in SAMPLES.glob("*.json")
    }
    assert tickets == set(SCENARIO)


@pytest.mark.parametrize("path", sorted(SAMPLES.glob("*.json")), ids=lambda path: path.name)
def test_each_sample_parses_into_its_scenario_row(path: Path) -> None:
    event = sample_event(front, path, SECRET)

    row = SCENARIO[event.ticket_id]
    assert (event.customer.email, event.customer.name) == row["customer"]
    assert event.company is None
    assert (event.tags, event.tags_complete) == (row["tags"], False)
    assert event.subject == row["subject"]
    assert event.agent is not None
    assert (event.agent.email, event.agent.name) == row["agent"]
    assert event.occurred_at.year == 2026


def test_the_rule_signature_is_base64_hmac_sha1() -> None:
    assert front.sign(b"{}", "s") == {"X-Front-Signature": "hQQTzi3uTEFCg4urnpCGyzBdpU0="}


def test_an_empty_configured_secret_never_verifies() -> None:
    with pytest.raises(SignatureError):
        front.verify(front.sign(b"{}", ""), b"{}", "")


def test_a_signed_application_webhook_verifies() -> None:
    headers = front.sign_application(b"{}", SECRET, now=NOW)
    assert headers["X-Front-Request-Timestamp"] == str(int(NOW.timestamp() * 1000))
    front.verify(headers, b"{}", SECRET, now=NOW + timedelta(minutes=4))


def test_an_application_signature_is_base64_hmac_sha256_of_timestamp_colon_body() -> None:
    assert front.sign_application(b"{}", "s", now=datetime.fromtimestamp(1, UTC)) == {
        "X-Front-Request-Timestamp": "1000",
        "X-Front-Signature": "TMEZgiooSbWnDOjeZFGY893YrRlx0bYCW99FVcsJvYY=",
    }


@pytest.mark.parametrize("age", [timedelta(minutes=6), timedelta(minutes=-6)])
def test_an_application_webhook_outside_five_minutes_is_stale(age: timedelta) -> None:
    headers = front.sign_application(b"{}", SECRET, now=NOW - age)
    with pytest.raises(StaleDeliveryError):
        front.verify(headers, b"{}", SECRET, now=NOW)


def test_a_changed_application_timestamp_fails() -> None:
    headers = front.sign_application(b"{}", SECRET, now=NOW)
    headers["X-Front-Request-Timestamp"] = str(int(headers["X-Front-Request-Timestamp"]) + 1)
    with pytest.raises(SignatureError):
        front.verify(headers, b"{}", SECRET, now=NOW)


@pytest.mark.parametrize("timestamp", ["", "soon", "-1", "1e12", "99999999999999999999"])
def test_an_application_timestamp_that_is_not_milliseconds_fails(timestamp: str) -> None:
    headers = front.sign_application(b"{}", SECRET, now=NOW)
    headers["X-Front-Request-Timestamp"] = timestamp
    with pytest.raises(SignatureError):
        front.verify(headers, b"{}", SECRET, now=NOW)


def test_a_rule_signature_does_not_pass_as_an_application_webhook() -> None:
    headers = {**front.sign(b"{}", SECRET), "X-Front-Request-Timestamp": "1772614800000"}
    with pytest.raises(SignatureError):
        front.verify(headers, b"{}", SECRET, now=NOW)


def test_the_challenge_is_echoed_as_plain_text() -> None:
    body = b'{"type":"sync","authorization":{"id":"cmp_abc"}}'
    headers = {**front.sign_application(body, SECRET, now=NOW), "x-front-challenge": "r4nd0m"}
    front.verify(headers, body, SECRET, now=NOW)

    assert front.handshake(headers, body) == Handshake(
        status=200, body="r4nd0m", content_type="text/plain"
    )
    assert front.parse(headers, body) == []


def test_an_ordinary_delivery_needs_no_handshake() -> None:
    body = (FIXTURES / "tag__rule_webhook_zulip.json").read_bytes()
    assert front.handshake(front.sign(body, SECRET), body) is None


def test_an_application_webhook_event_is_read_from_its_payload() -> None:
    event = fixture("tag__rule_webhook_zulip.json")
    envelope = {"type": "tag", "authorization": {"id": "cmp_abc"}, "payload": event}
    body = json.dumps(envelope).encode()

    assert front.parse({}, body) == parse(event)
    assert front.delivery_id({}, body) == "evt_28duooi"


def test_delivery_id_is_the_event_id() -> None:
    body = (FIXTURES / "untag__rule_webhook_zulip.json").read_bytes()
    assert front.delivery_id({}, body) == "evt_28dut36"
    assert front.delivery_id({}, body) == front.delivery_id({}, body)


def test_different_events_have_different_delivery_ids() -> None:
    ids = {front.delivery_id({}, path.read_bytes()) for path in FIXTURES.glob("*.json")}
    assert len(ids) == len(EXPECTED)


def test_a_delivery_without_an_event_id_is_identified_by_its_bytes() -> None:
    body = b'{"type":"sync","authorization":{"id":"cmp_abc"}}'
    assert front.delivery_id({}, body) == body_fingerprint(body)
    assert front.delivery_id({}, b"not json") == body_fingerprint(b"not json")


def test_other_events_report_the_conversations_whole_tag_set() -> None:
    event = fixture("untag__rule_webhook_zulip.json")
    event["type"] = "assign"
    event["conversation"]["tags"] = [{"id": "tag_1", "name": "pain-a"}, {"name": "b"}]

    [parsed] = parse(event)

    assert (parsed.tags, parsed.removed_tags, parsed.tags_complete) == (("pain-a", "b"), (), True)


def test_an_event_without_a_conversation_carries_nothing() -> None:
    event = {"id": "evt_1", "type": "contact_created", "emitted_at": 1, "target": {}}
    assert parse(event) == []


def test_the_customer_is_the_recipient_with_its_contact_id() -> None:
    [event] = parse(fixture("tag__rule_webhook_zulip.json"))
    assert event.customer == Person(email="calculon@momsbot.com", external_id="crd_62euuy")


def test_the_customer_name_may_come_from_the_message_recipients() -> None:
    event = fixture("tag__rule_webhook_zulip.json")
    event["conversation"]["last_message"]["recipients"][0]["name"] = "Calculon"

    [parsed] = parse(event)

    assert parsed.customer.name == "Calculon"


def test_a_recipient_that_is_not_an_email_address_is_kept_by_contact_id() -> None:
    event = fixture("tag__rule_webhook_zulip.json")
    event["conversation"]["recipient"]["handle"] = "+15555550100"

    [parsed] = parse(event)

    assert parsed.customer == Person(email=None, external_id="crd_62euuy")


def test_a_conversation_without_a_recipient_carries_nothing() -> None:
    event = fixture("tag__rule_webhook_zulip.json")
    event["conversation"]["recipient"] = None
    assert parse(event) == []


def test_the_agent_is_the_assignee() -> None:
    event = fixture("untag__rule_webhook_zulip.json")
    event["source"] = {"_meta": {"type": "rule"}, "data": {"id": "rul_1"}}

    [parsed] = parse(event)

    assert parsed.agent == Person(
        email="leela@planet-express.com", name="Leela Turanga", external_id="tea_40yq"
    )


def test_without_an_assignee_the_agent_is_the_teammate_who_acted() -> None:
    [event] = parse(fixture("tag__rule_webhook_zulip.json"))
    assert event.agent is not None
    assert event.agent.email == "leela@planet-express.com"


def test_the_ticket_url_opens_the_conversation_in_front() -> None:
    [event] = parse(fixture("tag__rule_webhook_zulip.json"))
    assert event.ticket_url == "https://app.frontapp.com/open/cnv_keocka"


def test_the_event_time_is_when_the_event_was_emitted() -> None:
    [event] = parse(fixture("tag__rule_webhook_zulip.json"))
    assert event.occurred_at == datetime.fromtimestamp(1518309239.379, UTC)


def malformed(change: str) -> object:
    event = fixture("tag__rule_webhook_zulip.json")
    conversation = event["conversation"]
    changes = {
        "no type": lambda: event.pop("type"),
        "type a number": lambda: event.update(type=3),
        "conversation a list": lambda: event.update(conversation=[]),
        "no conversation id": lambda: conversation.pop("id"),
        "no target tag": lambda: event.update(target={"_meta": {"type": "tag"}}),
        "tag name a list": lambda: event["target"]["data"].update(name=["x"]),
        "handle a number": lambda: conversation["recipient"].update(handle=5),
        "emitted_at text": lambda: event.update(emitted_at="now"),
        "payload not an event": lambda: event.update(authorization={"id": "c"}, payload="x"),
    }
    changes[change]()
    return event


@pytest.mark.parametrize(
    "change",
    [
        "no type",
        "type a number",
        "conversation a list",
        "no conversation id",
        "no target tag",
        "tag name a list",
        "handle a number",
        "emitted_at text",
        "payload not an event",
    ],
)
def test_a_malformed_event_is_a_payload_error(change: str) -> None:
    with pytest.raises(PayloadError):
        parse(malformed(change))
