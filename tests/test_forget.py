"""`voice-router forget EMAIL`: one person's personal data leaves every table, byte for byte,
while every problem's counts stay what they were."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from sqlmodel import Session, SQLModel, col, select

from tests.support import (
    by_key,
    config_file,
    generic_delivery,
    lock_waiters,
    post_signed,
    token,
)
from voice_router.cli import cli
from voice_router.demo import sample_files
from voice_router.intake import processing
from voice_router.models import (
    AuditEntry,
    Customer,
    Delivery,
    Note,
    Outbound,
    PainPoint,
    Problem,
)
from voice_router.problems import impact_check, impact_recount
from voice_router.problems.privacy import FORGOTTEN_BODY, forget

EMAIL = "maria.lopez@acme-corp.com"  # in the Help Scout and (as Maria.Lopez@…) Intercom samples
NAME = "Maria Lopez"
# Lower-cased needles looked for in the lower-cased bytes of every column of every table.
NEEDLES = (EMAIL.encode(), b"maria lopez", b"lopez")
IMPACT = ("customers", "accounts", "mrr", "tickets", "first_seen", "last_seen")


def maria_first_ticket() -> dict:
    """Maria's ticket G-1, her address in mixed case, as its one delivery."""
    return generic_delivery(
        "G-1",
        "MARIA.LOPEZ@Acme-Corp.com",
        ["pain-csv-export-timeout"],
        name=NAME,
        company="Acme Corp",
        subject="Maria Lopez here: the export hangs",
        delivery_id="dlv-maria-1",
    )


def seed(client, runtime, with_colleague: bool = True) -> int:
    """Every shipped sample from every helpdesk, plus Maria in more places (and, with
    `with_colleague`, in the words of another customer); the note's id."""
    for kind, name, sample in sample_files():
        response = post_signed(client, kind, sample["body"], headers=sample.get("headers", {}))
        assert response.status_code == 202, (kind, name)
    maria = maria_first_ticket()
    colleague = generic_delivery(
        "G-2",
        "ole.berg@umbrella.co",
        ["pain-sso-login-loop"],
        name="Ole Berg",
        subject="My colleague Maria Lopez sees the loop too",
    )
    not_a_pain = generic_delivery("G-3", EMAIL, ["billing"], name=NAME)
    for body in (maria, colleague, not_a_pain) if with_colleague else (maria, not_a_pain):
        assert post_signed(client, "generic", body).status_code == 202
    invalid = json.dumps({"contact": EMAIL}).encode()  # signed, kept for inspection, failed
    assert post_signed(client, "generic", invalid).status_code == 400
    found = by_key(client, runtime)
    note = client.post(
        f"/api/v1/problems/{found['sso-login-loop']['id']}/notes",
        json={"body": f"Call {NAME} back at {EMAIL.upper()} once fixed", "arr_at_risk": 1200},
        headers=token(runtime, "agent", "Priya"),
    )
    assert note.status_code == 201
    return note.get_json()["id"]


def dump(engine, skip: tuple[str, ...] = ()) -> bytes:
    """Every column of every row of every table, as lower-cased bytes."""
    chunks = []
    with engine.connect() as connection:
        for table in SQLModel.metadata.sorted_tables:
            if table.name in skip:
                continue
            for row in connection.execute(sa.select(table)):
                for value in row:
                    if isinstance(value, bytes | memoryview):
                        chunks.append(bytes(value))
                    elif value is not None:
                        chunks.append(str(value).encode())
    return b"\n".join(chunks).lower()


def impact_columns(engine) -> dict[int, tuple]:
    with Session(engine) as session:
        rows = session.exec(select(Problem).order_by(col(Problem.id))).all()
        return {p.id: tuple(getattr(p, name) for name in IMPACT) for p in rows}


def recomputed(engine) -> dict[int, tuple]:
    """Impact counted afresh from the pain points (rolled back, the stored columns stay)."""
    with Session(engine) as session:
        problems = session.exec(select(Problem).order_by(col(Problem.id))).all()
        impact_recount.recompute(session, [p.id for p in problems if p.id])
        session.flush()
        fresh = {p.id: tuple(getattr(p, name) for name in IMPACT) for p in problems}
        session.rollback()
    return fresh


def others(engine) -> list[tuple]:
    with Session(engine) as session:
        rows = session.exec(select(Customer).order_by(col(Customer.id))).all()
        return [(c.id, c.email, c.name, c.account_id) for c in rows if c.email not in (EMAIL, None)]


def test_forget_erases_the_person_from_every_table_and_keeps_the_counts(client, runtime):
    note_id = seed(client, runtime)
    assert all(needle in dump(runtime.engine) for needle in NEEDLES)
    before_api, before = by_key(client, runtime), impact_columns(runtime.engine)
    true_before = recomputed(runtime.engine)
    other_customers = others(runtime.engine)

    report = forget(runtime.engine, "Maria.Lopez@ACME-corp.com", "test:dpo")

    data = dump(runtime.engine)
    assert EMAIL.encode() not in data
    # Her name is left only where another customer wrote it (their delivery, their subject):
    # a name alone may be a namesake's. Those rows are counted, not changed.
    assert data.count(b"lopez") == data.count(b"my colleague maria lopez") == 2
    assert report.name_mentions_kept == {"delivery.body": 1, "painpoint.subject": 1}
    assert impact_columns(runtime.engine) == before
    assert by_key(client, runtime) == before_api
    assert recomputed(runtime.engine) == true_before  # what counting finds is unchanged too
    assert others(runtime.engine) == other_customers
    assert report.customers == 1 and report.identities >= 1
    assert report.pain_points == 3  # Help Scout, Intercom and generic tickets
    # Help Scout + Intercom samples, generic pain, generic billing, the invalid one (not the
    # colleague's delivery that names her: it is his):
    assert report.deliveries == 5
    assert report.scrubbed == {"note.body": 1}
    with Session(runtime.engine) as session:
        note = session.get(Note, note_id)
        assert note is not None
        assert note.body == "Call [forgotten] back at [forgotten] once fixed"
        colleague = session.exec(select(PainPoint).where(PainPoint.ticket_id == "G-2")).one()
        assert colleague.subject == "My colleague Maria Lopez sees the loop too"
        tombstone = session.exec(
            select(Customer).where(col(Customer.email).is_(None), col(Customer.name).is_(None))
        ).one()
        mine = session.exec(select(PainPoint).where(PainPoint.customer_id == tombstone.id)).all()
        assert {p.subject for p in mine} == {None}
        assert None not in {p.agent_email for p in mine}  # agents are not the customer


def test_forgotten_deliveries_are_stubs_that_never_process_again(client, runtime):
    seed(client, runtime)
    forget(runtime.engine, EMAIL, "test")
    with Session(runtime.engine) as session:
        stubs = session.exec(select(Delivery).where(Delivery.body == FORGOTTEN_BODY)).all()
    assert len(stubs) == 5
    assert {d.headers for d in stubs} == {"{}"}
    assert sorted(d.status for d in stubs) == ["forgotten"] + ["processed"] * 4
    assert all(d.last_error and d.last_error.startswith("forgotten") for d in stubs)
    assert processing.replay(runtime.engine, None) == 0  # the invalid one is not replayable
    assert processing.replay(runtime.engine, [d.id for d in stubs if d.id]) == 0
    # The helpdesk retries an old delivery: still a duplicate, she does not come back.
    retry = maria_first_ticket()  # the same delivery again
    response = post_signed(client, "generic", retry)
    assert response.status_code == 202 and response.get_json()["duplicate"] is True
    assert EMAIL.encode() not in dump(runtime.engine)


def test_the_notify_list_no_longer_lists_her_and_the_problem_still_counts_her(client, runtime):
    seed(client, runtime)
    problem = by_key(client, runtime)["sso-login-loop"]
    url = f"/api/v1/problems/{problem['id']}/notify"
    before = client.get(url, headers=token(runtime)).get_json()["recipients"]
    assert EMAIL in [r["customer_email"] for r in before]
    forget(runtime.engine, EMAIL, "test")
    after = client.get(url, headers=token(runtime)).get_json()["recipients"]
    assert [r for r in before if r["customer_email"] != EMAIL] == after  # nobody anonymous
    assert by_key(client, runtime)["sso-login-loop"]["customers"] == problem["customers"]


def test_a_forgotten_persons_ticket_delivered_again_counts_once(client, runtime):
    """Forget is not a block-list: her ticket's next delivery makes her a customer again.
    The ticket is the same one: the new customer takes it over from the tombstone, so no
    count (tickets, customers, accounts, the new tickets per day) has it twice."""
    for ticket, email in (("G-1", EMAIL), ("G-2", "ole.berg@umbrella.co")):
        body = generic_delivery(ticket, email, ["pain-export"], company="Acme Corp", mrr=100)
        assert post_signed(client, "generic", body).status_code == 202
    before = by_key(client, runtime)["export"]
    forget(runtime.engine, EMAIL, "test")
    again = generic_delivery(
        "G-1", EMAIL, ["pain-export"], company="Acme Corp", occurred_at="2026-11-21T10:00:00Z"
    )
    assert post_signed(client, "generic", again).status_code == 202
    after = by_key(client, runtime)["export"]
    counts = ("customers", "accounts", "tickets", "mrr", "trend_30d", "first_seen")
    assert [after[name] for name in counts] == [before[name] for name in counts]
    assert after["last_seen"] == "2026-11-21T10:00:00Z"
    assert impact_check.recompute_all(runtime.engine, fix=False) == []


def test_the_audit_entry_records_counts_not_the_email(client, runtime):
    seed(client, runtime)
    report = forget(runtime.engine, EMAIL, "cli:dpo")
    with Session(runtime.engine) as session:
        entries = session.exec(select(AuditEntry)).all()
    assert [e.id for e in entries] == [report.audit_id]
    entry = entries[0]
    assert entry.action == "forget" and entry.actor == "cli:dpo"
    assert entry.subject_hash == hashlib.sha256(EMAIL.encode()).hexdigest()
    details = json.loads(entry.details)
    assert details["found"] is True
    assert details["customers"] == 1 and details["deliveries"] == 5
    assert details["scrubbed"] == {"note.body": 1}
    assert details["name_mentions_kept"] == {"delivery.body": 1, "painpoint.subject": 1}
    assert "lopez" not in entry.details.lower()


def test_a_dry_run_changes_nothing(client, runtime):
    seed(client, runtime)
    before = dump(runtime.engine)
    preview = forget(runtime.engine, EMAIL, "test", dry_run=True)
    assert preview.found and preview.customers == 1 and preview.audit_id is None
    assert dump(runtime.engine) == before


def test_an_unknown_email_finds_nothing_and_is_still_audited(client, runtime):
    seed(client, runtime)
    before = dump(runtime.engine)
    report = forget(runtime.engine, "nobody@nowhere.example", "test")
    assert dump(runtime.engine, skip=("auditentry",)) == before
    assert not report.found and report.audit_id is not None
    with Session(runtime.engine) as session:
        assert session.exec(select(AuditEntry.details)).one() == json.dumps(
            report.details(), sort_keys=True
        )


def test_a_similar_email_is_someone_else(client, runtime):
    body = generic_delivery("T1", "xmaria.lopez@acme-corp.com", ["pain-x"], name="Xavier")
    assert post_signed(client, "generic", body).status_code == 202
    report = forget(runtime.engine, EMAIL, "test")
    assert not report.found
    assert b"xmaria.lopez@acme-corp.com" in dump(runtime.engine)


def test_spellings_the_database_cannot_lower_are_still_found(client, runtime):
    """The rows to look at are chosen by the database, on a lowered piece of her address or
    name (`Mentions.needles`): a letter SQL's `lower` leaves alone (U+0130, which Python's
    case-insensitive match takes for i) or white space inside her name must not hide a row
    from it."""
    note_id = seed(client, runtime)
    quoted = "Escalated by MAR\u0130A.LOPEZ@ACME-CORP.COM"
    with Session(runtime.engine) as session:
        colleague = session.exec(select(PainPoint).where(PainPoint.ticket_id == "G-2")).one()
        colleague.subject = quoted
        note = session.get(Note, note_id)
        assert note is not None
        note.body = "Ring maria \n\t LOPEZ, not \u212aaria Lopez"
        session.add_all([colleague, note])
        session.commit()

    report = forget(runtime.engine, EMAIL, "test:dpo")

    assert report.scrubbed == {"note.body": 1, "painpoint.subject": 1}
    with Session(runtime.engine) as session:
        colleague = session.exec(select(PainPoint).where(PainPoint.ticket_id == "G-2")).one()
        assert colleague.subject == "Escalated by [forgotten]"
        note = session.get(Note, note_id)
        assert note is not None and note.body == "Ring [forgotten], not \u212aaria Lopez"


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_sqlite_file_keeps_no_copy(client, runtime, settings):
    """Rows updated before forget leave old copies in free space of the file; forget runs
    with secure_delete, then VACUUM and a truncating WAL checkpoint, so none survives.
    (A file-level check, so SQLite only; for PostgreSQL see docs/privacy.md.)"""
    runtime.engine.dispose()  # as with a SQLite built without SQLITE_SECURE_DELETE:
    sa.event.listen(runtime.engine, "connect", lambda c, _: c.execute("PRAGMA secure_delete=0"))
    seed(client, runtime, with_colleague=False)
    path = Path(settings.database_url.removeprefix("sqlite:///"))

    def file_bytes() -> bytes:
        files = [path, path.with_name(path.name + "-wal")]
        return b"".join(f.read_bytes() for f in files if f.exists()).lower()

    assert EMAIL.encode() in file_bytes()
    report = forget(runtime.engine, EMAIL, "test")
    assert report.sqlite_file == "compacted"
    data = file_bytes()
    for needle in NEEDLES:
        assert needle not in data, needle
    with runtime.engine.connect() as connection:  # the pooled connection's setting is restored
        assert connection.exec_driver_sql("PRAGMA secure_delete").scalar() == 0


def test_what_already_left_is_reported_and_a_digest_to_her_is_cancelled(client, runtime):
    seed(client, runtime)
    with Session(runtime.engine) as session:
        mine = session.exec(select(PainPoint).where(PainPoint.ticket_id == "G-1")).one()
        problem = session.get(Problem, mine.problem_id)
        assert problem is not None
        problem.jira_key = "PROD-7"
        note = Note(problem_id=problem.id, body=f"{NAME} will churn", author="Priya")
        note.jira_comment_id = "10001"
        sent = dict(problem_id=problem.id, outcome="shipped", status="sent")
        session.add_all(
            [
                problem,
                note,
                Outbound(channel="writeback", target="generic:G-1", **sent),
                Outbound(channel="email", target=mine.agent_email or "", **sent),
                Outbound(problem_id=problem.id, channel="email", target=EMAIL, outcome="shipped"),
            ]
        )
        session.commit()
        problem_id = problem.id
    report = forget(runtime.engine, EMAIL, "test")
    assert report.jira_comments == ["PROD-7 comment 10001"]
    assert report.jira_problems == [problem_id]
    assert (report.writebacks_sent, report.digests_sent, report.outbound) == (1, 1, 1)
    with Session(runtime.engine) as session:
        to_her = session.exec(select(Outbound).where(col(Outbound.target).startswith("forgotten:")))
        assert [row.status for row in to_her] == ["cancelled"]
    assert EMAIL.encode() not in dump(runtime.engine)


def run(tmp_path, settings, *args, answer: str | None = None):
    return CliRunner().invoke(
        cli, ["--config", str(config_file(tmp_path, settings.database_url)), *args], input=answer
    )


def test_cli_forget_with_yes_prints_counts_only(tmp_path, settings, client, runtime):
    seed(client, runtime)
    result = run(tmp_path, settings, "forget", EMAIL, "--yes")
    assert result.exit_code == 0, result.output
    assert "customer records made anonymous: 1" in result.output
    assert "raw webhook deliveries erased: 5" in result.output
    assert "same full name (delivery.body 1, painpoint.subject 1)" in result.output
    assert "audit entry" in result.output
    assert "lopez" not in result.output.lower()
    assert EMAIL.encode() not in dump(runtime.engine)


def test_cli_forget_asks_first_and_no_changes_nothing(tmp_path, settings, client, runtime):
    seed(client, runtime)
    before = dump(runtime.engine)
    result = run(tmp_path, settings, "forget", EMAIL, answer="n\n")
    assert result.exit_code == 1
    assert "Erase it?" in result.output and "nothing erased" in result.output
    assert "lopez" not in result.output.lower()
    assert dump(runtime.engine) == before
    result = run(tmp_path, settings, "forget", EMAIL, answer="y\n")
    assert result.exit_code == 0, result.output
    assert EMAIL.encode() not in dump(runtime.engine)


def test_cli_forget_of_an_unknown_email_exits_1(tmp_path, settings, client, runtime):
    result = run(tmp_path, settings, "forget", "nobody@nowhere.example")
    assert result.exit_code == 1
    assert "no customer or stored data matches that e-mail" in result.output
    with Session(runtime.engine) as session:
        assert len(session.exec(select(AuditEntry)).all()) == 1


def test_cli_forget_refuses_what_is_not_an_email(tmp_path, settings):
    result = run(tmp_path, settings, "forget", "maria", "--yes")
    assert result.exit_code == 2 and "not an e-mail address" in result.output


def test_cli_forget_applies_the_persons_waiting_deliveries_first(
    tmp_path, settings, client, runtime
):
    """Fault audit: a removal of the person's still waiting in the inbox became a stub that
    is never processed, so the ticket they had untagged stayed counted for good."""
    from tests.support import receive_generic

    for ticket, email in (("F-1", EMAIL), ("F-2", "ole.berg@umbrella.co")):
        body = generic_delivery(ticket, email, ["pain-export"], occurred_at="2026-11-20T10:00:00Z")
        assert post_signed(client, "generic", body).status_code == 202
    assert by_key(client, runtime)["export"]["tickets"] == 2
    removal = generic_delivery(
        "F-1", EMAIL, removed_tags=["pain-export"], occurred_at="2026-11-21T10:00:00Z"
    )
    receive_generic(runtime.engine, settings, removal)  # stored, not processed yet
    result = run(tmp_path, settings, "forget", EMAIL, "--yes")
    assert result.exit_code == 0, result.output
    assert "Applied 1 waiting deliveries first" in result.output
    export = by_key(client, runtime)["export"]
    assert (export["tickets"], export["customers"]) == (1, 1)
    assert EMAIL.encode() not in dump(runtime.engine)


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_forget_meeting_a_drain_batch_of_the_persons_deliveries_starts_again(client, runtime):
    """Fault audit: a batch held one of the person's deliveries and then waited for the pain
    points forget had locked; PostgreSQL ended forget with a deadlock, every time, while
    the helpdesk kept sending. Forget now starts again and erases."""
    import threading
    import time

    body = generic_delivery("F-1", EMAIL, ["pain-export"])
    assert post_signed(client, "generic", body).status_code == 202
    engine = sa.create_engine(runtime.engine.url)
    reports: list = []
    try:
        with engine.connect() as batch:
            batch.execute(sa.text("SELECT id FROM delivery FOR UPDATE"))  # claimed
            eraser = threading.Thread(
                target=lambda: reports.append(forget(runtime.engine, EMAIL, "test")), daemon=True
            )
            eraser.start()
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:  # until forget waits for the claimed row
                if lock_waiters(batch):
                    break
                time.sleep(0.05)
            else:
                raise AssertionError("forget never waited for the claimed delivery")
            batch.execute(sa.text("UPDATE painpoint SET last_event_at = last_event_at"))
            batch.commit()
        eraser.join(30)
    finally:
        engine.dispose()
    assert not eraser.is_alive()
    [report] = reports
    assert report.found and report.customers == 1
    assert EMAIL.encode() not in dump(runtime.engine)
