"""An account's MRR is the newest information's: a delivery that happened before the MRR was
last set (by a newer delivery, or by `import-accounts`, which is "now") leaves it, and every
problem's MRR, as they are, however late the helpdesk sends it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import Session, select

from tests.support import by_key, config_file, generic_delivery, post_signed, run_cli
from voice_router.models import Account
from voice_router.platform.clock import iso, utcnow
from voice_router.problems import impact_check


def days_ago(days: float) -> str:
    return iso(utcnow() - timedelta(days=days))


def deliver(client, ticket: str, email: str, mrr: float, at: str) -> None:  # type: ignore[no-untyped-def]
    body = generic_delivery(
        ticket, email, ["pain-sso"], company="acme.com", mrr=mrr, occurred_at=at
    )
    assert post_signed(client, "generic", body).status_code == 202


def acme_mrr(runtime) -> float:  # type: ignore[no-untyped-def]
    with Session(runtime.engine) as session:
        return float(session.exec(select(Account.mrr).where(Account.key == "acme.com")).one())


@pytest.mark.slow
def test_an_old_delivery_processed_after_an_import_leaves_the_imported_mrr(
    tmp_path, settings, runtime, client
):
    """Fault audit: the helpdesk's retry of a delivery two months old, carrying the MRR of
    then, overwrote the MRR imported since, and the MRR of every problem of the account."""
    deliver(client, "T1", "ann@acme.com", 500, days_ago(1))
    assert by_key(client, runtime)["sso"]["mrr"] == 500.0
    csv_file = tmp_path / "accounts.csv"
    csv_file.write_text("domain,name,plan,mrr\nacme.com,Acme,Business,900\n")
    config = config_file(tmp_path, settings.database_url)
    imported = run_cli(config, "import-accounts", str(csv_file))
    assert imported.returncode == 0, imported.stderr
    assert by_key(client, runtime)["sso"]["mrr"] == 900.0

    deliver(client, "T2", "ben@acme.com", 100, days_ago(60))  # a retry of a delivery of then

    assert acme_mrr(runtime) == 900.0
    problem = by_key(client, runtime)["sso"]
    assert (problem["mrr"], problem["customers"], problem["tickets"]) == (900.0, 2, 2)
    # Said after the import: news (a few seconds on, as `iso` drops the fraction of a second
    # the import's moment has).
    deliver(client, "T3", "cat@acme.com", 1500, iso(utcnow() + timedelta(seconds=5)))
    assert acme_mrr(runtime) == 1500.0 and by_key(client, runtime)["sso"]["mrr"] == 1500.0
    checked = run_cli(config, "recompute", "--check")
    assert checked.returncode == 0 and "0 with drift" in checked.stdout, checked.stdout


def test_of_two_deliveries_the_later_said_mrr_stands_whatever_order_they_come_in(
    settings, runtime, client
):
    deliver(client, "T1", "ann@acme.com", 700, days_ago(2))
    deliver(client, "T2", "ben@acme.com", 300, days_ago(10))  # an older word, come late
    assert acme_mrr(runtime) == 700.0 and by_key(client, runtime)["sso"]["mrr"] == 700.0
    deliver(client, "T3", "cat@acme.com", 800, days_ago(1))
    assert acme_mrr(runtime) == 800.0 and by_key(client, runtime)["sso"]["mrr"] == 800.0
    assert impact_check.recompute_all(runtime.engine, fix=False) == []


@pytest.mark.parametrize("figures", [(700, 300), (300, 700)], ids=["larger-first", "larger-last"])
def test_two_words_said_at_the_same_moment_leave_the_same_mrr_whatever_their_order(
    figures, runtime, client
):
    """Fault audit: of two deliveries with the same time and different MRR, the one processed
    last stood, so with two workers the MRR was down to timing. The larger figure stands."""
    at = days_ago(1)
    for ticket, mrr in zip(("T1", "T2"), figures, strict=True):
        deliver(client, ticket, f"{ticket.lower()}@acme.com", mrr, at)
    assert acme_mrr(runtime) == 700.0 and by_key(client, runtime)["sso"]["mrr"] == 700.0
    assert impact_check.recompute_all(runtime.engine, fix=False) == []
