"""`Adapter.named`, for every registered helpdesk: the customers a delivery names, by address
or helpdesk id, also where `parse` yields no event for them. `voice-router forget` finds a
person's deliveries by it (problems/delivery_erasure.py), and processing a delivery that
came in while forget ran (problems/forget_late.py), so it must name whoever `parse` names,
and still name them in a ticket without tags; that it reads any body without a crash is
in the contract (tests/integrations/contract.py)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from integrations.events import Person
from tests.integrations.contract import parse_as_processed, signed
from tests.integrations.helpdesks import DESKS, Desk
from tests.support import ZENDESK_ID, zendesk_event
from voice_router.intake.inbox import stored_headers

by_kind = pytest.mark.parametrize("desk", DESKS, ids=lambda desk: desk.kind)


def kept_headers(desk: Desk, delivery: Any) -> dict[str, str]:
    """The headers intake keeps, as processing and forget hand them to the adapter."""
    return json.loads(stored_headers(signed(desk, delivery)))  # type: ignore[no-any-return]  # a JSON object


def untagged(node: Any) -> Any:
    """The document with every key about tags left out."""
    if isinstance(node, dict):
        return {k: untagged(v) for k, v in node.items() if "tag" not in k.lower()}
    if isinstance(node, list):
        return [untagged(value) for value in node]
    return node


@by_kind
def test_named_holds_every_customer_parse_yields(desk: Desk) -> None:
    for delivery in desk.deliveries():
        headers = kept_headers(desk, delivery)
        customers = [e.customer for e in parse_as_processed(desk, delivery)]
        named = desk.adapter.named(headers, delivery.body)
        assert all(c in named for c in customers if c.email or c.external_id), delivery.name


@by_kind
def test_a_ticket_without_tags_still_names_its_customer(desk: Desk) -> None:
    """Acknowledged with no event, the delivery is stored as it came, with the customer's
    words: forget must still find it theirs."""
    for delivery in desk.sample_deliveries():
        [event] = parse_as_processed(desk, delivery)
        body = json.dumps(untagged(json.loads(delivery.body))).encode()
        assert desk.adapter.named(kept_headers(desk, delivery), body) == [event.customer]


def test_a_zendesk_event_names_its_requester_by_id_alone() -> None:
    """Zendesk's event webhooks carry `requester_id` and no address: no event, a requester."""
    desk = next(desk for desk in DESKS if desk.kind == "zendesk")
    body = json.dumps(zendesk_event("Z-1", "Export fails")).encode()
    assert desk.adapter.parse({}, body) == []
    assert desk.adapter.named({}, body) == [Person(external_id=ZENDESK_ID)]
