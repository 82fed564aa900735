"""Zendesk tickets deleted (to the trash or for good), through the real webhook path: the
tickets come in through the recommended trigger, the deletions through an event-subscribed
webhook (`zen:event-type:ticket.soft_deleted` / `ticket.permanently_deleted`), both signed
as Zendesk signs them. Counts stay honest, a retried event counts once, a broken one is
kept as invalid."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlmodel import Session, select

from tests.support import by_key, post_signed, token
from tests.test_helpdesk_lifecycle import zendesk
from voice_router.models import Delivery
from voice_router.problems import impact_check

FIXTURE = "tests/fixtures/zendesk/ticket.created__event_subscription_captured.json"


def deletion(ticket: str, kind: str, event_id: str, time: str) -> dict[str, Any]:
    """The captured event, as Zendesk sends it when ticket `ticket` is deleted: every
    ticket event carries the same `detail` (the ticket, its requester only by id)."""
    with open(FIXTURE, encoding="utf-8") as f:
        event: dict[str, Any] = json.load(f)
    event.update(type=f"zen:event-type:ticket.{kind}", id=event_id, time=time)
    event["subject"] = f"zen:ticket:{ticket}"
    event["detail"].update(id=ticket, status="DELETED", tags=["pain-export"])
    return event


def notified(client: Any, runtime: Any, problem_id: int) -> list[tuple[str, str]]:
    answer = client.get(f"/api/v1/problems/{problem_id}/notify", headers=token(runtime))
    assert answer.status_code == 200, answer.get_json()
    return [(r["customer_email"], r["ticket_id"]) for r in answer.get_json()["recipients"]]


def counts(client: Any, runtime: Any) -> tuple[int, int, int]:
    problem = by_key(client, runtime)["export"]
    return problem["customers"], problem["accounts"], problem["tickets"]


@pytest.mark.parametrize("kind", ["soft_deleted", "permanently_deleted"])
def test_a_ticket_deleted_in_zendesk_no_longer_counts(client, runtime, kind):
    kept = zendesk("8001", "ann@acme.com", "pain-export", "2026-11-20T10:00:00Z")
    gone = zendesk("8002", "bob@beta.io", "pain-export vip", "2026-11-20T10:00:00Z")
    for body in (kept, gone):
        assert post_signed(client, "zendesk", body).status_code == 202
    assert counts(client, runtime) == (2, 2, 2)

    trashed = deletion("8002", kind, "e-1", "2026-11-20T11:00:00Z")
    first = post_signed(client, "zendesk", trashed)
    again = post_signed(client, "zendesk", trashed)  # Zendesk's retry of the same event
    assert (first.status_code, again.status_code) == (202, 202)
    assert again.get_json()["duplicate"] is True

    assert counts(client, runtime) == (1, 1, 1)
    problem_id = by_key(client, runtime)["export"]["id"]
    assert notified(client, runtime, problem_id) == [("ann@acme.com", "8001")]
    assert impact_check.recompute_all(runtime.engine, fix=False) == []

    # Restored from the trash (a soft deletion only): its next delivery counts it again.
    back = zendesk("8002", "bob@beta.io", "pain-export", "2026-11-20T12:00:00Z")
    assert post_signed(client, "zendesk", back).status_code == 202
    assert counts(client, runtime) == (2, 2, 2)
    assert impact_check.recompute_all(runtime.engine, fix=False) == []


def test_a_deletion_naming_no_ticket_is_400_and_kept_as_invalid(client, runtime):
    body = zendesk("8006", "fy@phi.io", "pain-export", "2026-11-20T10:00:00Z")
    assert post_signed(client, "zendesk", body).status_code == 202
    broken = deletion("8006", "soft_deleted", "e-5", "2026-11-20T11:00:00Z")
    broken["subject"], broken["detail"]["id"] = None, ["8006"]
    wrong_time = deletion("8006", "soft_deleted", "e-6", "yesterday")
    del wrong_time["detail"]["updated_at"]

    for hostile in (broken, wrong_time, {**broken, "id": "e-7", "detail": "8006"}):
        answer = post_signed(client, "zendesk", hostile)
        assert answer.status_code == 400, answer.get_json()

    with Session(runtime.engine) as session:
        statuses = sorted(d.status for d in session.exec(select(Delivery)).all())
    assert statuses == ["invalid", "invalid", "invalid", "processed"]
    assert counts(client, runtime) == (1, 1, 1)
