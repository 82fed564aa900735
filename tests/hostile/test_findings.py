"""One test per way a signed delivery used to stall the inbox, crash a request or lose a
report (issue 10), on SQLite and PostgreSQL."""

from __future__ import annotations

from decimal import Decimal

import pytest
import sqlalchemy as sa
from sqlmodel import Session, col, select

from tests.hostile.shapes import KINDS, Report, post
from tests.support import SECRETS, by_key
from voice_router.intake import processing
from voice_router.models import Customer, Delivery, PainPoint, Problem


def send(client, kind: str, report: Report):  # type: ignore[no-untyped-def]
    return post(client, kind, report, SECRETS[kind])


def deliveries(runtime) -> list[Delivery]:  # type: ignore[no-untyped-def]
    with Session(runtime.engine) as session:
        return list(session.exec(select(Delivery).order_by(col(Delivery.id))).all())


def make_due(runtime) -> None:  # type: ignore[no-untyped-def]
    with runtime.engine.begin() as connection:
        connection.execute(sa.update(Delivery).values(next_attempt_at=Delivery.received_at))


@pytest.mark.parametrize("kind", ["helpscout", "zendesk", "freshdesk"])
def test_a_nul_in_a_customer_email_neither_stalls_the_inbox_nor_is_lost(client, runtime, kind):
    assert send(client, kind, Report("T-nul", "ma\x00ria@acme.com")).status_code == 202
    assert send(client, "generic", Report("T-other", "bob@globex.com")).status_code == 202
    result = processing.drain(runtime.engine, runtime.settings)
    assert result.processed == 2 and result.failed == result.retrying == 0
    assert {d.status for d in deliveries(runtime)} == {"processed"}
    with Session(runtime.engine) as session:
        emails = set(session.exec(select(Customer.email)).all())
    assert emails == {"maria@acme.com", "bob@globex.com"}


def poison(dialect: str, event: str, table: str, when: str) -> tuple[list[str], list[str]]:
    """A trigger that fails the statement writing the row `when` names: a fault inside
    the database, where processing meets it (create, then drop statements)."""
    if dialect == "sqlite":
        create = [
            f"CREATE TRIGGER poison BEFORE {event} ON {table} WHEN {when} "
            "BEGIN SELECT RAISE(ABORT, 'poisoned'); END"
        ]
        return create, ["DROP TRIGGER IF EXISTS poison"]
    create = [
        f"CREATE FUNCTION poison() RETURNS trigger AS $$ BEGIN IF {when} THEN "
        "RAISE EXCEPTION 'poisoned'; END IF; RETURN NEW; END $$ LANGUAGE plpgsql",
        f"CREATE TRIGGER poison BEFORE {event} ON {table} FOR EACH ROW EXECUTE FUNCTION poison()",
    ]
    return create, [f"DROP TRIGGER IF EXISTS poison ON {table}", "DROP FUNCTION IF EXISTS poison()"]


@pytest.mark.parametrize(
    ("phase", "event", "table", "condition", "poisoned"),
    [
        # Customers new to a batch are inserted while it is preloaded, before any delivery
        # is applied on its own.
        (
            "preload",
            "INSERT",
            "customer",
            "NEW.email = 'poison@acme.com'",
            Report("T-p", "poison@acme.com", ["pain-ordinary"]),
        ),
        # Impact is recounted once for the whole batch, after every delivery was applied.
        (
            "recompute",
            "UPDATE",
            "problem",
            "NEW.key = 'poison' AND NEW.tickets > 0",
            Report("T-p", "eve@initech.com", ["pain-poison"]),
        ),
    ],
)
def test_a_failure_anywhere_in_a_batch_is_pinned_on_the_delivery_that_caused_it(
    client, runtime, phase, event, table, condition, poisoned
):
    create, drop = poison(runtime.engine.dialect.name, event, table, condition)
    with runtime.engine.begin() as connection:
        for statement in create:
            connection.exec_driver_sql(statement)
    try:
        for n in range(3):
            send(client, "generic", Report(f"T-{n}", f"ok{n}@globex.com"))
        bad = send(client, "generic", poisoned).get_json()["delivery_id"]
        for n in range(3, 6):
            send(client, "zendesk", Report(f"Z-{n}", f"ok{n}@hooli.dev"))
        result = processing.drain(runtime.engine, runtime.settings)
        assert (result.processed, result.retrying, result.failed) == (6, 1, 0)
        seen = {d.id: d for d in deliveries(runtime)}
        assert seen[bad].status == "pending" and seen[bad].attempts == 1
        assert seen[bad].next_attempt_at > seen[bad].received_at  # backoff, not first in line
        # The error's class is kept; its text (which can hold the row's values) is not.
        assert seen[bad].last_error and "Error" in seen[bad].last_error
        assert "poison" not in seen[bad].last_error
        assert by_key(client, runtime)["ordinary"]["tickets"] == 6
        attempts = []
        for _ in range(runtime.settings.delivery_max_attempts - 1):
            make_due(runtime)
            processing.drain(runtime.engine, runtime.settings)
            attempts.append({d.id: d for d in deliveries(runtime)}[bad].attempts)
        assert attempts == list(range(2, runtime.settings.delivery_max_attempts + 1))
        assert {d.id: d for d in deliveries(runtime)}[bad].status == "failed"
    finally:
        with runtime.engine.begin() as connection:
            for statement in drop:
                connection.exec_driver_sql(statement)


def test_mrr_summed_over_many_large_accounts_is_counted_exactly(client, runtime):
    """150 accounts at the largest MRR taken in: 1.5 x 10^12, past NUMERIC(14, 2)."""
    for n in range(150):
        report = Report(f"T-{n}", f"cfo{n}@corp{n}.com", company=f"Corp {n}", mrr=10**10)
        assert send(client, "generic", report).status_code == 202
    assert send(client, "generic", Report("T-x", "x@globex.com")).status_code == 202
    processing.drain(runtime.engine, runtime.settings)
    assert {d.status for d in deliveries(runtime)} == {"processed"}
    ordinary = by_key(client, runtime)["ordinary"]
    assert Decimal(str(ordinary["mrr"])) == Decimal(150 * 10**10)
    assert ordinary["accounts"] == 151 and ordinary["tickets"] == 151


@pytest.mark.parametrize("kind", KINDS)
def test_a_nul_in_any_text_field_is_dropped_and_the_report_kept(client, runtime, kind):
    report = Report(
        "T\x00-1",
        "sam@acme.com",
        ["pain-\x00ordinary"],
        name="Sam\x00 Okafor",
        subject="Export\x00 hangs\x07",
        delivery_id="dlv-\x00-1",
    )
    response = send(client, kind, report)
    assert response.status_code == 202, response.get_json()
    processing.drain(runtime.engine, runtime.settings)
    assert {d.status for d in deliveries(runtime)} == {"processed"}
    with Session(runtime.engine) as session:
        pain_point = session.exec(select(PainPoint)).one()
        customer = session.get(Customer, pain_point.customer_id)
    assert pain_point.ticket_id == "T-1" and pain_point.subject == "Export hangs"
    assert customer is not None and customer.name == "Sam Okafor"


@pytest.mark.parametrize("kind", ["generic", "intercom", "front"])
def test_a_nul_in_a_delivery_id_is_stored_not_a_500(client, runtime, kind):
    first = send(client, kind, Report("T-1", "sam@acme.com", delivery_id="evt\x00one"))
    again = send(client, kind, Report("T-1", "sam@acme.com", delivery_id="evt\x00one"))
    assert first.status_code == again.status_code == 202
    assert again.get_json() == {**first.get_json(), "duplicate": True}
    processing.drain(runtime.engine, runtime.settings)
    assert [d.status for d in deliveries(runtime)] == ["processed"]


@pytest.mark.parametrize(
    ("change", "field_named"),
    [
        ({"email": "a" * 320 + "@acme.com"}, "e-mail"),
        ({"email": "not-an-address"}, "e-mail"),
        ({"ticket": "T" * 256}, "ticket id"),
        ({"mrr": 10**12}, "MRR"),
        ({"mrr": -5}, "MRR"),
    ],
)
def test_unusable_values_are_refused_with_400_naming_the_field(
    client, runtime, change, field_named
):
    report = Report("T-1", "sam@acme.com", company="Acme", name="Sam Okafor")
    for key, value in change.items():
        setattr(report, key, value)
    response = send(client, "generic", report)
    assert response.status_code == 400
    assert response.get_json()["error"] == "bad_payload"
    assert field_named in response.get_json()["message"]
    (stored,) = deliveries(runtime)
    assert stored.status == "invalid" and field_named in (stored.last_error or "")
    assert "acme.com" not in (stored.last_error or "") and "Sam" not in (stored.last_error or "")
    assert processing.drain(runtime.engine, runtime.settings).claimed == 0


def test_values_past_the_columns_are_trimmed_and_the_report_kept(client, runtime):
    report = Report(
        "T-1",
        "sam@acme.com",
        ["pain-" + "x" * 400],
        name="N" * 300,
        company="C" * 300,
        subject="S" * 5000,
        customer_id="c" * 300,  # an id cannot be trimmed: it is left out
    )
    lone = Report("T-2", "ann@acme.com", name="Ann \ud800 Lee")
    assert send(client, "generic", report).status_code == 202
    assert send(client, "generic", lone).status_code == 202
    processing.drain(runtime.engine, runtime.settings)
    assert {d.status for d in deliveries(runtime)} == {"processed"}
    with Session(runtime.engine) as session:
        names = dict(session.exec(select(Customer.email, Customer.name)).all())
        keys = set(session.exec(select(Problem.key)).all())
        subjects = set(session.exec(select(PainPoint.subject)).all())
    assert names == {"sam@acme.com": "N" * 255, "ann@acme.com": "Ann \ufffd Lee"}
    assert {len(key) for key in keys} == {200, len("ordinary")}
    assert len(max(subjects, key=lambda s: len(s or ""))) == 1000


def test_long_delivery_ids_are_hashed_not_cut(client, runtime):
    first = send(client, "generic", Report("T-1", "sam@acme.com", delivery_id="x" * 300 + "a"))
    second = send(client, "generic", Report("T-2", "ann@acme.com", delivery_id="x" * 300 + "b"))
    retry = send(client, "generic", Report("T-2", "ann@acme.com", delivery_id="x" * 300 + "b"))
    assert first.get_json()["duplicate"] is second.get_json()["duplicate"] is False
    assert retry.get_json() == {**second.get_json(), "duplicate": True}
    processing.drain(runtime.engine, runtime.settings)
    assert by_key(client, runtime)["ordinary"]["tickets"] == 2
    assert {len(d.delivery_key) for d in deliveries(runtime)} == {len("sha256:") + 64}


@pytest.mark.parametrize("kind", KINDS)
def test_more_pain_tags_than_max_pain_tags_is_refused(client, runtime, kind):
    many = [f"pain-problem-{n}" for n in range(2000)]
    response = send(client, kind, Report("T-1", "sam@acme.com", many))
    assert response.status_code == 400
    assert "max_pain_tags" in response.get_json()["message"]
    assert "2000 pain tags" in response.get_json()["message"]
    allowed = [f"pain-problem-{n}" for n in range(runtime.settings.max_pain_tags)]
    assert send(client, kind, Report("T-2", "sam@acme.com", allowed)).status_code == 202
    processing.drain(runtime.engine, runtime.settings)
    assert len(by_key(client, runtime)) == runtime.settings.max_pain_tags


def test_max_pain_tags_is_a_setting(make_settings, redis_url):
    from voice_router.web import create_app
    from workers.runtime import build_runtime

    runtime = build_runtime(make_settings(max_pain_tags=2, redis_url=redis_url))
    try:
        client = create_app(runtime=runtime).test_client()
        tags = ["pain-a", "pain-b", "pain-c", "billing", "vip"]
        response = send(client, "generic", Report("T-1", "sam@acme.com", tags))
        assert response.status_code == 400 and "3 pain tags" in response.get_json()["message"]
        assert send(client, "generic", Report("T-2", "sam@acme.com", tags[1:])).status_code == 202
    finally:
        runtime.engine.dispose()
