"""The set-based writes and reads of a processing batch (voice_router.platform.upsert) keep
every value as it was, whatever it holds: on PostgreSQL whole numbers and strings go as an
array literal written by our code, where quoting is ours to get right."""

from __future__ import annotations

from datetime import date

import pytest
from sqlmodel import Session, select

from voice_router.models import Customer, ImpactDay, ImpactMember, Problem
from voice_router.platform.db import session_scope
from voice_router.platform.upsert import (
    add_many,
    among,
    delete_many,
    find_many,
    insert_missing,
    update_many,
)

AWKWARD = [
    'say "hi"',
    "back\\slash",
    "\\",
    '"',
    '\\"',
    "{brace}",
    "}",
    "comma, here",
    "NULL",
    "null",
    "",
    "  spaced  ",
    "tab\tnew\nline",
    "ünïcødé 🚀 日本",
    "'single'",
    "ARRAY[1]",
]
TABLE = Customer.__table__  # type: ignore[attr-defined]  # SQLModel leaves __table__ undeclared


@pytest.fixture
def engine(runtime):  # type: ignore[no-untyped-def]
    return runtime.engine


def test_awkward_strings_and_numbers_come_back_as_they_went(engine):
    emails = [f"{n}{text}@x.example" for n, text in enumerate(AWKWARD)]
    with session_scope(engine) as session:
        insert_missing(
            session,
            Customer,
            [{"email": e, "name": t} for e, t in zip(emails, AWKWARD, strict=True)],
        )
    with Session(engine) as session:
        found = find_many(
            session, TABLE, ["email"], [(e,) for e in emails], ["id", "email", "name"]
        )
        by_email = {email: (cid, name) for cid, email, name in found}
        assert {email: name for email, (_, name) in by_email.items()} == dict(
            zip(emails, AWKWARD, strict=True)
        )
        ids = [by_email[e][0] for e in emails]
        again = find_many(session, TABLE, ["id"], [(i,) for i in ids], ["id", "name"])
        assert sorted(again) == sorted(zip(ids, AWKWARD, strict=True))
    renamed = list(reversed(AWKWARD))
    with session_scope(engine) as session:
        update_many(
            session,
            TABLE,
            ["id"],
            [{"id": i, "name": n} for i, n in zip(ids, renamed, strict=True)],
        )
    with Session(engine) as session:
        found = find_many(session, TABLE, ["id"], [(i,) for i in ids], ["id", "name"])
        assert sorted(found) == sorted(zip(ids, renamed, strict=True))


def test_a_missing_value_among_strings_stays_missing(engine):
    with session_scope(engine) as session:
        insert_missing(
            session,
            Customer,
            [
                {"email": "named@x.example", "name": "Named"},
                {"email": "nameless@x.example", "name": None},
            ],
        )
    with Session(engine) as session:
        found = find_many(
            session,
            TABLE,
            ["email"],
            [("named@x.example",), ("nameless@x.example",), ("absent@x.example",)],
            ["email", "name"],
        )
    assert sorted(found) == [("named@x.example", "Named"), ("nameless@x.example", None)]


def test_among_finds_awkward_strings_and_numbers(engine):
    emails = [f"{n}{text}@x.example" for n, text in enumerate(AWKWARD)]
    with session_scope(engine) as session:
        insert_missing(session, Customer, [{"email": e} for e in emails])
    with Session(engine) as session:
        wanted = [*emails[::2], "absent@x.example"]
        found = session.exec(select(Customer).where(among(session, Customer.email, wanted))).all()
        assert sorted(c.email for c in found) == sorted(emails[::2])
        ids = [c.id for c in found]
        again = session.exec(select(Customer.email).where(among(session, Customer.id, ids))).all()
        assert sorted(again) == sorted(emails[::2])
        assert session.exec(select(Customer).where(among(session, Customer.id, []))).all() == []


def test_delete_many_deletes_exactly_the_rows_named(engine):
    emails = [f"{n}{text}@x.example" for n, text in enumerate(AWKWARD)]
    many = [f"bulk{n}@x.example" for n in range(1200)]  # more than SQLite's 500 a statement
    with session_scope(engine) as session:
        insert_missing(session, Customer, [{"email": e} for e in [*emails, *many]])
    gone = [*emails[::2], *many[::3]]
    with session_scope(engine) as session:
        delete_many(session, TABLE, ["email"], [(e,) for e in [*gone, "absent@x.example"]])
        delete_many(session, TABLE, ["email"], [])
    with Session(engine) as session:
        left = session.exec(select(Customer.email)).all()
    assert sorted(left) == sorted(set(emails + many) - set(gone))


def test_add_many_moves_the_rows_there_are_and_starts_the_others(engine):
    """What a batch's tallies and days are written with: each step added to the row its key
    names, or a row started at the step, and every row's new value returned (a tally that
    reaches zero or goes below is how the batch knows a customer left a problem)."""
    members = ImpactMember.__table__  # type: ignore[attr-defined]
    days = ImpactDay.__table__  # type: ignore[attr-defined]
    with session_scope(engine) as session:
        problem = Problem(key="slow-export", title="Slow export")
        session.add(problem)
        session.flush()
        owner = problem.id
        assert add_many(session, members, ["owner_id", "kind", "member_id"], "n", {}) == []
        first = add_many(
            session,
            members,
            ["owner_id", "kind", "member_id"],
            "n",
            {(owner, "c", 7): 2, (owner, "a", 7): 1, (owner, "c", 8): 1},
        )
    assert sorted(first) == [(owner, "a", 7, 1), (owner, "c", 7, 2), (owner, "c", 8, 1)]
    many = {(owner, "c", 100 + n): 1 for n in range(1200)}  # past SQLite's 500 a statement
    with session_scope(engine) as session:
        again = add_many(
            session,
            members,
            ["owner_id", "kind", "member_id"],
            "n",
            {(owner, "c", 7): -2, (owner, "c", 8): 3, (owner, "c", 9): -1, **many},
        )
        moved = add_many(
            session,
            days,
            ["owner_id", "day"],
            "tickets",
            {(owner, date(2026, 12, 1)): 2, (owner, date(2026, 12, 2)): 1},
        )
        moved += add_many(
            session, days, ["owner_id", "day"], "tickets", {(owner, date(2026, 12, 1)): -1}
        )
    found = {row[:3]: row[3] for row in again}
    assert len(found) == 1203
    assert (found[(owner, "c", 7)], found[(owner, "c", 8)], found[(owner, "c", 9)]) == (0, 4, -1)
    assert sorted(moved[:2]) == [(owner, date(2026, 12, 1), 2), (owner, date(2026, 12, 2), 1)]
    assert moved[2:] == [(owner, date(2026, 12, 1), 1)]
    with Session(engine) as session:
        stored = {
            (row.kind, row.member_id): row.n
            for row in session.exec(select(ImpactMember).where(ImpactMember.member_id < 100))
        }
        assert stored == {("a", 7): 1, ("c", 7): 0, ("c", 8): 4, ("c", 9): -1}
        assert sorted(session.exec(select(ImpactDay.day, ImpactDay.tickets)).all()) == [
            (date(2026, 12, 1), 1),
            (date(2026, 12, 2), 1),
        ]
