"""integrations/generic: `sha256=` hex HMAC-SHA256 of `timestamp.body` (5-minute window) and the
body shape fixed by DESIGN.md, documented in docs/helpdesks/generic.md."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from integrations import generic
from integrations.events import Company, PayloadError, Person, SignatureError
from integrations.signing import body_fingerprint
from tests.integrations.helpdesks import sample_event

SAMPLES = Path(__file__).parents[2] / "voice_router" / "samples" / "generic"
SECRET = "generic-test-secret"
NOW = datetime(2026, 3, 6, 12, 0, tzinfo=UTC)

SCENARIO = {
    "6001": {
        "customer": ("anna.berg@umbrella.co", "Anna Berg"),
        "company": ("Umbrella", Decimal(2500)),
        "tags": ("pain-sso-login-loop",),
        "subject": "SSO login loop on our tenant",
        "agent": ("frank@support.example", "Frank Osei"),
    },
    "6002": {
        "customer": ("kenji.sato@hooli.dev", "Kenji Sato"),
        "company": ("Hooli", Decimal(400)),
        "tags": ("pain-csv-export-timeout",),
        "subject": "Export timeout again",
        "agent": ("frank@support.example", "Frank Osei"),
    },
}


def delivery(**changes: Any) -> dict[str, Any]:
    document: dict[str, Any] = {
        "id": "dlv-1",
        "ticket": {"id": "T-9", "url": "https://desk.example/t/9", "subject": "Export hangs"},
        "customer": {"email": "ada@lovelace.example", "name": "Ada", "company": "Analytical"},
        "agent": {"email": "bob@support.example", "name": "Bob"},
        "tags": ["pain-export"],
        "removed_tags": [],
        "occurred_at": "2026-03-06T11:59:00Z",
    }
    document.update(changes)
    return document


def parse(document: object, now: datetime = NOW) -> list:
    body = json.dumps(document).encode()
    return generic.parse(generic.sign(body, SECRET, now=now), body)


def test_samples_cover_the_generic_rows_of_the_demo_scenario() -> None:
    tickets = {json.loads(path.read_bytes())["body"]["ticket"]["id"] for path in SAMPLES.glob("*")}
    assert tickets == set(SCENARIO)


@pytest.mark.parametrize("path", sorted(SAMPLES.glob("*.json")), ids=lambda path: path.name)
def test_each_sample_parses_into_its_scenario_row(path: Path) -> None:
    event = sample_event(generic, path, SECRET)

    row = SCENARIO[event.ticket_id]
    assert (event.customer.email, event.customer.name) == row["customer"]
    assert event.company is not None
    assert (event.company.name, event.company.mrr) == row["company"]
    assert (event.tags, event.tags_complete) == (row["tags"], False)
    assert event.subject == row["subject"]
    assert event.agent == Person(email=row["agent"][0], name=row["agent"][1])
    assert event.occurred_at.year == 2026


def test_the_documented_test_vector_holds() -> None:
    body = b'{"id":"dlv-1"}'
    assert generic.sign(body, "s3cr3t", now=datetime.fromtimestamp(1772791800, UTC)) == {
        "X-Voice-Router-Timestamp": "1772791800",
        "X-Voice-Router-Signature": (
            "sha256=105c1d2393965e69dd1f4d779ffe0dc25ef7d60c408c2492c4a0be307d1bd5c3"
        ),
    }


@pytest.mark.parametrize("timestamp", ["", "noon", "1.5", "-60", "1e9", "2026-03-06T12:00:00Z"])
def test_a_timestamp_that_is_not_unix_seconds_fails(timestamp: str) -> None:
    headers = generic.sign(b"{}", SECRET, now=NOW)
    headers["X-Voice-Router-Timestamp"] = timestamp
    with pytest.raises(SignatureError):
        generic.verify(headers, b"{}", SECRET, now=NOW)


def test_an_empty_configured_secret_never_verifies() -> None:
    with pytest.raises(SignatureError):
        generic.verify(generic.sign(b"{}", "", now=NOW), b"{}", "", now=NOW)


def test_delivery_id_is_the_senders_id() -> None:
    body = json.dumps(delivery(id="abc-42")).encode()
    assert generic.delivery_id({}, body) == "abc-42"
    assert generic.delivery_id({}, json.dumps(delivery(id=42)).encode()) == "42"


def test_different_deliveries_have_different_ids() -> None:
    first = json.dumps(delivery(id="a")).encode()
    second = json.dumps(delivery(id="b")).encode()
    assert generic.delivery_id({}, first) == generic.delivery_id({}, first)
    assert generic.delivery_id({}, first) != generic.delivery_id({}, second)


def test_a_delivery_without_an_id_is_identified_by_its_bytes() -> None:
    assert generic.delivery_id({}, b"not json") == body_fingerprint(b"not json")
    assert generic.delivery_id({}, b'{"id":""}') == body_fingerprint(b'{"id":""}')


def test_a_delivery_becomes_one_event() -> None:
    [event] = parse(delivery())

    assert event.ticket_id == "T-9"
    assert event.ticket_url == "https://desk.example/t/9"
    assert event.subject == "Export hangs"
    assert event.customer == Person(email="ada@lovelace.example", name="Ada")
    assert event.company == Company(name="Analytical")
    assert event.agent == Person(email="bob@support.example", name="Bob")
    assert event.occurred_at == datetime(2026, 3, 6, 11, 59, tzinfo=UTC)


def test_tags_are_deltas_unless_the_delivery_says_they_are_complete() -> None:
    [delta] = parse(delivery(tags=["a"], removed_tags=["b"]))
    [complete] = parse(delivery(tags=["a"], tags_complete=True))

    assert (delta.tags, delta.removed_tags, delta.tags_complete) == (("a",), ("b",), False)
    assert (complete.tags, complete.tags_complete) == (("a",), True)


def test_a_complete_empty_tag_set_still_counts() -> None:
    [event] = parse(delivery(tags=[], tags_complete=True))
    assert (event.tags, event.tags_complete) == ((), True)


def test_a_delivery_that_changes_no_tags_carries_nothing() -> None:
    assert parse(delivery(tags=[], removed_tags=[])) == []
    assert parse(delivery(tags=None, removed_tags=None)) == []


@pytest.mark.parametrize(
    ("given_mrr", "mrr"),
    [(2500, Decimal(2500)), (99.5, Decimal("99.5")), ("400.00", Decimal("400.00")), (None, None)],
)
def test_mrr_is_a_number_or_a_numeric_string(given_mrr: object, mrr: Decimal | None) -> None:
    customer = {"email": "ada@lovelace.example", "company": "Analytical", "mrr": given_mrr}
    [event] = parse(delivery(customer=customer))
    assert event.company == Company(name="Analytical", mrr=mrr)


def test_a_customer_may_be_known_by_id_alone() -> None:
    [event] = parse(delivery(customer={"id": 77}))
    assert (event.customer, event.company) == (Person(external_id="77"), None)


@pytest.mark.parametrize(
    ("occurred_at", "expected"),
    [
        ("2026-03-06T11:00:00Z", datetime(2026, 3, 6, 11, 0, tzinfo=UTC)),
        ("2026-03-06T12:00:00+01:00", datetime(2026, 3, 6, 11, 0, tzinfo=UTC)),
        (1772794800, datetime(2026, 3, 6, 11, 0, tzinfo=UTC)),
        (1772794800.5, datetime(2026, 3, 6, 11, 0, 0, 500000, tzinfo=UTC)),
        ("1772794800", datetime(2026, 3, 6, 11, 0, tzinfo=UTC)),
    ],
)
def test_occurred_at_is_iso_8601_with_an_offset_or_unix_seconds(
    occurred_at: object, expected: datetime
) -> None:
    [event] = parse(delivery(occurred_at=occurred_at))
    assert event.occurred_at == expected


def test_without_occurred_at_the_send_time_is_used() -> None:
    document = delivery()
    del document["occurred_at"]

    [event] = parse(document, now=NOW)

    assert event.occurred_at == NOW


def test_without_occurred_at_or_a_send_time_the_delivery_is_a_payload_error() -> None:
    document = delivery()
    del document["occurred_at"]
    with pytest.raises(PayloadError):
        generic.parse({}, json.dumps(document).encode())


@pytest.mark.parametrize(
    "changes",
    [
        {"id": None},
        {"id": ""},
        {"id": ["x"]},
        {"ticket": None},
        {"ticket": {"url": "https://desk.example/t/9"}},
        {"ticket": {"id": True}},
        {"ticket": {"id": "1", "url": "javascript:alert(1)"}},
        {"ticket": {"id": "1", "subject": 5}},
        {"customer": None},
        {"customer": {"name": "No Address"}},
        {"customer": {"email": ["a@b.example"]}},
        {"customer": {"email": "a@b.example", "mrr": "lots"}},
        {"customer": {"email": "a@b.example", "mrr": "NaN"}},
        {"customer": {"email": "a@b.example", "mrr": True}},
        {"customer": {"email": "a@b.example", "company": {"name": "A"}}},
        {"agent": "bob@support.example"},
        {"tags": "pain-export"},
        {"tags": ["pain-export", 7]},
        {"removed_tags": {"a": 1}},
        {"tags_complete": "yes"},
        {"occurred_at": "2026-03-06T11:00:00"},
        {"occurred_at": "last tuesday"},
        {"occurred_at": True},
        {"occurred_at": 1e20},
        {"occurred_at": "0001-01-01T00:00:00+01:00"},
    ],
    ids=repr,
)
def test_a_malformed_delivery_is_a_payload_error(changes: dict[str, Any]) -> None:
    with pytest.raises(PayloadError):
        parse(delivery(**changes))
