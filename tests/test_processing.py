"""Deliveries become problems with honest impact counts."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from sqlmodel import Session, select

from integrations import generic
from tests.support import by_key, generic_delivery, post_signed, problems
from voice_router.intake import processing
from voice_router.models import Customer, CustomerIdentity, Delivery
from voice_router.platform import schedule


def send(client, *deliveries):
    for body in deliveries:
        assert post_signed(client, "generic", body).status_code == 202


def test_tag_variants_are_one_problem(client, runtime):
    send(
        client,
        generic_delivery("T1", "a@acme.com", ["pain-jira-login"]),
        generic_delivery("T2", "b@globex.io", ["pain:Jira_Login"]),
        generic_delivery("T3", "c@initech.com", ["PAIN jira login"]),
    )
    found = by_key(client, runtime)
    assert list(found) == ["jira-login"]
    assert found["jira-login"]["customers"] == 3
    assert found["jira-login"]["tickets"] == 3
    assert found["jira-login"]["title"] == "Jira login"


def test_unseen_format_characters_make_no_problem_of_their_own(client, runtime):
    """A zero-width space and a right-to-left override in a tag: unseen, they made a problem
    apart whose key (and Jira summary) read `hostile` backwards from the override on."""
    send(
        client,
        generic_delivery("T1", "a@acme.com", ["pain-hostile"]),
        generic_delivery("T2", "b@globex.io", ["pain-\u200bhost\u202eile"]),
        generic_delivery("T3", "c@initech.com", ["pain-Jos\u00e9\u200d"]),
    )
    found = by_key(client, runtime)
    assert sorted(found) == ["hostile", "josé"]
    assert found["hostile"]["customers"] == 2


def test_delivery_with_no_pain_tag_changes_nothing(client, runtime):
    send(client, generic_delivery("T1", "a@acme.com", ["billing", "vip"]))
    assert problems(client, runtime) == []
    with Session(runtime.engine) as session:
        assert session.exec(select(Customer)).all() == []
        assert session.exec(select(Delivery.status)).all() == ["processed"]


def test_a_ticket_with_two_pain_tags_counts_for_both(client, runtime):
    send(client, generic_delivery("T1", "a@acme.com", ["pain-export", "pain-login"]))
    found = by_key(client, runtime)
    assert found["export"]["tickets"] == found["login"]["tickets"] == 1


def test_removed_tag_detaches_the_ticket(client, runtime):
    send(
        client,
        generic_delivery("T1", "a@acme.com", ["pain-export"], occurred_at="2026-11-20T10:00:00Z"),
        generic_delivery("T2", "b@globex.io", ["pain-export"], occurred_at="2026-11-20T10:00:00Z"),
    )
    assert by_key(client, runtime)["export"]["customers"] == 2
    send(
        client,
        generic_delivery(
            "T1", "a@acme.com", removed_tags=["pain-export"], occurred_at="2026-11-20T11:00:00Z"
        ),
    )
    export = by_key(client, runtime)["export"]
    assert (export["customers"], export["accounts"], export["tickets"]) == (1, 1, 1)


def test_tags_added_again_after_removal_count_again(client, runtime):
    send(
        client,
        generic_delivery("T1", "a@acme.com", ["pain-export"], occurred_at="2026-11-20T10:00:00Z"),
        generic_delivery(
            "T1", "a@acme.com", removed_tags=["pain-export"], occurred_at="2026-11-20T11:00:00Z"
        ),
        generic_delivery("T1", "a@acme.com", ["pain-export"], occurred_at="2026-11-20T12:00:00Z"),
    )
    assert by_key(client, runtime)["export"]["tickets"] == 1


def test_a_late_old_event_does_not_undo_a_newer_removal(client, runtime):
    send(
        client,
        generic_delivery(
            "T1", "a@acme.com", removed_tags=["pain-export"], occurred_at="2026-11-20T11:00:00Z"
        ),
        generic_delivery("T1", "a@acme.com", ["pain-export"], occurred_at="2026-11-20T10:00:00Z"),
        generic_delivery("T2", "b@globex.io", ["pain-export"], occurred_at="2026-11-20T10:00:00Z"),
    )
    assert by_key(client, runtime)["export"]["tickets"] == 1


def test_a_second_removal_is_remembered_against_a_late_add_from_between(client, runtime):
    """Fault audit: add 10:00, removal 11:00, removal 13:00, then the add of 12:00 arrives
    late; the latest word (13:00) is a removal, so the ticket stays out."""
    send(
        client,
        generic_delivery("T1", "a@acme.com", ["pain-export"], occurred_at="2026-11-20T10:00:00Z"),
        generic_delivery(
            "T1", "a@acme.com", removed_tags=["pain-export"], occurred_at="2026-11-20T11:00:00Z"
        ),
        generic_delivery(
            "T1", "a@acme.com", removed_tags=["pain-export"], occurred_at="2026-11-20T13:00:00Z"
        ),
        generic_delivery("T1", "a@acme.com", ["pain-export"], occurred_at="2026-11-20T12:00:00Z"),
        generic_delivery("T2", "b@globex.io", ["pain-export"], occurred_at="2026-11-20T10:00:00Z"),
    )
    export = by_key(client, runtime)["export"]
    assert (export["customers"], export["tickets"]) == (1, 1)


def test_a_tag_added_after_an_early_removal_is_reported_when_added(client, runtime):
    """The removal came first (a tombstone); the ticket was reported when the tag was added,
    not at the removal's time."""
    send(
        client,
        generic_delivery(
            "T1", "a@acme.com", removed_tags=["pain-export"], occurred_at="2026-11-18T11:00:00Z"
        ),
        generic_delivery("T1", "a@acme.com", ["pain-export"], occurred_at="2026-11-20T12:00:00Z"),
    )
    export = by_key(client, runtime)["export"]
    assert export["tickets"] == 1
    assert export["first_seen"].startswith("2026-11-20T12:00:00")


def test_full_tag_set_without_the_pain_tag_detaches(client, runtime):
    send(client, generic_delivery("T1", "a@acme.com", ["pain-export"]))
    complete = generic_delivery("T1", "a@acme.com", ["vip"], occurred_at="2026-11-21T10:00:00Z")
    complete["tags_complete"] = True
    send(client, complete)
    assert by_key(client, runtime)["export"]["tickets"] == 0


def test_same_person_through_two_helpdesks_is_one_customer(client, runtime):
    from integrations.events import Person  # noqa: F401  (shape reference)

    send(
        client,
        generic_delivery("T1", "Maria.Lopez@Acme-Corp.com", ["pain-sso"], customer_id="gen-1"),
    )
    zendesk_body = {
        "ticket": {
            "id": "2002",
            "url": "acme.zendesk.com/agent/tickets/2002",
            "title": "SSO loop",
            "tags": "pain-sso vip",
            "updated_at": "2026-11-20T10:00:00Z",
            "requester": {
                "email": "maria.lopez@acme-corp.com",
                "name": "Maria Lopez",
                "id": "zd-9",
            },
            "organization": {"name": "Acme Corp"},
            "assignee": {"email": "bob@support.example", "name": "Bob"},
        }
    }
    assert post_signed(client, "zendesk", zendesk_body).status_code == 202
    sso = by_key(client, runtime)["sso"]
    assert (sso["customers"], sso["accounts"], sso["tickets"]) == (1, 1, 2)
    with Session(runtime.engine) as session:
        [customer] = session.exec(select(Customer)).all()
        identities = session.exec(select(CustomerIdentity)).all()
    assert customer.email == "maria.lopez@acme-corp.com"
    assert {(i.source, i.external_id) for i in identities} >= {("generic", "gen-1")}


@pytest.mark.parametrize("email", ["sam@gmail.com", "olga@yahoo.com", "x@outlook.com"])
def test_free_mail_domains_are_not_accounts(client, runtime, email):
    send(client, generic_delivery("T1", email, ["pain-pdf"]))
    pdf = by_key(client, runtime)["pdf"]
    assert (pdf["customers"], pdf["accounts"]) == (1, 0)


def test_free_mail_customer_with_a_company_counts_that_company(client, runtime):
    send(client, generic_delivery("T1", "sam@gmail.com", ["pain-pdf"], company="Sam's Bakery"))
    assert by_key(client, runtime)["pdf"]["accounts"] == 1


def test_mrr_is_summed_over_distinct_accounts(client, runtime):
    send(
        client,
        generic_delivery("T1", "a@umbrella.co", ["pain-sso"], company="Umbrella", mrr=2500),
        generic_delivery("T2", "b@umbrella.co", ["pain-sso"], company="Umbrella", mrr=2500),
        generic_delivery("T3", "k@hooli.dev", ["pain-sso"], company="Hooli", mrr=400),
        generic_delivery("T4", "s@gmail.com", ["pain-sso"]),
    )
    sso = by_key(client, runtime)["sso"]
    assert (sso["customers"], sso["accounts"], sso["mrr"], sso["tickets"]) == (4, 2, 2900.0, 4)


def test_first_and_last_seen_follow_the_reports(client, runtime):
    send(
        client,
        generic_delivery("T1", "a@acme.com", ["pain-x"], occurred_at="2026-11-01T08:00:00Z"),
        generic_delivery("T2", "b@acme.com", ["pain-x"], occurred_at="2026-11-03T09:30:00Z"),
    )
    x = by_key(client, runtime)["x"]
    assert (x["first_seen"], x["last_seen"]) == ("2026-11-01T08:00:00Z", "2026-11-03T09:30:00Z")


def test_trends_compare_the_last_window_with_the_one_before(client, runtime):
    from datetime import UTC, datetime, timedelta

    now = datetime.now(UTC)

    def ago(days: float) -> str:
        return (now - timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%SZ")

    send(
        client,
        *[
            generic_delivery(f"N{i}", f"n{i}@acme.com", ["pain-x"], occurred_at=ago(1))
            for i in range(3)
        ],
        generic_delivery("P1", "p1@acme.com", ["pain-x"], occurred_at=ago(10)),
        generic_delivery("O1", "o1@acme.com", ["pain-x"], occurred_at=ago(40)),
    )
    x = by_key(client, runtime)["x"]
    assert (x["trend_7d"], x["trend_30d"]) == (3 - 1, 4 - 1)


def test_a_failing_delivery_is_retried_with_backoff_then_marked_failed(
    client, runtime, monkeypatch
):
    def broken(headers, body):
        raise RuntimeError("helpdesk adapter blew up")

    real_adapter = generic.ADAPTER
    # Intake accepts the delivery (the view's shape check passes), then processing breaks.
    monkeypatch.setattr(generic, "ADAPTER", replace(real_adapter, parse=lambda h, b: []))
    response = post_signed(client, "generic", generic_delivery("T1", "a@acme.com", ["pain-x"]))
    delivery_id = response.get_json()["delivery_id"]
    with Session(runtime.engine) as session:
        row = session.get(Delivery, delivery_id)
        row.status = "pending"
        session.add(row)
        session.commit()
    monkeypatch.setattr(generic, "ADAPTER", replace(real_adapter, parse=broken))
    seen = []
    for _ in range(runtime.settings.delivery_max_attempts):
        with Session(runtime.engine) as session:  # make the retry due now
            row = session.get(Delivery, delivery_id)
            row.next_attempt_at = row.received_at
            session.add(row)
            session.commit()
        processing.drain(runtime.engine, runtime.settings)
        with Session(runtime.engine) as session:
            row = session.get(Delivery, delivery_id)
            seen.append((row.status, row.attempts, row.next_attempt_at > row.received_at))
    assert seen[0] == ("pending", 1, True)
    assert seen[-1][:2] == ("failed", runtime.settings.delivery_max_attempts)
    assert row.last_error == "RuntimeError"  # the class: an error's text may hold payload values
    assert problems(client, runtime) == []
    monkeypatch.setattr(generic, "ADAPTER", real_adapter)
    assert processing.replay(runtime.engine, [delivery_id]) == 1
    processing.drain(runtime.engine, runtime.settings)
    assert by_key(client, runtime)["x"]["tickets"] == 1


def test_a_delivery_waiting_for_its_retry_is_due_once_its_wait_is_over(
    client, runtime, monkeypatch
):
    """What the job runner asks before it sleeps: nothing is due while the only pending
    delivery waits out its backoff (10 s after a first failure), and it is due within it."""
    response = post_signed(client, "generic", generic_delivery("T1", "a@acme.com", ["pain-x"]))
    delivery_id = response.get_json()["delivery_id"]
    with Session(runtime.engine) as session:  # processed already (inline jobs): once more
        row = session.get(Delivery, delivery_id)
        row.status, row.next_attempt_at = "pending", row.received_at
        session.add(row)
        session.commit()

    def broken(headers, body):
        raise RuntimeError("helpdesk adapter blew up")

    monkeypatch.setattr(generic, "ADAPTER", replace(generic.ADAPTER, parse=broken))
    assert processing.drain(runtime.engine, runtime.settings).retrying == 1
    with Session(runtime.engine) as session:
        assert session.get(Delivery, delivery_id).status == "pending"
    wait = processing.next_retry_in(runtime.engine)
    assert wait is not None and timedelta(seconds=5) < wait <= timedelta(seconds=10)
    assert not schedule.anything_due(runtime.engine)
    assert schedule.anything_due(runtime.engine, timedelta(seconds=11))


def test_replay_reprocesses_a_failed_delivery(client, runtime):
    body = generic_delivery("T1", "a@acme.com", ["pain-x"])
    send(client, body)
    with Session(runtime.engine) as session:
        row = session.exec(select(Delivery)).one()
        row.status = "failed"
        session.add(row)
        session.commit()
    assert processing.replay(runtime.engine, None) == 1
    result = processing.drain(runtime.engine, runtime.settings)
    assert result.processed == 1
    assert by_key(client, runtime)["x"]["tickets"] == 1  # applied twice, counted once


def test_an_account_mrr_change_reprices_every_problem_it_appears_in(client, runtime):
    send(
        client,
        generic_delivery("T1", "a@umbrella.co", ["pain-sync"], company="Umbrella"),
        generic_delivery("T2", "b@umbrella.co", ["pain-export"], company="Umbrella", mrr=2500),
    )
    found = by_key(client, runtime)
    assert found["sync"]["mrr"] == found["export"]["mrr"] == 2500.0
    send(
        client,
        generic_delivery("T3", "b@umbrella.co", ["pain-export"], company="Umbrella", mrr=3000),
    )
    found = by_key(client, runtime)
    assert found["sync"]["mrr"] == found["export"]["mrr"] == 3000.0
