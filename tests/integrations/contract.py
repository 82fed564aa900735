"""The checks every helpdesk adapter must pass, whatever the helpdesk: one function per
condition, taking a `Desk` (tests/integrations/helpdesks.py). test_contract.py runs them
over every registered kind, test_new_helpdesk.py over a kind added from a copied folder.
A helpdesk's own test file keeps only what is peculiar to it."""

from __future__ import annotations

import contextlib
import dataclasses
import importlib
import json
import re
import socket
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pytest_httpserver import HTTPServer
from sqlmodel import Session, select
from werkzeug import Request, Response

from integrations import registry
from integrations.events import (
    PainPointEvent,
    PayloadError,
    Person,
    SignatureError,
    StaleDeliveryError,
)
from integrations.payload import clean
from integrations.registry import make_client
from integrations.writeback import (
    NoteExample,
    NoteResult,
    WritebackPermanent,
    WritebackTransient,
)
from tests.integrations.helpdesks import JSON, SECRET, Delivery, Desk, paths, replaced
from voice_router.intake.inbox import stored_headers
from voice_router.models import Delivery as StoredDelivery
from voice_router.models import PainPoint

NOW = datetime(2026, 3, 4, 9, 0, tzinfo=UTC)
FOLDER_FILES = ("__init__.py", "parse.py", "writeback.py")
ANY_PATH = re.compile(".*")
NOT_AN_OBJECT = [b"", b"not json", b"\xff\xfe", b"[]", b"1", b'"text"', b"[" * 100_000, b"{}"]


def signed(
    desk: Desk, delivery: Delivery, secret: str = SECRET, now: datetime | None = NOW
) -> dict[str, str]:
    return {**delivery.headers, **desk.adapter.sign(delivery.body, secret, now)}


def parse_as_processed(desk: Desk, delivery: Delivery) -> list[PainPointEvent]:
    """What processing does: parse with the headers intake kept (no credentials)."""
    kept = json.loads(stored_headers(signed(desk, delivery)))
    return desk.adapter.parse(kept, delivery.body)


def check_the_registry_serves_the_folders_adapter(desk: Desk) -> None:
    package = importlib.import_module(registry.HELPDESKS[desk.kind])
    assert desk.adapter is package.ADAPTER and desk.adapter.kind == desk.kind
    folder = Path(package.__file__ or "").parent
    assert all((folder / name).is_file() for name in FOLDER_FILES)
    assert desk.deliveries(), "a helpdesk needs fixtures or samples to be tested"


# Signatures ----------------------------------------------------------------------------


def check_a_signed_delivery_verifies_whatever_the_header_case(desk: Desk) -> None:
    for delivery in desk.deliveries():
        headers = signed(desk, delivery)
        desk.adapter.verify(headers, delivery.body, SECRET, NOW)
        lowered = {name.lower(): value for name, value in headers.items()}
        desk.adapter.verify(lowered, delivery.body, SECRET, NOW)


def check_a_wrong_secret_is_refused(desk: Desk) -> None:
    delivery = desk.deliveries()[0]
    with pytest.raises(SignatureError):
        desk.adapter.verify(signed(desk, delivery, "another-secret"), delivery.body, SECRET, NOW)


def _changed(value: str) -> str:
    middle = len(value) // 2
    return (
        value[:middle] + ("A" if value[middle : middle + 1] != "A" else "B") + value[middle + 1 :]
    )


def check_a_missing_or_changed_credential_is_refused(desk: Desk) -> None:
    delivery = desk.deliveries()[0]
    credentials = desk.adapter.sign(delivery.body, SECRET, NOW)
    with pytest.raises(SignatureError):
        desk.adapter.verify(delivery.headers, delivery.body, SECRET, NOW)
    for name, value in credentials.items():
        missing = {k: v for k, v in signed(desk, delivery).items() if k != name}
        with pytest.raises(SignatureError):
            desk.adapter.verify(missing, delivery.body, SECRET, NOW)
        with pytest.raises(SignatureError):
            headers = {**signed(desk, delivery), name: _changed(value)}
            desk.adapter.verify(headers, delivery.body, SECRET, NOW)


def check_any_changed_byte_of_a_signed_body_is_refused(desk: Desk) -> None:
    """Where the credential covers the body; Freshdesk's Basic auth does not."""
    delivery = desk.deliveries()[0]
    headers = signed(desk, delivery)

    @given(st.data())
    def flip(data: st.DataObject) -> None:
        body = bytearray(delivery.body)
        at = data.draw(st.integers(0, len(body) - 1))
        body[at] ^= data.draw(st.integers(1, 255))
        if desk.adapter.signs_body:
            with pytest.raises(SignatureError):
                desk.adapter.verify(headers, bytes(body), SECRET, NOW)
        else:
            desk.adapter.verify(headers, bytes(body), SECRET, NOW)

    flip()


def check_a_timestamped_signature_holds_for_five_minutes(desk: Desk) -> None:
    """Schemes whose headers change with the send time must refuse a delivery six minutes
    old or ahead, and a time header swapped from another delivery; others have no window."""
    delivery = desk.deliveries()[0]
    later = NOW + timedelta(seconds=61)
    first, second = signed(desk, delivery), signed(desk, delivery, now=later)
    if first == second:
        desk.adapter.verify(first, delivery.body, SECRET, NOW + timedelta(days=1))
        return
    desk.adapter.verify(first, delivery.body, SECRET, NOW + timedelta(minutes=4))
    for age in (timedelta(minutes=6), timedelta(minutes=-6)):
        with pytest.raises(StaleDeliveryError):
            desk.adapter.verify(signed(desk, delivery, now=NOW - age), delivery.body, SECRET, NOW)
    for name in (name for name in first if first[name] != second[name]):
        with pytest.raises(SignatureError):
            desk.adapter.verify({**first, name: second[name]}, delivery.body, SECRET, NOW)


# Parsing -------------------------------------------------------------------------------


def _assert_events(events: object) -> None:
    assert isinstance(events, list)
    for event in events:
        assert isinstance(event, PainPointEvent)
        assert event.ticket_id and event.occurred_at.tzinfo is not None
        assert all(isinstance(tag, str) for tag in (*event.tags, *event.removed_tags))
        for value in _strings(dataclasses.asdict(event)):
            assert value == clean(value), f"unclean text reached the core: {value!r}"


def _assert_named(people: object) -> None:
    assert isinstance(people, list)
    assert all(isinstance(p, Person) and (p.email or p.external_id) for p in people)


def _strings(node: object) -> list[str]:
    if isinstance(node, str):
        return [node]
    if isinstance(node, dict):
        return [s for value in node.values() for s in _strings(value)]
    if isinstance(node, list | tuple):
        return [s for value in node for s in _strings(value)]
    return []


def check_every_fixture_and_sample_parses(desk: Desk) -> None:
    for delivery in desk.deliveries():
        _assert_events(parse_as_processed(desk, delivery))


def check_every_sample_is_one_tagged_ticket_of_a_known_customer(desk: Desk) -> None:
    for delivery in desk.sample_deliveries():
        [event] = parse_as_processed(desk, delivery)
        assert event.tags and (event.customer.email or event.customer.external_id)


def check_a_body_that_is_not_an_object_is_a_payload_error(desk: Desk) -> None:
    headers = desk.deliveries()[0].headers
    for body in NOT_AN_OBJECT:
        with pytest.raises(PayloadError):
            desk.adapter.parse(headers, body)


def check_any_json_value_parses_or_is_a_payload_error(desk: Desk) -> None:
    headers = desk.deliveries()[0].headers

    @given(JSON)
    def parse_any(value: object) -> None:
        with contextlib.suppress(PayloadError):
            _assert_events(desk.adapter.parse(headers, json.dumps(value).encode()))
        with contextlib.suppress(PayloadError):
            _assert_named(desk.adapter.named(headers, json.dumps(value).encode()))

    parse_any()


def check_any_part_of_a_real_delivery_may_be_replaced_without_a_crash(desk: Desk) -> None:
    documents = [(d.headers, json.loads(d.body)) for d in desk.deliveries()]

    @given(st.data())
    def replace_any(data: st.DataObject) -> None:
        headers, document = data.draw(st.sampled_from(documents))
        path = data.draw(st.sampled_from(paths(document)[1:]))
        body = json.dumps(replaced(document, path, data.draw(JSON))).encode()
        with contextlib.suppress(PayloadError):
            _assert_events(desk.adapter.parse(headers, body))
        with contextlib.suppress(PayloadError):  # forget reads every stored body with it
            _assert_named(desk.adapter.named(headers, body))

    replace_any()


# Delivery ids --------------------------------------------------------------------------


def check_delivery_ids_are_stable_and_tell_deliveries_apart(desk: Desk) -> None:
    deliveries = desk.deliveries()
    ids = [desk.adapter.delivery_id(signed(desk, d), d.body) for d in deliveries]
    assert ids == [desk.adapter.delivery_id(signed(desk, d), d.body) for d in deliveries]
    assert all(isinstance(found, str) and found for found in ids)
    assert len(set(ids)) == len(deliveries)


def check_delivery_id_never_raises(desk: Desk) -> None:
    headers = desk.deliveries()[0].headers

    @given(st.binary(max_size=64) | JSON.map(lambda value: json.dumps(value).encode()))
    def any_body(body: bytes) -> None:
        assert isinstance(desk.adapter.delivery_id(headers, body), str)
        assert isinstance(desk.adapter.delivery_id({}, body), str)

    any_body()


# Write-back ----------------------------------------------------------------------------


def note_example(desk: Desk) -> NoteExample:
    client_class = desk.adapter.writeback
    assert client_class is not None
    example: NoteExample = sys.modules[client_class.__module__].EXAMPLE
    return example


def check_the_documented_note_is_posted_once(desk: Desk, httpserver: HTTPServer) -> None:
    example = note_example(desk)
    for exchange in example.exchanges:
        httpserver.expect_ordered_request(exchange.path, method=exchange.method).respond_with_data(
            "" if exchange.answer is None else json.dumps(exchange.answer),
            status=exchange.status,
            headers=dict(exchange.headers),
            content_type="application/json",
        )
    with make_client(desk.kind, httpserver.url_for("/"), "token-1", timeout=2) as client:
        result = client.post_internal_note(example.ticket_id, "Fixed: the login loop")

    assert result == NoteResult(example.note_id)
    httpserver.check_assertions()
    assert len(httpserver.log) == len(example.exchanges)
    note, _ = httpserver.log[-1]
    assert "Fixed: the login loop" in note.get_data(as_text=True)
    assert note.headers.get("Authorization")


def _answer_everything(httpserver: HTTPServer, status: int, **headers: str) -> None:
    httpserver.expect_request(ANY_PATH).respond_with_data(
        "{}", status=status, headers=headers, content_type="application/json"
    )


def check_every_status_means_what_its_table_says(desk: Desk, httpserver: HTTPServer) -> None:
    example = note_example(desk)
    client_class = desk.adapter.writeback
    assert client_class is not None and client_class.statuses
    for code, meaning in sorted(client_class.statuses.items()):
        httpserver.clear()
        _answer_everything(httpserver, code, **{"Retry-After": "7"})
        with (
            make_client(desk.kind, httpserver.url_for("/"), f"t-{code}", timeout=2) as client,
            pytest.raises((WritebackTransient, WritebackPermanent)) as caught,
        ):
            client.post_internal_note(example.ticket_id, "Fixed")
        error = caught.value
        assert (error.reason, error.transient, error.status) == (
            meaning.reason,
            meaning.transient,
            code,
        ), code
        if meaning.transient:
            assert isinstance(error, WritebackTransient) and error.retry_after == 7.0


def check_an_unknown_server_error_is_transient(desk: Desk, httpserver: HTTPServer) -> None:
    _answer_everything(httpserver, 599)
    with (
        make_client(desk.kind, httpserver.url_for("/"), "token-2", timeout=2) as client,
        pytest.raises(WritebackTransient),
    ):
        client.post_internal_note(note_example(desk).ticket_id, "Fixed")


def check_an_id_that_is_no_ticket_is_refused_unsent(desk: Desk, httpserver: HTTPServer) -> None:
    with make_client(desk.kind, httpserver.url_for("/"), "token-3", timeout=2) as client:
        for ticket_id in ("", "..", "../" + note_example(desk).ticket_id, "a b"):
            with pytest.raises(WritebackPermanent) as caught:
                client.post_internal_note(ticket_id, "Fixed")
            assert caught.value.reason == "bad_ticket_id"
    assert httpserver.log == []


def check_a_slow_answer_is_a_transient_timeout(desk: Desk, httpserver: HTTPServer) -> None:
    """The client gives up at its timeout (0.3 s) instead of waiting for an answer held back
    for 10 s. The bound leaves a busy machine seconds of slack: a wall-clock bound close to
    the timeout failed in CI when another test held the core."""
    release, answered = threading.Event(), threading.Event()

    def slow(request: Request) -> Response:
        release.wait(10)
        answered.set()
        return Response("{}", status=200, content_type="application/json")

    httpserver.expect_request(ANY_PATH).respond_with_handler(slow)
    started = time.monotonic()
    with (
        make_client(desk.kind, httpserver.url_for("/"), "token-4", timeout=0.3) as client,
        pytest.raises(WritebackTransient) as caught,
    ):
        client.post_internal_note(note_example(desk).ticket_id, "Fixed")
    gave_up_after = time.monotonic() - started
    release.set()
    assert caught.value.reason == "timeout" and gave_up_after < 3
    assert answered.wait(10)
    # The server logs the exchange once the handler has returned: wait for that here, or
    # the entry lands in the next test's log (the server is shared by the tests of a worker).
    deadline = time.monotonic() + 10
    while not httpserver.log:
        assert time.monotonic() < deadline, "the held-back request was never logged"
        time.sleep(0.01)


def check_a_closed_port_is_a_transient_failure(desk: Desk) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with (
        make_client(desk.kind, f"http://127.0.0.1:{port}", "token-5", timeout=0.5) as client,
        pytest.raises(WritebackTransient) as caught,
    ):
        client.post_internal_note(note_example(desk).ticket_id, "Fixed")
    assert caught.value.reason == "connection_failed"


# Through the service -------------------------------------------------------------------


def check_a_signed_sample_becomes_a_pain_point(desk: Desk, runtime: Any) -> None:
    """POST /webhooks/<kind> on the Flask app, stored, processed: one pain point per sample
    ticket. `runtime` has a source named after the kind, with SECRET."""
    from voice_router.web import create_app

    client = create_app(runtime=runtime).test_client()
    samples = desk.sample_deliveries()
    for delivery in samples:
        headers = {"Content-Type": "application/json", **signed(desk, delivery, now=None)}
        response = client.post(f"/webhooks/{desk.kind}", data=delivery.body, headers=headers)
        assert response.status_code == 202, response.get_json()
    with Session(runtime.engine) as session:
        stored = session.exec(select(StoredDelivery)).all()
        tickets = {p.ticket_id for p in session.exec(select(PainPoint)) if p.source == desk.kind}
    assert [(d.kind, d.status) for d in stored] == [(desk.kind, "processed")] * len(samples)
    assert tickets == {parse_as_processed(desk, d)[0].ticket_id for d in samples}


SIGNATURE_CHECKS = [
    check_the_registry_serves_the_folders_adapter,
    check_a_signed_delivery_verifies_whatever_the_header_case,
    check_a_wrong_secret_is_refused,
    check_a_missing_or_changed_credential_is_refused,
    check_any_changed_byte_of_a_signed_body_is_refused,
    check_a_timestamped_signature_holds_for_five_minutes,
]
PARSE_CHECKS = [
    check_every_fixture_and_sample_parses,
    check_every_sample_is_one_tagged_ticket_of_a_known_customer,
    check_a_body_that_is_not_an_object_is_a_payload_error,
    check_any_json_value_parses_or_is_a_payload_error,
    check_any_part_of_a_real_delivery_may_be_replaced_without_a_crash,
    check_delivery_ids_are_stable_and_tell_deliveries_apart,
    check_delivery_id_never_raises,
]
ADAPTER_CHECKS = SIGNATURE_CHECKS + PARSE_CHECKS
WRITEBACK_CHECKS = [
    check_the_documented_note_is_posted_once,
    check_every_status_means_what_its_table_says,
    check_an_unknown_server_error_is_transient,
    check_an_id_that_is_no_ticket_is_refused_unsent,
    check_a_slow_answer_is_a_transient_timeout,
]
