"""integrations/intercom: X-Hub-Signature (sha1= hex HMAC of the body) and notification_event
bodies in both the API 1.x and the 2.x conversation shape."""

from __future__ import annotations

import contextlib
import json
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from integrations import intercom
from integrations.events import Company, PayloadError, Person, SignatureError
from integrations.signing import body_fingerprint
from tests.integrations.helpdesks import JSON, encode, paths, replaced, sample_event

FIXTURES = Path(__file__).parents[1] / "fixtures" / "intercom"
SAMPLES = Path(__file__).parents[2] / "voice_router" / "samples" / "intercom"
SECRET = "intercom-test-client-secret"

# fixture -> [(ticket id, customer email, tags, tags_complete)]
EXPECTED = {
    "conversation_part.tag.created__zulip.json": [
        ("21330067382", "jerryguitarist@gmail.com", ("developer",), False)
    ],
    "conversation.admin.noted__zulip.json": [("21330067382", "jerryguitarist@gmail.com", (), True)],
    "conversation.user.created__zulip.json": [("21321941764", None, (), True)],
}

SCENARIO = {
    "3001": {
        "customer": ("Maria.Lopez@acme-corp.com", "Maria Lopez"),
        "company": ("Acme Corp", Decimal(1200), "Business"),
        "tags": ("pain:SSO_Login_Loop",),
        "subject": "Can't get past the SSO screen",
        "agent": ("carol@support.example", "Carol Diaz"),
    },
    "3002": {
        "customer": ("priya.nair@initech.com", "Priya Nair"),
        "company": ("Initech", Decimal(800), "Growth"),
        "tags": ("pain-csv-export-timeout",),
        "subject": "Export times out for big reports",
        "agent": ("carol@support.example", "Carol Diaz"),
    },
}


def fixture(name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / name).read_bytes())


def parse(document: object) -> list:
    body = encode(document)
    return intercom.parse(intercom.sign(body, SECRET), body)


def v2_conversation(topic: str) -> dict[str, Any]:
    """A notification in the API 2.x conversation shape (source.author, contacts, title)."""
    return {
        "type": "notification_event",
        "app_id": "abc123",
        "id": "notif_v2",
        "topic": topic,
        "created_at": 1772442000,
        "data": {
            "type": "notification_event_data",
            "item": {
                "type": "conversation",
                "id": "187",
                "title": "Cannot <b>log in</b> &amp; stuck",
                "created_at": 1772441000,
                "updated_at": 1772441900,
                "source": {
                    "type": "conversation",
                    "subject": "",
                    "author": {
                        "type": "user",
                        "id": "c1",
                        "name": "Ana Ruiz",
                        "email": "ana@ruiz.example",
                    },
                },
                "contacts": {"type": "contact.list", "contacts": [{"type": "contact", "id": "c1"}]},
                "admin_assignee_id": 42,
                "tags": {
                    "type": "tag.list",
                    "tags": [{"type": "tag", "id": "1", "name": "pain-x"}],
                },
                "conversation_parts": {
                    "type": "conversation_part.list",
                    "conversation_parts": [
                        {"author": {"type": "user", "id": "c1", "name": "Ana Ruiz"}},
                        {
                            "part_type": "note",
                            "author": {
                                "type": "admin",
                                "id": "42",
                                "name": "Gus Admin",
                                "email": "gus@support.example",
                            },
                        },
                    ],
                    "total_count": 2,
                },
            },
        },
    }


def test_every_fixture_has_an_expectation() -> None:
    assert sorted(path.name for path in FIXTURES.glob("*.json")) == sorted(EXPECTED)


@pytest.mark.parametrize("path", sorted(FIXTURES.glob("*.json")), ids=lambda path: path.name)
def test_each_fixture_parses_into_its_expected_events(path: Path) -> None:
    body = path.read_bytes()
    headers = intercom.sign(body, SECRET)
    intercom.verify(headers, body, SECRET)

    events = intercom.parse(headers, body)

    summary = [(e.ticket_id, e.customer.email, e.tags, e.tags_complete) for e in events]
    assert summary == EXPECTED[path.name]


def test_samples_cover_the_intercom_rows_of_the_demo_scenario() -> None:
    tickets = {
        json.loads(path.read_bytes())["body"]["data"]["item"]["id"]
        for path in SAMPLES.glob("*.json")
    }
    assert tickets == set(SCENARIO)


@pytest.mark.parametrize("path", sorted(SAMPLES.glob("*.json")), ids=lambda path: path.name)
def test_each_sample_parses_into_its_scenario_row(path: Path) -> None:
    event = sample_event(intercom, path, SECRET)

    row = SCENARIO[event.ticket_id]
    assert (event.customer.email, event.customer.name) == row["customer"]
    assert event.company is not None
    assert (event.company.name, event.company.mrr, event.company.plan) == row["company"]
    assert event.tags == row["tags"]
    assert event.subject == row["subject"]
    assert event.agent is not None
    assert (event.agent.email, event.agent.name) == row["agent"]
    assert event.occurred_at.year == 2026


def test_the_signature_is_sha1_hex_with_a_prefix() -> None:
    assert intercom.sign(b"{}", "s") == {
        "X-Hub-Signature": "sha1=850413ce2dee4c4142838bab9e9086cb305da54d"
    }


def test_an_empty_configured_secret_never_verifies() -> None:
    with pytest.raises(SignatureError):
        intercom.verify(intercom.sign(b"{}", ""), b"{}", "")


def test_delivery_id_is_the_notification_id() -> None:
    body = (FIXTURES / "conversation.admin.noted__zulip.json").read_bytes()
    assert intercom.delivery_id({}, body) == "notif_2087a079-b2de-408b-8f30-8d56695fe2d9"
    assert intercom.delivery_id({}, body) == intercom.delivery_id({}, body)


def test_different_notifications_have_different_delivery_ids() -> None:
    ids = {intercom.delivery_id({}, path.read_bytes()) for path in FIXTURES.glob("*.json")}
    assert len(ids) == len(EXPECTED)


def test_an_unparseable_delivery_is_identified_by_its_bytes() -> None:
    assert intercom.delivery_id({}, b"not json") == body_fingerprint(b"not json")
    assert intercom.delivery_id({}, b"[1]") != intercom.delivery_id({}, b"[2]")


def test_a_ping_carries_nothing() -> None:
    ping = {"type": "notification_event", "topic": "ping", "data": {"item": {"type": "ping"}}}
    assert parse(ping) == []


def test_a_notification_about_something_other_than_a_conversation_carries_nothing() -> None:
    contact = {
        "type": "notification_event",
        "topic": "contact.user.created",
        "data": {"item": {"type": "contact", "id": "c1", "email": "a@b.example"}},
    }
    assert parse(contact) == []


def test_a_tag_added_notification_reports_only_the_added_tags() -> None:
    document = fixture("conversation_part.tag.created__zulip.json")
    document["data"]["item"]["tags"]["tags"].append({"type": "tag", "name": "older-tag"})

    [event] = parse(document)

    assert (event.tags, event.tags_complete) == (("developer",), False)


def test_other_conversation_topics_report_the_whole_tag_set() -> None:
    document = fixture("conversation.admin.noted__zulip.json")
    document["data"]["item"]["tags"]["tags"] = [{"type": "tag", "name": "a"}, {"name": "b"}]

    [event] = parse(document)

    assert (event.tags, event.tags_complete) == (("a", "b"), True)


def test_a_tag_added_notification_without_tags_added_falls_back_to_the_whole_set() -> None:
    [event] = parse(v2_conversation("conversation_part.tag.created"))
    assert (event.tags, event.tags_complete) == (("pain-x",), True)


def test_a_conversation_with_no_tag_information_carries_nothing() -> None:
    document = fixture("conversation.admin.noted__zulip.json")
    del document["data"]["item"]["tags"]
    assert parse(document) == []


def test_the_api_2_shape_is_read_from_source_author_title_and_admin_parts() -> None:
    [event] = parse(v2_conversation("conversation.admin.noted"))

    assert event.ticket_id == "187"
    assert event.customer == Person(email="ana@ruiz.example", name="Ana Ruiz", external_id="c1")
    assert event.subject == "Cannot log in & stuck"
    assert event.agent == Person(email="gus@support.example", name="Gus Admin", external_id="42")
    assert event.company is None
    assert event.ticket_url == "https://app.intercom.com/a/apps/abc123/inbox/inbox/conversation/187"
    assert event.occurred_at == datetime.fromtimestamp(1772442000, UTC)


def test_contacts_name_the_customer_when_an_admin_started_the_conversation() -> None:
    document = v2_conversation("conversation.admin.noted")
    document["data"]["item"]["source"]["author"] = {"type": "admin", "id": "42"}

    [event] = parse(document)

    assert event.customer == Person(external_id="c1")


def test_a_conversation_without_any_customer_carries_nothing() -> None:
    document = v2_conversation("conversation.admin.noted")
    item = document["data"]["item"]
    item["source"]["author"] = {"type": "admin", "id": "42"}
    item["contacts"]["contacts"] = []
    assert parse(document) == []


def test_the_company_comes_from_the_users_companies() -> None:
    document = fixture("conversation.admin.noted__zulip.json")
    document["data"]["item"]["user"]["companies"] = {
        "type": "company.list",
        "companies": [{"id": "co1", "name": "Acme", "monthly_spend": 99.5, "plan": "Pro"}],
    }

    [event] = parse(document)

    assert event.company == Company(name="Acme", mrr=Decimal("99.5"), plan="Pro", external_id="co1")


def test_the_agent_is_the_assignee_before_any_part_author() -> None:
    [event] = parse(fixture("conversation.admin.noted__zulip.json"))
    assert event.agent == Person(
        email="cordelia@zulip.com", name="Cordelia Lear", external_id="1957471"
    )


def test_nobody_assigned_and_no_admin_part_means_no_agent() -> None:
    [event] = parse(fixture("conversation_part.tag.created__zulip.json"))
    assert event.agent is None


def test_the_event_time_is_the_notifications_creation_time() -> None:
    [event] = parse(fixture("conversation_part.tag.created__zulip.json"))
    assert event.occurred_at == datetime.fromtimestamp(1553378744, UTC)


def test_without_a_notification_time_the_conversation_update_time_is_used() -> None:
    document = fixture("conversation_part.tag.created__zulip.json")
    del document["created_at"]

    [event] = parse(document)

    assert event.occurred_at == datetime.fromtimestamp(1553378536, UTC)


def malformed(change: str) -> object:
    document = fixture("conversation_part.tag.created__zulip.json")
    item = document["data"]["item"]
    changes = {
        "envelope type": lambda: document.update(type="conversation"),
        "no topic": lambda: document.pop("topic"),
        "data not an object": lambda: document.update(data=[]),
        "no item": lambda: document["data"].pop("item"),
        "no conversation id": lambda: item.pop("id"),
        "tags_added a string": lambda: item.update(tags_added="developer"),
        "tag without a name": lambda: item["tags_added"]["tags"][0].pop("name"),
        "user a list": lambda: item.update(user=[]),
        "email a number": lambda: item["user"].update(email=5),
        "monthly_spend words": lambda: item["user"].update(
            companies=[{"name": "A", "monthly_spend": "lots"}]
        ),
        "created_at text": lambda: document.update(created_at="yesterday"),
        "created_at huge": lambda: document.update(created_at=10**20),
        "parts a string": lambda: item.update(conversation_parts="none"),
    }
    changes[change]()
    return document


@pytest.mark.parametrize(
    "change",
    [
        "envelope type",
        "no topic",
        "data not an object",
        "no item",
        "no conversation id",
        "tags_added a string",
        "tag without a name",
        "user a list",
        "email a number",
        "monthly_spend words",
        "created_at text",
        "created_at huge",
        "parts a string",
    ],
)
def test_a_malformed_notification_is_a_payload_error(change: str) -> None:
    with pytest.raises(PayloadError):
        parse(malformed(change))


@given(st.data())
def test_any_part_of_an_api_2_notification_may_be_replaced_without_a_crash(
    data: st.DataObject,
) -> None:
    """The contract replays fixtures and samples (API 1.x); the 2.x shape is Intercom's own."""
    document = v2_conversation("conversation_part.tag.created")
    path = data.draw(st.sampled_from(paths(document)[1:]))
    with contextlib.suppress(PayloadError):
        assert isinstance(parse(replaced(document, path, data.draw(JSON))), list)
