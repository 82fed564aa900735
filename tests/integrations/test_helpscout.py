"""Help Scout adapter: signature, delivery ids and parsing of legacy and V2 conversations."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from integrations import helpscout
from integrations.events import PayloadError, Person
from integrations.signing import body_fingerprint
from tests.integrations.helpdesks import encode, sample_event

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "helpscout"
SAMPLES = ROOT / "voice_router" / "samples" / "helpscout"
SECRET = "hs-test-secret-0123456789"
TAGS = {"X-HelpScout-Event": "convo.tags"}

# fixture file -> (ticket id, customer email, tags, agent email)
FIXTURE_EVENTS = {
    "convo.created__legacy_doc_example.json": (
        "291938",
        "vbear@mywork.com",
        ("tag1", "tag2"),
        "jack.sprout@gmail.com",
    ),
    "convo.customer.reply.created__SYNTHETIC_pipedream.json": (
        "1755285686",
        "customer@example.com",
        ("account", "customer"),
        "agent@company.com",
    ),
    "convo.note.created__SYNTHETIC_pipedream.json": (
        "1755285724",
        "customer@example.com",
        ("account", "customer"),
        "agent@company.com",
    ),
}

# sample ticket -> (customer email, name, tags, subject)
SCENARIO = {
    "1001": (
        "maria.lopez@acme-corp.com",
        "Maria Lopez",
        ("pain-sso-login-loop", "billing"),
        "Stuck in a login loop after SSO",
    ),
    "1002": (
        "kenji.sato@hooli.dev",
        "Kenji Sato",
        ("pain-csv-export-timeout",),
        "CSV export never finishes",
    ),
    "1003": (
        "sam.okafor@gmail.com",
        "Sam Okafor",
        ("pain-invoice-pdf-missing",),
        "Where is my invoice PDF?",
    ),
}


def v2_conversation(**changes: object) -> dict:
    convo = {
        "id": 555,
        "number": 77,
        "subject": "Export is slow",
        "userUpdatedAt": "2026-03-02T09:15:40Z",
        "createdAt": "2026-03-01T08:00:00Z",
        "tags": [{"id": 1, "color": "#929499", "tag": "pain-slow-export"}, {"tag": "vip"}],
        "primaryCustomer": {"id": 9, "first": "Ada", "last": "Byron", "email": "ada@example.org"},
        "assignee": {"id": 4, "first": "Alice", "last": "Moreno", "email": "alice@support.example"},
        "_embedded": {"threads": [{"id": 1, "type": "customer", "body": "It is slow."}]},
    }
    convo.update(changes)
    return convo


@pytest.mark.parametrize("path", sorted(FIXTURES.glob("*.json")), ids=lambda p: p.name)
def test_every_fixture_parses_into_its_expected_event(path: Path) -> None:
    ticket_id, email, tags, agent_email = FIXTURE_EVENTS[path.name]
    event_name = path.name.split("__")[0]

    events = helpscout.parse({"X-HelpScout-Event": event_name}, path.read_bytes())

    assert [(e.ticket_id, e.customer.email, e.tags, e.tags_complete) for e in events] == [
        (ticket_id, email, tags, True)
    ]
    assert events[0].agent is not None and events[0].agent.email == agent_email


def test_fixture_folder_holds_exactly_the_described_fixtures() -> None:
    assert {p.name for p in FIXTURES.glob("*.json")} == set(FIXTURE_EVENTS)


def test_legacy_conversation_gives_url_names_and_modified_time() -> None:
    body = (FIXTURES / "convo.created__legacy_doc_example.json").read_bytes()

    (event,) = helpscout.parse({"X-HelpScout-Event": "convo.created"}, body)

    assert event.ticket_url == "https://secure.helpscout.net/conversation/291938/349"
    assert event.customer == Person("vbear@mywork.com", "Vernon Bear", "29418")
    assert event.agent == Person("jack.sprout@gmail.com", "Jack Sprout", "1234")
    assert event.subject == "I need help!"
    assert event.occurred_at == datetime(2012, 7, 24, 20, 18, 33, tzinfo=UTC)


def test_v2_conversation_reads_tag_objects_primary_customer_and_assignee() -> None:
    (event,) = helpscout.parse(TAGS, encode(v2_conversation()))

    assert event.ticket_id == "555"
    assert event.tags == ("pain-slow-export", "vip")
    assert event.tags_complete is True
    assert event.removed_tags == ()
    assert event.customer == Person("ada@example.org", "Ada Byron", "9")
    assert event.agent == Person("alice@support.example", "Alice Moreno", "4")
    assert event.ticket_url == "https://secure.helpscout.net/conversation/555/77"
    assert event.occurred_at == datetime(2026, 3, 2, 9, 15, 40, tzinfo=UTC)


def test_an_empty_tag_list_is_a_complete_set_that_removes_every_tag() -> None:
    (event,) = helpscout.parse(TAGS, encode(v2_conversation(tags=[])))

    assert (event.tags, event.tags_complete) == ((), True)


def test_a_conversation_without_a_tags_field_says_nothing_about_tags() -> None:
    convo = v2_conversation()
    del convo["tags"]

    (event,) = helpscout.parse(TAGS, encode(convo))

    assert (event.tags, event.tags_complete) == ((), False)


def test_created_time_stands_in_when_no_modified_time_is_given() -> None:
    convo = v2_conversation()
    del convo["userUpdatedAt"]

    (event,) = helpscout.parse(TAGS, encode(convo))

    assert event.occurred_at == datetime(2026, 3, 1, 8, 0, tzinfo=UTC)


def test_a_customer_without_email_yields_no_event() -> None:
    body = encode(v2_conversation(primaryCustomer={"id": 9, "first": "Ada"}))

    assert helpscout.parse(TAGS, body) == []


def test_an_unassigned_conversation_has_no_agent() -> None:
    convo = v2_conversation()
    del convo["assignee"]

    (event,) = helpscout.parse(TAGS, encode(convo))

    assert event.agent is None


@pytest.mark.parametrize("body", [b"{}", b"not json at all"])
def test_the_test_event_is_acknowledged_whatever_its_body(body: bytes) -> None:
    assert helpscout.parse({"X-HelpScout-Event": "helpscout.test"}, body) == []


def test_known_events_without_a_conversation_yield_nothing() -> None:
    assert helpscout.parse({"X-HelpScout-Event": "customer.created"}, b'{"id": 9}') == []


def test_a_deleted_conversation_is_one_with_no_tags_left() -> None:
    (event,) = helpscout.parse({"x-helpscout-event": "convo.deleted"}, b'{"id": 555}')

    assert (event.ticket_id, event.tags, event.tags_complete) == ("555", (), True)
    assert event.customer == Person()


def test_a_deletion_that_names_no_conversation_is_refused() -> None:
    with pytest.raises(PayloadError):
        helpscout.parse({"x-helpscout-event": "convo.deleted"}, b'{"number": 12}')


def test_an_unknown_event_is_acknowledged_and_logged(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level("INFO", logger="integrations.helpscout")

    events = helpscout.parse({"X-HelpScout-Event": "convo.teleported"}, encode(v2_conversation()))

    assert events == []
    assert "helpscout.parse.unknown_event" in caplog.messages


def test_a_body_without_the_event_header_is_not_help_scout() -> None:
    with pytest.raises(PayloadError):
        helpscout.parse({}, encode(v2_conversation()))


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"\xff\xfe",
        b"[1, 2]",
        b'"conversation"',
        encode({"subject": "no id"}),
        encode(v2_conversation(id=None)),
        encode(v2_conversation(id=True)),
        encode(v2_conversation(tags="pain-a,pain-b")),
        encode(v2_conversation(tags=[{"id": 1}])),
        encode(v2_conversation(tags=[7])),
        encode(v2_conversation(userUpdatedAt="yesterday")),
        encode(v2_conversation(userUpdatedAt=1700000000)),
        encode({"id": 1, "primaryCustomer": {"email": "a@b.c"}}),
    ],
)
def test_malformed_conversations_are_payload_errors(body: bytes) -> None:
    with pytest.raises(PayloadError):
        helpscout.parse(TAGS, body)


@pytest.mark.parametrize("path", sorted(SAMPLES.glob("*.json")), ids=lambda p: p.name)
def test_every_demo_sample_parses_into_its_scenario_row(path: Path) -> None:
    event = sample_event(helpscout, path, SECRET)

    email, name, tags, subject = SCENARIO[event.ticket_id]
    assert (event.customer.email, event.customer.name) == (email, name)
    assert (event.tags, event.tags_complete, event.subject) == (tags, True, subject)
    assert event.agent is not None
    assert (event.agent.email, event.agent.name) == ("alice@support.example", "Alice Moreno")
    assert event.company is None


def test_the_samples_cover_every_scenario_ticket_once() -> None:
    tickets = [json.loads(p.read_text())["body"]["id"] for p in sorted(SAMPLES.glob("*.json"))]
    assert sorted(str(t) for t in tickets) == sorted(SCENARIO)


def test_signature_is_base64_hmac_sha1_of_the_body() -> None:
    body = encode(v2_conversation())
    expected = base64.b64encode(hmac.new(SECRET.encode(), body, hashlib.sha1).digest()).decode()

    assert helpscout.sign(body, SECRET) == {"X-HelpScout-Signature": expected}


def test_a_retry_of_the_same_delivery_has_the_same_id() -> None:
    body = encode(v2_conversation())
    retry = json.dumps(v2_conversation(), indent=2).encode()

    assert helpscout.delivery_id(TAGS, body) == helpscout.delivery_id(TAGS, retry)


@pytest.mark.parametrize(
    ("headers", "changes"),
    [
        ({"X-HelpScout-Event": "convo.assigned"}, {}),
        (TAGS, {"id": 556}),
        (TAGS, {"userUpdatedAt": "2026-03-02T09:15:41Z"}),
        (TAGS, {"tags": [{"tag": "vip"}]}),
    ],
)
def test_a_different_delivery_has_a_different_id(headers: dict, changes: dict) -> None:
    first = helpscout.delivery_id(TAGS, encode(v2_conversation()))

    assert helpscout.delivery_id(headers, encode(v2_conversation(**changes))) != first


def fixture(name: str) -> dict:
    return json.loads((FIXTURES / name).read_text())


def new_thread(convo: dict, thread_id: int, kind: str) -> dict:
    """The conversation after one more published thread (a reply or a note) in the same
    second: Help Scout's body shows it as a thread with its own id, and counts it."""
    changed = json.loads(json.dumps(convo))
    latest = dict(changed["threads"][0], id=thread_id, type=kind)
    changed["threads"] = [latest, *changed["threads"]]
    changed["threadCount"] += 1
    return changed


NOTE = "convo.note.created__SYNTHETIC_pipedream.json"
REPLY = "convo.customer.reply.created__SYNTHETIC_pipedream.json"
LEGACY = "convo.created__legacy_doc_example.json"


def legacy_with(**changes: object) -> dict:
    return {**fixture(LEGACY), **changes}


@pytest.mark.parametrize(
    ("event", "first", "second"),
    [
        # Two notes, two customer replies: a thread each, with its own id.
        ("convo.note.created", fixture(NOTE), new_thread(fixture(NOTE), 98254761, "note")),
        ("convo.customer.reply.created", fixture(REPLY), new_thread(fixture(REPLY), 9, "customer")),
        # Assigned to Jack, then to someone else; a status set twice; a custom field changed;
        # moved to another folder: the field itself tells them apart.
        ("convo.assigned", legacy_with(), legacy_with(owner={"id": 77, "email": "z@s.example"})),
        ("convo.status", legacy_with(status="pending"), legacy_with(status="closed")),
        ("convo.custom-fields", legacy_with(), legacy_with(customFields=[])),
        ("convo.moved", legacy_with(), legacy_with(folderId="5678")),
        ("convo.customer.reply.created", legacy_with(), legacy_with(customer={"id": 1})),
    ],
)
def test_two_changes_of_a_conversation_in_the_same_second_have_different_ids(
    event: str, first: dict, second: dict
) -> None:
    headers = {"X-HelpScout-Event": event}
    assert first["modifiedAt"] == second["modifiedAt"]  # the same second, the same tags
    assert first["tags"] == second["tags"]

    assert helpscout.delivery_id(headers, encode(first)) != helpscout.delivery_id(
        headers, encode(second)
    )


@pytest.mark.parametrize("name", sorted(FIXTURE_EVENTS))
def test_a_retry_of_a_fixture_has_its_id(name: str) -> None:
    """A retry sends the same conversation, whatever its bytes' layout."""
    headers = {"X-HelpScout-Event": name.split("__")[0]}
    body = (FIXTURES / name).read_bytes()
    retry = json.dumps(json.loads(body), separators=(",", ":"), sort_keys=True).encode()

    assert helpscout.delivery_id(headers, body) == helpscout.delivery_id(headers, retry)


@given(body=st.binary(max_size=64))
def test_delivery_id_never_raises_and_falls_back_to_the_bytes(body: bytes) -> None:
    assert helpscout.delivery_id({}, body) == body_fingerprint(body)
    assert isinstance(helpscout.delivery_id(TAGS, body), str)
