"""`voice-router forget` matches people, not strings: two customers who share a full name are
two people, and forgetting one leaves every row and delivery of the other as it was."""

from __future__ import annotations

import json

import sqlalchemy as sa
from sqlmodel import Session, col, select

from integrations import registry
from tests.support import SECRETS, generic_delivery
from voice_router.intake import inbox, processing
from voice_router.models import Customer, CustomerIdentity, Delivery, Note, PainPoint, Problem
from voice_router.problems.privacy import FORGOTTEN_BODY, forget

NAME = "Anna Berg"
ANNA = "anna.berg@north.example"  # the one who asks to be forgotten
NAMESAKE = "anna.berg@south.example"  # somebody else with the same name


def receive(runtime, body: dict | bytes, source: str = "generic") -> int:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    headers = registry.adapter(source).sign(raw, SECRETS[source])
    return inbox.receive(runtime.engine, runtime.settings, source, headers, raw).delivery_id


def report_of(ticket: str, email: str, tag: str, subject: str, customer_id: str) -> dict:
    return generic_delivery(
        ticket,
        email,
        [tag],
        name=NAME,
        company=email.split("@")[1].split(".")[0].title(),
        mrr=500,
        subject=subject,
        delivery_id=f"dlv-{ticket}",
        customer_id=customer_id,
    )


def two_namesakes(runtime) -> dict[str, int]:
    """Each Anna Berg: one report processed, one still pending in the inbox."""
    ids = {
        "N-1": receive(runtime, report_of("N-1", ANNA, "pain-export", f"{NAME}: export", "n7")),
        "S-1": receive(runtime, report_of("S-1", NAMESAKE, "pain-export", f"{NAME} here", "s7")),
    }
    processing.drain(runtime.engine, runtime.settings)
    ids["N-2"] = receive(runtime, report_of("N-2", ANNA, "pain-sso", f"{NAME}: loop", "n7"))
    ids["S-2"] = receive(runtime, report_of("S-2", NAMESAKE, "pain-sso", f"I, {NAME}", "s7"))
    return ids


def delivery_rows(engine, ids: list[int]) -> dict[int, tuple]:
    table = Delivery.__table__  # type: ignore[attr-defined]
    columns = (table.c.id, table.c.status, table.c.body, table.c.headers, table.c.last_error)
    with engine.connect() as connection:
        rows = connection.execute(sa.select(*columns).where(table.c.id.in_(ids))).all()
    return {row.id: (row.status, bytes(row.body), row.headers, row.last_error) for row in rows}


def namesake_state(engine) -> tuple:
    with Session(engine) as session:
        customer = session.exec(select(Customer).where(Customer.email == NAMESAKE)).one()
        identities = session.exec(
            select(CustomerIdentity.source, CustomerIdentity.external_id).where(
                CustomerIdentity.customer_id == customer.id
            )
        ).all()
        points = session.exec(
            select(PainPoint.ticket_id, PainPoint.subject, PainPoint.ticket_url)
            .where(PainPoint.customer_id == customer.id)
            .order_by(col(PainPoint.ticket_id))
        ).all()
        return (customer.email, customer.name, customer.account_id, identities, points)


def impact_by_key(engine) -> dict[str, tuple]:
    with Session(engine) as session:
        return {
            p.key: (p.customers, p.accounts, p.mrr, p.tickets)
            for p in session.exec(select(Problem)).all()
        }


def test_forgetting_one_of_two_namesakes_leaves_the_other_whole_and_processable(runtime):
    ids = two_namesakes(runtime)
    hers, theirs = [ids["N-1"], ids["N-2"]], [ids["S-1"], ids["S-2"]]
    their_deliveries = delivery_rows(runtime.engine, theirs)
    assert [their_deliveries[i][0] for i in theirs] == ["processed", "pending"]
    their_state, counts = namesake_state(runtime.engine), impact_by_key(runtime.engine)

    report = forget(runtime.engine, ANNA, "test")

    assert (report.customers, report.identities, report.pain_points) == (1, 1, 1)
    assert report.deliveries == 2
    assert delivery_rows(runtime.engine, theirs) == their_deliveries  # byte for byte
    assert namesake_state(runtime.engine) == their_state
    assert impact_by_key(runtime.engine) == counts
    stubs = delivery_rows(runtime.engine, hers)
    assert [stubs[i][:2] for i in hers] == [
        ("processed", FORGOTTEN_BODY),
        ("forgotten", FORGOTTEN_BODY),
    ]

    # The namesake's pending report still goes through; the forgotten person's does not.
    processing.drain(runtime.engine, runtime.settings)
    assert delivery_rows(runtime.engine, [ids["S-2"]])[ids["S-2"]][0] == "processed"
    after = impact_by_key(runtime.engine)
    assert after["export"] == counts["export"]  # the tombstone and the namesake
    assert after["sso"] == (1, 1, 500, 1)  # only the namesake reported it
    with Session(runtime.engine) as session:
        theirs_now = session.exec(select(PainPoint).where(PainPoint.ticket_id == "S-2")).one()
        assert theirs_now.subject == f"I, {NAME}"


def test_staff_notes_lose_the_name_but_other_peoples_own_words_keep_it(runtime):
    two_namesakes(runtime)
    processing.drain(runtime.engine, runtime.settings)
    with Session(runtime.engine) as session:
        export = session.exec(select(Problem).where(Problem.key == "export")).one()
        session.add(Note(problem_id=export.id, body=f"{NAME} (North) may churn", author="Priya"))
        session.commit()
    their_state = namesake_state(runtime.engine)

    report = forget(runtime.engine, ANNA, "test")

    assert report.scrubbed == {"note.body": 1}
    assert namesake_state(runtime.engine) == their_state  # subjects, name: untouched
    with Session(runtime.engine) as session:
        assert session.exec(select(Note.body)).one() == "[forgotten] (North) may churn"
    # What is left alone because it may be the namesake's is counted, never shown.
    assert report.name_mentions_kept == {
        "customer.name": 1,
        "delivery.body": 2,
        "painpoint.subject": 2,
    }


def test_an_unparseable_delivery_is_hers_by_her_email_never_by_a_name(runtime):
    receive(runtime, report_of("N-1", ANNA, "pain-export", "export", "n7"))
    processing.drain(runtime.engine, runtime.settings)
    with_email = receive(runtime, json.dumps({"contact": ANNA.upper()}).encode())
    with_name = receive(runtime, json.dumps({"contact": NAME, "x": "anna.berg"}).encode())
    statuses = delivery_rows(runtime.engine, [with_email, with_name])
    assert {s[0] for s in statuses.values()} == {"invalid"}

    report = forget(runtime.engine, ANNA, "test")

    after = delivery_rows(runtime.engine, [with_email, with_name])
    assert report.deliveries == 2  # N-1 and the one with her address
    assert after[with_email][:2] == ("forgotten", FORGOTTEN_BODY)
    assert after[with_name] == statuses[with_name]


def test_her_email_in_someone_elses_delivery_is_cut_out_and_their_report_survives(runtime):
    """She was the agent on another customer's ticket, and her address is in its subject:
    the delivery is theirs, so it keeps its status and is processed; only her address goes."""
    body = generic_delivery(
        "S-9",
        NAMESAKE,
        ["pain-export"],
        name=NAME,
        subject=f"Escalated by {ANNA.upper()} for {NAME}",
        agent_email=ANNA,
        delivery_id="dlv-S-9",
    )
    theirs = receive(runtime, body)

    report = forget(runtime.engine, ANNA, "test")

    status, raw, _headers, _error = delivery_rows(runtime.engine, [theirs])[theirs]
    assert status == "pending" and report.deliveries == 0
    assert report.scrubbed == {"delivery.body": 1}
    assert ANNA.encode() not in raw.lower()
    document = json.loads(raw)
    assert document["customer"] == body["customer"]
    assert document["ticket"]["subject"] == f"Escalated by [forgotten] for {NAME}"
    assert document["agent"]["email"] is None  # a field that was her address is emptied
    processing.drain(runtime.engine, runtime.settings)
    with Session(runtime.engine) as session:
        point = session.exec(select(PainPoint).where(PainPoint.ticket_id == "S-9")).one()
        customer = session.get(Customer, point.customer_id)
        assert customer is not None and (customer.email, customer.name) == (NAMESAKE, NAME)
        assert point.subject == f"Escalated by [forgotten] for {NAME}"
        assert point.agent_email is None


def test_an_agent_who_is_forgotten_leaves_the_tickets_she_handled(runtime):
    receive(runtime, generic_delivery("S-3", NAMESAKE, ["pain-export"], agent_email=ANNA))
    processing.drain(runtime.engine, runtime.settings)

    forget(runtime.engine, ANNA, "test")

    with Session(runtime.engine) as session:
        point = session.exec(select(PainPoint).where(PainPoint.ticket_id == "S-3")).one()
        assert (point.agent_email, point.agent_name) == (None, None)
        customer = session.get(Customer, point.customer_id)
        assert customer is not None and customer.email == NAMESAKE


def test_jira_deliveries_lose_her_address_and_name_and_keep_their_status(runtime):
    """Jira's webhooks carry the issue description (the impact block quotes subjects, with
    Jira's markup escapes) and staff comments: nobody's own words, so both are cut out."""
    receive(runtime, report_of("N-1", ANNA, "pain-export", "export", "n7"))
    description = f"* {NAME} \\- anna.berg\\@north.example \\- export"
    body = {
        "webhookEvent": "jira:issue_updated",
        "issue": {"key": "PROD-1", "fields": {"description": description}},
        "comment": {"body": f"Called {NAME} at {ANNA}", "author": {"displayName": NAME}},
    }
    with Session(runtime.engine) as session:
        row = Delivery(
            source="jira",
            kind="jira",
            delivery_key="j-1",
            headers="{}",
            body=json.dumps(body, indent=1).encode(),
        )
        session.add(row)
        session.commit()
        delivery_id = row.id
    assert delivery_id is not None

    forget(runtime.engine, ANNA, "test")

    status, stored, _headers, _error = delivery_rows(runtime.engine, [delivery_id])[delivery_id]
    assert status == "pending"
    document = json.loads(stored)
    assert document["webhookEvent"] == "jira:issue_updated"
    assert document["issue"]["fields"]["description"] == "* [forgotten] - [forgotten] - export"
    assert document["comment"] == {
        "body": "Called [forgotten] at [forgotten]",
        "author": {"displayName": None},
    }


def test_her_name_across_a_line_break_in_a_jira_comment_is_found_and_cut(runtime):
    """JSON writes a line break as `\\n`: her name on two lines of a staff comment is still
    her name (the cut reads the decoded strings; so must the search that decides to cut)."""
    receive(runtime, report_of("N-1", ANNA, "pain-export", "export", "n7"))
    first, last = NAME.split()
    body = {"webhookEvent": "comment_created", "comment": {"body": f"Met\n{first}\n{last} today"}}
    with Session(runtime.engine) as session:
        row = Delivery(
            source="jira", kind="jira", delivery_key="j-2", headers="{}",
            body=json.dumps(body).encode(),
        )  # fmt: skip
        session.add(row)
        session.commit()
        delivery_id = row.id
    assert delivery_id is not None

    report = forget(runtime.engine, ANNA, "test")

    assert report.scrubbed == {"delivery.body": 1}
    stored = delivery_rows(runtime.engine, [delivery_id])[delivery_id][1]
    assert json.loads(stored)["comment"]["body"] == "Met\n[forgotten] today"


def test_every_string_column_is_swept_also_those_sqlmodel_declares(runtime):
    """SQLModel's `str` columns are a type decorator, not sa.String: a title a PM typed, a
    delivery id a sender chose, are swept like every other text."""
    receive(runtime, report_of("N-1", ANNA, "pain-export", "export", "n7"))
    other = generic_delivery("S-1", NAMESAKE, ["pain-export"], delivery_id=f"re:{ANNA}")
    receive(runtime, other)
    processing.drain(runtime.engine, runtime.settings)
    with Session(runtime.engine) as session:
        export = session.exec(select(Problem).where(Problem.key == "export")).one()
        export.title = f"Export hangs for {NAME} ({ANNA})"
        session.add(export)
        session.commit()

    report = forget(runtime.engine, ANNA, "test")

    assert report.scrubbed == {
        "delivery.body": 1,
        "delivery.delivery_key": 1,
        "problem.title": 1,
    }
    with Session(runtime.engine) as session:
        assert (
            session.exec(select(Problem.title)).one()
            == "Export hangs for [forgotten] ([forgotten])"
        )
        keys = session.exec(select(Delivery.delivery_key).order_by(col(Delivery.id))).all()
        assert keys == ["dlv-N-1", "re:[forgotten]"]
