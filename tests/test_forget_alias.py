"""A customer keeps the addresses they had before (hashed, `customeralias`), so `voice-router
forget` finds the person by any of them: given the old one it erases them under the one they
use now, given the one they use now it erases what they wrote from the old one. Through the
real path: signed webhooks, processing, the CLI."""

from __future__ import annotations

import json
from typing import Any

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from tests.support import by_key, config_file, generic_delivery, post_signed
from tests.test_forget import dump
from tests.test_forget_late import forget_held, intake  # noqa: F401  (the web app, a fixture)
from tests.test_helpdesk_lifecycle import helpscout, recipients, zendesk
from voice_router.cli import cli
from voice_router.intake import processing
from voice_router.problems.forget_late import subject_hash
from voice_router.problems.privacy import FORGOTTEN_BODY

OLD, NEW = "vb@mywork.com", "vernon@newco.com"


def moves(client: Any, runtime: Any) -> None:
    """Vernon writes through Zendesk from his old address (Zendesk sends no id for him), then
    Help Scout knows him as customer 29418 at the old address and then at a new one, from
    which he also writes through Zendesk: one customer on two problems."""
    tagged = {"X-HelpScout-Event": "convo.tags"}
    sent = [
        ("zendesk", zendesk("7050", OLD, "pain-import", "2026-11-20T09:00:00Z"), {}),
        ("helpscout", helpscout(5050, OLD, ["pain-export"], "2026-11-20T10:00:00Z"), tagged),
        ("helpscout", helpscout(5050, NEW, ["pain-export"], "2026-11-20T11:00:00Z"), tagged),
        ("zendesk", zendesk("7051", NEW, "pain-export", "2026-11-20T12:00:00Z"), {}),
    ]
    for kind, body, headers in sent:
        assert post_signed(client, kind, body, headers).status_code == 202
    problems = by_key(client, runtime)
    assert [(p["customers"], p["tickets"]) for p in problems.values()] == [(1, 2), (1, 1)]
    with runtime.engine.connect() as connection:
        held = connection.execute(sa.text("SELECT email_hash FROM customeralias")).scalars()
        assert list(held) == [subject_hash(OLD)]  # never the address itself


def forget(settings: Any, tmp_path: Any, email: str) -> str:
    config = config_file(tmp_path, settings.database_url)
    result = CliRunner().invoke(cli, ["--config", str(config), "forget", email, "--yes"])
    assert result.exit_code == 0, result.output
    return result.output


def forgotten_everywhere(client: Any, runtime: Any, other: str) -> None:
    """One tombstone holding every pain point, every delivery a stub, neither address nor
    the name in any table, nobody on a notify list, the counts as they were; the audit
    names `other`, the address not given, so a delivery to it received before forget
    ended is erased as it arrives (forget_late)."""
    with runtime.engine.connect() as connection:
        customers = connection.execute(sa.text("SELECT id, email, name FROM customer")).all()
        owners = connection.execute(sa.text("SELECT DISTINCT customer_id FROM painpoint"))
        bodies = connection.execute(sa.text("SELECT body FROM delivery")).scalars().all()
        left = connection.execute(sa.text("SELECT count(*) FROM customeralias")).scalar()
        audit = connection.execute(sa.text("SELECT details FROM auditentry")).scalar_one()
    [(tombstone, email, name)] = customers
    assert (email, name) == (None, None)
    assert list(owners.scalars()) == [tombstone]
    assert [json.loads(bytes(body)) for body in bodies] == [{"forgotten": True}] * 4
    assert left == 0
    for needle in (OLD.encode(), NEW.encode(), b"vernon bear"):
        assert needle not in dump(runtime.engine), needle
    problems = by_key(client, runtime)
    assert [(p["customers"], p["tickets"]) for p in problems.values()] == [(1, 2), (1, 1)]
    for problem in problems.values():
        assert recipients(client, runtime, problem["id"]) == []
    assert json.loads(audit)["followed"] == [subject_hash(other)]


@pytest.mark.parametrize(
    ("given", "other"), [(OLD, NEW), (NEW, OLD)], ids=["by-the-old", "by-the-new"]
)
def test_forget_by_either_address_forgets_the_person_under_both(
    client, runtime, settings, tmp_path, given, other
):
    """By the old address: the customer, found as the one that had it, is forgotten under
    the one they use now (before, only deliveries that carried it with the helpdesk id led
    there). By the new one: Zendesk's delivery from the old address names him by address
    only, and forget left it whole (his old address, name and words) before it knew the old
    address was his."""
    moves(client, runtime)
    output = forget(settings, tmp_path, given)
    assert "customer records made anonymous: 1" in output
    assert "raw webhook deliveries erased: 4" in output
    forgotten_everywhere(client, runtime, other)


def test_a_delivery_from_a_former_address_received_while_forget_runs_is_erased(
    tmp_path,
    settings,
    intake,  # noqa: F811
    database_url,
):
    """Forget is given the address she uses now; meanwhile a delivery from her former one
    comes in (a ticket through a channel that knows her by address only). Before, forget's
    audit named only the address given: the delivery was processed after it and made her
    a customer again, with her old address, her name and her words."""
    client, runtime = intake
    old, new = "ann@old.example", "ann@new.example"
    for email, at in ((old, "2026-11-20T10:00:00Z"), (new, "2026-11-20T11:00:00Z")):
        body = generic_delivery(
            "A-1", email, ["pain-export"], name="Ann Vik", customer_id="c-7", occurred_at=at
        )
        assert post_signed(client, "generic", body).status_code == 202
    processing.drain(runtime.engine, runtime.settings)
    with forget_held(tmp_path, database_url, runtime.engine, new):
        late = generic_delivery("A-2", old, ["pain-import"], name="Ann Vik")
        assert post_signed(client, "generic", late).status_code == 202
    processing.drain(runtime.engine, runtime.settings)
    with runtime.engine.connect() as connection:
        rows = connection.execute(sa.text("SELECT body, status FROM delivery ORDER BY id")).all()
        customers = connection.execute(sa.text("SELECT email, name FROM customer")).all()
    assert [(bytes(body), status) for body, status in rows] == [
        (FORGOTTEN_BODY, "processed"),
        (FORGOTTEN_BODY, "processed"),
        (FORGOTTEN_BODY, "forgotten"),  # A-2, erased as it reached processing
    ]
    assert [tuple(row) for row in customers] == [(None, None)]  # nobody made again from A-2
    for needle in (old.encode(), new.encode(), b"ann vik"):
        assert needle not in dump(runtime.engine), needle


@pytest.mark.parametrize(
    ("given", "other"), [(OLD, NEW), (NEW, OLD)], ids=["by-the-old", "by-the-new"]
)
def test_forget_reaches_a_second_row_of_the_person_that_a_late_delivery_named(
    client, runtime, settings, tmp_path, given, other
):
    """Help Scout's customer 29418 wrote from his old address, briefly from a new one (from
    which he also wrote through Zendesk), then from the old one again; the delivery from the
    new one came in last, older than its ticket's latest: it made his Zendesk row one with
    his, and left him at the old address (the newest word). He then writes through Zendesk
    from the new address again: Zendesk knows no id, and no row has that address now, so he
    is a second customer row. Given the old address, forget once found the row of 29418
    only, and left the other with the new address, his name and his words. It follows every
    address a delivery of his names for him. (Given the new one, the late delivery, at it,
    names 29418 and leads to the other row.)"""
    tagged = {"X-HelpScout-Event": "convo.tags"}
    sent = [
        ("zendesk", zendesk("7060", NEW, "pain-import", "2026-11-20T09:00:00Z"), {}),
        ("helpscout", helpscout(5060, OLD, ["pain-export"], "2026-11-20T10:00:00Z"), tagged),
        ("helpscout", helpscout(5060, OLD, ["pain-export"], "2026-11-20T12:00:00Z"), tagged),
        ("helpscout", helpscout(5060, NEW, ["pain-export"], "2026-11-20T11:00:00Z"), tagged),
        ("zendesk", zendesk("7061", NEW, "pain-import", "2026-11-20T13:00:00Z"), {}),
    ]
    for kind, body, headers in sent:
        assert post_signed(client, kind, body, headers).status_code == 202
    with runtime.engine.connect() as connection:
        rows = connection.execute(sa.text("SELECT email FROM customer ORDER BY id")).scalars()
        assert list(rows) == [OLD, NEW]  # one person, two rows: the case
    before = by_key(client, runtime)
    output = forget(settings, tmp_path, given)
    assert "customer records made anonymous: 2" in output
    assert "raw webhook deliveries erased: 5" in output
    with runtime.engine.connect() as connection:
        customers = connection.execute(sa.text("SELECT email, name FROM customer")).all()
        audit = connection.execute(sa.text("SELECT details FROM auditentry")).scalar_one()
    assert [tuple(row) for row in customers] == [(None, None), (None, None)]
    for needle in (OLD.encode(), NEW.encode(), b"vernon bear"):
        assert needle not in dump(runtime.engine), needle
    after = by_key(client, runtime)
    assert {k: (p["customers"], p["tickets"]) for k, p in after.items()} == {
        k: (p["customers"], p["tickets"]) for k, p in before.items()
    }
    for problem in after.values():
        assert recipients(client, runtime, problem["id"]) == []
    assert json.loads(audit)["followed"] == [subject_hash(other)]


@pytest.mark.parametrize(
    ("given", "other"), [(OLD, NEW), (NEW, OLD)], ids=["by-the-old", "by-the-new"]
)
def test_a_customer_whose_address_changed_before_former_addresses_were_kept_is_forgotten_under_both(
    client, runtime, settings, tmp_path, given, other
):
    """Migration 0023 kept no former address of a change made before it; forget reads them
    from the stored deliveries instead (a delivery naming the old address with the helpdesk
    id), so nothing needs back-filling. Before, given the new address, forget left Zendesk's
    delivery from the old one whole (his old address, name and words): it followed an
    address to the old one only when it was a recorded former address."""
    moves(client, runtime)
    with runtime.engine.begin() as connection:
        connection.execute(sa.text("DELETE FROM customeralias"))  # as before 0023
    output = forget(settings, tmp_path, given)
    assert "customer records made anonymous: 1" in output
    assert "raw webhook deliveries erased: 4" in output
    forgotten_everywhere(client, runtime, other)


def test_forget_errs_on_erasing_a_colleague_at_a_mailbox_the_person_left(
    client, runtime, settings, tmp_path
):
    """Vernon (Help Scout's 29418) moved from vb@mywork.com to vernon@newco.com; Wanda then
    writes through Zendesk from vb@mywork.com, and a late Help Scout delivery from before
    his move names it with his id. Processing keeps Wanda apart (an address he gave up), but
    forget given his address follows every address his deliveries name, so it forgets her
    row too (docs/privacy.md: it errs on that side). The preview shows two customer records,
    so an operator who knows the mailbox changed hands can answer no: nothing is erased."""
    from tests.test_forget_preview import counts

    tagged = {"X-HelpScout-Event": "convo.tags"}
    for email, at in ((OLD, "10:00"), (NEW, "11:00")):
        moved = helpscout(5095, email, ["pain-export"], f"2026-11-20T{at}:00Z")
        assert post_signed(client, "helpscout", moved, tagged).status_code == 202
    wanda = zendesk("7095", OLD, "pain-export", "2026-11-20T11:30:00Z")
    wanda["ticket"]["requester"]["name"] = "Wanda Bear"
    assert post_signed(client, "zendesk", wanda).status_code == 202
    late = helpscout(5095, OLD, ["pain-export"], "2026-11-20T10:30:00Z")
    assert post_signed(client, "helpscout", late, tagged).status_code == 202

    def customers() -> list[tuple[Any, ...]]:
        with runtime.engine.connect() as connection:
            rows = connection.execute(sa.text("SELECT email, name FROM customer ORDER BY id"))
            return [tuple(row) for row in rows]

    assert customers() == [(NEW, "Vernon Bear"), (OLD, "Wanda Bear")]
    config = config_file(tmp_path, settings.database_url)
    asked = CliRunner().invoke(cli, ["--config", str(config), "forget", NEW], input="n\n")
    assert asked.exit_code == 1, asked.output
    shown = counts(asked.output, "Found for this e-mail address:")
    assert shown["customer records made anonymous"] == 2
    assert customers() == [(NEW, "Vernon Bear"), (OLD, "Wanda Bear")]

    forget(settings, tmp_path, NEW)
    assert customers() == [(None, None), (None, None)]
    assert by_key(client, runtime)["export"]["customers"] == 2  # counts stay right
