"""Amounts written with a far exponent, and decimals that are not numbers, wherever money
comes in: a webhook's MRR, an import's MRR, a note's ARR at risk through the API and the
UI. Decimal keeps `1e-999999999` exactly and PostgreSQL refused to store it in a
NUMERIC(20, 2) column (value overflows numeric format): the delivery went back to the
inbox on every try until it failed, and the note was a 500. Every money amount is now
rounded to the cent before it is stored; on SQLite and PostgreSQL."""

from __future__ import annotations

from decimal import Decimal

import pytest
from click.testing import CliRunner
from sqlmodel import Session, select

from tests.hostile.shapes import Report, post
from tests.support import SECRETS, by_key, config_file, generic_delivery, post_signed, token
from tests.ui.ui_support import form_post, problem_ids, seed_three_problems, sign_in
from voice_router.cli import cli
from voice_router.intake import processing
from voice_router.models import Account, Delivery, Note

FAR = "1e-999999999"  # a valid amount: zero, to the cent


@pytest.mark.parametrize("kind", ["generic", "intercom"])  # the kinds that carry MRR
def test_a_webhook_mrr_with_a_far_exponent_is_processed_as_cents(client, runtime, kind):
    reports = [
        Report("T-1", "ann@acme.com", company="Acme", mrr=FAR),
        Report("T-2", "bob@globex.com", company="Globex", mrr="2.5e3"),
    ]
    for report in reports:
        assert post(client, kind, report, SECRETS[kind]).status_code == 202
    processing.drain(runtime.engine, runtime.settings)
    with Session(runtime.engine) as session:
        assert {d.status for d in session.exec(select(Delivery)).all()} == {"processed"}
        mrr = {a.name: a.mrr for a in session.exec(select(Account)).all()}
    assert mrr == {"Acme": Decimal("0.00"), "Globex": Decimal("2500.00")}
    assert by_key(client, runtime)["ordinary"]["mrr"] == 2500.0


def test_an_api_note_with_a_far_exponent_arr_at_risk_is_stored_as_cents(client, runtime):
    body = generic_delivery("T1", "a@acme.com", ["pain-sso"])
    assert post_signed(client, "generic", body).status_code == 202
    problem = by_key(client, runtime)["sso"]["id"]
    for amount, stored in ((FAR, 0.0), ("12.5e2", 1250.0)):
        response = client.post(
            f"/api/v1/problems/{problem}/notes",
            json={"body": "Renewal at stake", "arr_at_risk": amount},
            headers=token(runtime),
        )
        assert response.status_code == 201, response.get_json()
        assert response.get_json()["arr_at_risk"] == stored


@pytest.mark.parametrize("amount", ["sNaN", "NaN", "Infinity", "-Infinity"])
def test_a_ui_note_whose_amount_is_not_a_number_is_shown_back(client, runtime, amount):
    seed_three_problems(client)
    sign_in(client, runtime, "agent")
    login = problem_ids(runtime)["sso-login"]
    data = {"note-body": "x", "note-arr_at_risk": amount}
    response = form_post(client, f"/problems/{login}", f"/problems/{login}/notes", data)
    assert response.status_code == 400 and "Not a valid decimal value." in response.text
    with Session(runtime.engine) as session:
        assert session.exec(select(Note)).all() == []


def test_a_ui_note_with_a_far_exponent_arr_at_risk_is_added(client, runtime):
    seed_three_problems(client)
    sign_in(client, runtime, "agent")
    login = problem_ids(runtime)["sso-login"]
    data = {"note-body": "x", "note-arr_at_risk": FAR}
    response = form_post(client, f"/problems/{login}", f"/problems/{login}/notes", data)
    assert response.status_code == 303
    with Session(runtime.engine) as session:
        assert [n.arr_at_risk for n in session.exec(select(Note)).all()] == [Decimal("0.00")]


def test_import_accounts_with_a_far_exponent_mrr_imports_cents(tmp_path, settings, runtime):
    csv_file = tmp_path / "accounts.csv"
    csv_file.write_text(f"domain,name,plan,mrr\nacme.com,Acme,,{FAR}\nglobex.com,Globex,,1e3\n")
    config = config_file(tmp_path, settings.database_url)
    result = CliRunner().invoke(cli, ["--config", str(config), "import-accounts", str(csv_file)])
    assert result.exit_code == 0, result.output
    with Session(runtime.engine) as session:
        mrr = {a.key: a.mrr for a in session.exec(select(Account)).all()}
    assert mrr == {"acme.com": Decimal("0.00"), "globex.com": Decimal("1000.00")}
