"""What helpdesks do to a ticket over its life, through the real webhook path: customers
who change address, tags spelt in another Unicode form, tickets deleted in the helpdesk.
Counts stay honest and the notify list names the right person once."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from click.testing import CliRunner

from tests.support import by_key, config_file, post_signed, token
from voice_router.cli import cli
from voice_router.problems import impact_check


def helpscout(ticket: int, email: str, tags: list[str], modified: str) -> dict[str, Any]:
    """A Help Scout conversation (legacy shape, as its docs example) of customer 29418."""
    return {
        "id": ticket,
        "number": 349,
        "subject": "Export fails",
        "customer": {"id": 29418, "firstName": "Vernon", "lastName": "Bear", "email": email},
        "owner": {"id": 1234, "firstName": "Jack", "lastName": "Sprout", "email": "jack@s.example"},
        "tags": tags,
        "createdAt": "2026-11-20T09:00:00Z",
        "modifiedAt": modified,
    }


def zendesk(ticket: str, email: str, tags: str, updated: str) -> dict[str, Any]:
    return {
        "ticket": {
            "id": ticket,
            "title": "Export fails",
            "tags": tags,
            "updated_at": updated,
            "requester": {"email": email, "name": "Vernon Bear"},
            "assignee": {"email": "zoe@s.example", "name": "Zoe"},
        }
    }


def recipients(client: Any, runtime: Any, problem_id: int) -> list[dict[str, Any]]:
    answer = client.get(f"/api/v1/problems/{problem_id}/notify", headers=token(runtime))
    assert answer.status_code == 200, answer.get_json()
    return answer.get_json()["recipients"]  # type: ignore[no-any-return]


def moves(client: Any, runtime: Any, ticket: int, zendesk_ticket: str, event: str) -> Any:
    """Help Scout's customer 29418 writes from vb@mywork.com, then from another address, from
    which they also report the same problem through Zendesk; the problem, counted once."""
    headers = {"X-HelpScout-Event": event}
    for email, hour in (("vb@mywork.com", 10), ("vernon@newco.com", 11)):
        body = helpscout(ticket, email, ["pain-export"], f"2026-11-20T{hour}:00:00Z")
        assert post_signed(client, "helpscout", body, headers).status_code == 202
    body = zendesk(zendesk_ticket, "vernon@newco.com", "pain-export", "2026-11-20T12:00:00Z")
    assert post_signed(client, "zendesk", body).status_code == 202
    problem = by_key(client, runtime)["export"]
    assert (problem["customers"], problem["tickets"]) == (1, 2)
    return problem


def test_a_customer_who_changes_address_is_one_customer_told_at_the_new_one(client, runtime):
    problem = moves(client, runtime, 5001, "7001", "convo.customer.reply.created")
    listed = recipients(client, runtime, problem["id"])
    assert [r["customer_email"] for r in listed] == ["vernon@newco.com"]


def test_one_tag_spelt_in_other_unicode_forms_is_one_problem(client, runtime):
    composed, decomposed, full_width = "pain-café", "pain-cafe\u0301", "Pain:ｃａｆé"
    hs_event = {"X-HelpScout-Event": "convo.tags"}
    first = helpscout(5002, "ann@acme.com", [composed], "2026-11-20T10:00:00Z")
    assert post_signed(client, "helpscout", first, hs_event).status_code == 202
    second = zendesk("7002", "bob@beta.io", decomposed, "2026-11-20T11:00:00Z")
    assert post_signed(client, "zendesk", second).status_code == 202
    third = zendesk("7003", "cat@gamma.org", full_width, "2026-11-20T12:00:00Z")
    assert post_signed(client, "zendesk", third).status_code == 202

    problems = by_key(client, runtime)
    assert list(problems) == ["café"]
    assert (problems["café"]["customers"], problems["café"]["tickets"]) == (3, 3)


def test_a_conversation_deleted_in_help_scout_no_longer_counts(client, runtime):
    tagged = {"X-HelpScout-Event": "convo.tags"}
    kept = helpscout(5003, "ann@acme.com", ["pain-export"], "2026-11-20T10:00:00Z")
    assert post_signed(client, "helpscout", kept, tagged).status_code == 202
    gone = helpscout(5004, "bob@beta.io", ["pain-export"], "2026-11-20T10:00:00Z")
    gone["customer"]["id"] = 30000
    assert post_signed(client, "helpscout", gone, tagged).status_code == 202
    assert by_key(client, runtime)["export"]["customers"] == 2

    # Help Scout's body for a deleted conversation is only its id.
    deleted = {"X-HelpScout-Event": "convo.deleted"}
    assert post_signed(client, "helpscout", {"id": 5004}, deleted).status_code == 202

    problem = by_key(client, runtime)["export"]
    assert (problem["customers"], problem["accounts"], problem["tickets"]) == (1, 1, 1)
    listed = recipients(client, runtime, problem["id"])
    assert [(r["customer_email"], r["ticket_id"]) for r in listed] == [("ann@acme.com", "5003")]
    assert impact_check.recompute_all(runtime.engine, fix=False) == []


def generic(ticket: str, agent: dict[str, str], occurred_at: str) -> dict[str, Any]:
    return {
        "id": f"{ticket}-{occurred_at}",
        "ticket": {"id": ticket, "subject": "Export fails"},
        "customer": {"email": f"{ticket}@acme.com", "name": "Dee"},
        "agent": agent,
        "tags": ["pain-export"],
        "occurred_at": occurred_at,
    }


def test_a_ticket_handed_to_another_agent_is_theirs_alone(client, runtime):
    alice = {"email": "alice@s.example", "name": "Alice"}
    for ticket, then in (("t1", {"name": "Bob"}), ("t2", {"email": "bob@s.example"})):
        for agent, at in ((alice, "2026-11-20T10:00:00Z"), (then, "2026-11-20T11:00:00Z")):
            assert post_signed(client, "generic", generic(ticket, agent, at)).status_code == 202

    problem = by_key(client, runtime)["export"]
    listed = {r["ticket_id"]: r for r in recipients(client, runtime, problem["id"])}
    # Bob, known by name only, holds t1: Alice is not asked to send a message Bob signs.
    assert listed["t1"]["agent_email"] is None
    assert listed["t1"]["draft"].endswith("Bob")
    # Bob, known by address only, holds t2: his message is not signed by Alice.
    assert listed["t2"]["agent_email"] == "bob@s.example"
    assert "Alice" not in listed["t2"]["draft"]


def test_a_late_delivery_from_before_the_change_does_not_take_the_address_back(client, runtime):
    # Three Help Scout events on one conversation; the 10:05 one arrives last.
    for event, email, at in (
        ("convo.tags", "vb@mywork.com", "2026-11-20T10:00:00Z"),
        ("convo.customer.reply.created", "vernon@newco.com", "2026-11-20T11:00:00Z"),
        ("convo.note.created", "vb@mywork.com", "2026-11-20T10:05:00Z"),
    ):
        body = helpscout(5005, email, ["pain-export"], at)
        assert (
            post_signed(client, "helpscout", body, {"X-HelpScout-Event": event}).status_code == 202
        )

    problem = by_key(client, runtime)["export"]
    listed = recipients(client, runtime, problem["id"])
    assert [r["customer_email"] for r in listed] == ["vernon@newco.com"]


def test_a_new_address_another_customer_had_makes_the_two_one(client, runtime):
    # The person first writes through Zendesk from their new address: a customer of its own.
    body = zendesk("7010", "vernon@newco.com", "pain-export", "2026-11-20T09:00:00Z")
    assert post_signed(client, "zendesk", body).status_code == 202
    # Help Scout knows them as customer 29418 at the old address, on two problems.
    tagged = {"X-HelpScout-Event": "convo.tags"}
    for ticket, tag in ((5010, "pain-export"), (5011, "pain-import")):
        old = helpscout(ticket, "vb@mywork.com", [tag], "2026-11-20T10:00:00Z")
        assert post_signed(client, "helpscout", old, tagged).status_code == 202
    export = by_key(client, runtime)["export"]
    assert export["customers"] == 2
    # The agent has told both rows of the export problem's fix.
    told = {"customer_emails": ["vernon@newco.com", "vb@mywork.com"]}
    url = f"/api/v1/problems/{export['id']}/notify/mark-sent"
    assert client.post(url, json=told, headers=token(runtime)).status_code == 200

    # Help Scout now sends the new address for customer 29418: the two are one person.
    moved = helpscout(5010, "vernon@newco.com", ["pain-export"], "2026-11-20T11:00:00Z")
    assert post_signed(client, "helpscout", moved, tagged).status_code == 202

    problems = by_key(client, runtime)
    assert (problems["export"]["customers"], problems["export"]["tickets"]) == (1, 2)
    assert (problems["import"]["customers"], problems["import"]["tickets"]) == (1, 1)
    for key, notified in (("export", True), ("import", False)):
        listed = recipients(client, runtime, problems[key]["id"])
        assert [(r["customer_email"], r["notified"]) for r in listed] == [
            ("vernon@newco.com", notified)
        ]
    assert impact_check.recompute_all(runtime.engine, fix=False) == []
    with runtime.engine.connect() as connection:
        rows = connection.execute(sa.text("SELECT email FROM customer")).scalars().all()
    assert rows == ["vernon@newco.com"]

    # Either helpdesk's next word on them reaches the one customer.
    again = zendesk("7011", "vernon@newco.com", "pain-import", "2026-11-20T12:00:00Z")
    assert post_signed(client, "zendesk", again).status_code == 202
    later = helpscout(5012, "vernon@newco.com", ["pain-export"], "2026-11-20T12:00:00Z")
    assert post_signed(client, "helpscout", later, tagged).status_code == 202
    problems = by_key(client, runtime)
    assert (problems["export"]["customers"], problems["export"]["tickets"]) == (1, 3)
    assert (problems["import"]["customers"], problems["import"]["tickets"]) == (1, 2)
    assert impact_check.recompute_all(runtime.engine, fix=False) == []


def test_a_late_delivery_naming_an_address_another_customer_has_makes_the_two_one(client, runtime):
    """Vernon writes through Zendesk from vernon@newco.com (Zendesk sends no id for him);
    Help Scout knows him as customer 29418 at vb@mywork.com, at 10:00 and again at 12:00;
    its 11:00 delivery, from the new address, comes in last. It is older than its ticket's
    latest, so it does not change his address (the 12:00 one said the old one), but the
    helpdesk id says the new address is his: the two rows are one person. Before, it merged
    nothing, and he counted twice on the export problem, listed under both addresses."""
    tagged = {"X-HelpScout-Event": "convo.tags"}
    sent = [
        ("zendesk", zendesk("7080", "vernon@newco.com", "pain-export", "2026-11-20T09:00:00Z")),
        ("helpscout", helpscout(5080, "vb@mywork.com", ["pain-export"], "2026-11-20T10:00:00Z")),
        ("helpscout", helpscout(5080, "vb@mywork.com", ["pain-export"], "2026-11-20T12:00:00Z")),
        ("helpscout", helpscout(5080, "vernon@newco.com", ["pain-export"], "2026-11-20T11:00:00Z")),
    ]
    for kind, body in sent:
        assert (
            post_signed(client, kind, body, tagged if kind == "helpscout" else {}).status_code
            == 202
        )

    problem = by_key(client, runtime)["export"]
    assert (problem["customers"], problem["tickets"]) == (1, 2)
    listed = recipients(client, runtime, problem["id"])
    assert [r["customer_email"] for r in listed] == ["vb@mywork.com"]  # the newest word
    assert impact_check.recompute_all(runtime.engine, fix=False) == []
    with runtime.engine.connect() as connection:
        rows = connection.execute(sa.text("SELECT email FROM customer")).scalars().all()
    assert rows == ["vb@mywork.com"]


def test_a_late_delivery_naming_an_address_the_customer_gave_up_merges_nobody(client, runtime):
    """An address a customer gave up (their helpdesk sent another since) may be somebody
    else's now: a colleague who took over the mailbox and writes through a helpdesk that
    knows them by address only. A late delivery from before the change, naming the old
    address with the helpdesk id, does not make the two one."""
    tagged = {"X-HelpScout-Event": "convo.tags"}
    for email, at in (("vb@mywork.com", "10:00"), ("vernon@newco.com", "11:00")):
        moved = helpscout(5090, email, ["pain-export"], f"2026-11-20T{at}:00Z")
        assert post_signed(client, "helpscout", moved, tagged).status_code == 202
    colleague = zendesk("7090", "vb@mywork.com", "pain-export", "2026-11-20T11:30:00Z")
    colleague["ticket"]["requester"]["name"] = "Wanda Bear"
    assert post_signed(client, "zendesk", colleague).status_code == 202
    late = helpscout(5090, "vb@mywork.com", ["pain-export"], "2026-11-20T10:30:00Z")
    assert post_signed(client, "helpscout", late, tagged).status_code == 202

    problem = by_key(client, runtime)["export"]
    assert (problem["customers"], problem["tickets"]) == (2, 2)
    listed = recipients(client, runtime, problem["id"])
    assert sorted(r["customer_email"] for r in listed) == ["vb@mywork.com", "vernon@newco.com"]
    assert impact_check.recompute_all(runtime.engine, fix=False) == []


def test_forget_by_a_former_address_forgets_the_person(client, runtime, settings, tmp_path):
    moves(client, runtime, 5030, "7030", "convo.tags")
    # The person asks to be forgotten, giving the address they know: their old one.
    config = config_file(tmp_path, settings.database_url)
    result = CliRunner().invoke(cli, ["--config", str(config), "forget", "vb@mywork.com", "--yes"])
    assert result.exit_code == 0, result.output
    assert "customer records made anonymous: 1" in result.output
    assert "raw webhook deliveries erased: 3" in result.output

    with runtime.engine.connect() as connection:
        customers = connection.execute(sa.text("SELECT email, name FROM customer")).all()
        identities = connection.execute(sa.text("SELECT count(*) FROM customeridentity")).scalar()
        bodies = connection.execute(sa.text("SELECT body FROM delivery")).scalars().all()
    assert [tuple(row) for row in customers] == [(None, None)]
    assert identities == 0
    for needle in (b"vb@mywork.com", b"vernon@newco.com", b"Vernon"):
        assert not any(needle in bytes(body) for body in bodies), needle
    after = by_key(client, runtime)["export"]
    assert (after["customers"], after["tickets"]) == (1, 2)  # counts stay right
    assert recipients(client, runtime, after["id"]) == []


def test_forget_asked_by_a_former_address_shows_what_it_then_erases(
    client, runtime, settings, tmp_path
):
    """The preview follows the person to their current address as the erasure does: it
    counted only what the former address named (no customer record), then erased more."""
    from tests.test_forget_preview import shown_as_erased

    moves(client, runtime, 5031, "7031", "convo.tags")
    config = config_file(tmp_path, settings.database_url)
    result = CliRunner().invoke(
        cli, ["--config", str(config), "forget", "vb@mywork.com"], input="y\n"
    )
    assert result.exit_code == 0, result.output
    shown = shown_as_erased(result.output)
    assert shown["customer records made anonymous"] == 1
    assert shown["raw webhook deliveries erased"] == 3


def test_two_changes_of_a_conversation_in_one_second_both_count(client, runtime):
    assigned = {"X-HelpScout-Event": "convo.assigned"}
    to_jack = helpscout(5040, "ann@acme.com", ["pain-export"], "2026-11-20T10:00:00Z")
    # Reassigned to Zoe within the same second: same event, modified time and tags.
    to_zoe = helpscout(5040, "ann@acme.com", ["pain-export"], "2026-11-20T10:00:00Z")
    to_zoe["owner"] = {"id": 4321, "firstName": "Zoe", "lastName": "Ng", "email": "zoe@s.example"}
    for body in (to_jack, to_zoe, to_zoe):  # Help Scout retries the second once
        assert post_signed(client, "helpscout", body, assigned).status_code == 202

    with runtime.engine.connect() as connection:
        stored = connection.execute(sa.text("SELECT count(*) FROM delivery")).scalar()
    assert stored == 2  # the retry counts once, the reassignment is not taken for one
    problem = by_key(client, runtime)["export"]
    listed = recipients(client, runtime, problem["id"])
    assert [(r["agent_email"], r["draft"].endswith("Zoe Ng")) for r in listed] == [
        ("zoe@s.example", True)
    ]
