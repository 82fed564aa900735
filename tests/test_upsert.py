"""The set-based writes and reads of a processing batch (voice_router.platform.upsert) keep
every value as it was, whatever it holds: on PostgreSQL whole numbers, strings, days and
times go as an array literal written by our code, where quoting is ours to get right."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest
import sqlalchemy as sa
from sqlmodel import Session, select

from voice_router.intake.processing.contention import taken_elsewhere
from voice_router.models import Customer, ImpactDay, ImpactMember, Problem
from voice_router.platform.db import make_engine, session_scope
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


TIMES = [
    datetime(2026, 12, 8, 1, 2, 3, 456789, tzinfo=UTC),
    datetime(2026, 12, 8, 1, 2, 3, tzinfo=timezone(timedelta(hours=5, minutes=30))),
    datetime(2026, 3, 29, 1, 30, tzinfo=timezone(timedelta(hours=-8))),
    datetime(1, 1, 1, 0, 0, 1, tzinfo=UTC),
    datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
]


def test_times_and_days_come_back_as_the_same_moments(engine):
    emails = [f"t{n}@x.example" for n in range(len(TIMES))]
    with session_scope(engine) as session:
        insert_missing(
            session,
            Customer,
            [{"email": e, "created_at": t} for e, t in zip(emails, TIMES, strict=True)],
        )
        session.add(Problem(key="dated", title="Dated"))
    with Session(engine) as session:
        found = find_many(
            session, TABLE, ["email"], [(e,) for e in emails], ["email", "created_at"]
        )
        assert {e: t.astimezone(UTC) for e, t in found} == dict(zip(emails, TIMES, strict=True))
        named = session.exec(
            select(Customer.email).where(among(session, Customer.created_at, TIMES[1:3]))
        ).all()
        assert sorted(named) == emails[1:3]
        with pytest.raises(sa.exc.StatementError, match="timezone"):  # as a single time would
            session.exec(
                select(Customer.email).where(
                    among(session, Customer.created_at, [datetime(2026, 1, 1)])
                )
            ).all()
        problem_id = session.exec(select(Problem.id).where(Problem.key == "dated")).one()
    table = Problem.__table__  # type: ignore[attr-defined]  # SQLModel leaves __table__ undeclared
    with session_scope(engine) as session:
        update_many(
            session,
            table,
            ["id"],
            [{"id": problem_id, "first_seen": TIMES[3], "last_seen": TIMES[4]}],
        )
        days = {(problem_id, date(1, 1, 1)): 1, (problem_id, date(9999, 12, 31)): 2}
        add_many(session, ImpactDay.__table__, ["owner_id", "day"], "tickets", days)  # type: ignore[attr-defined]
    with Session(engine) as session:
        problem = session.get(Problem, problem_id)
        assert problem is not None
        assert (problem.first_seen, problem.last_seen) == (TIMES[3], TIMES[4])
        stored = session.exec(select(ImpactDay.day, ImpactDay.tickets)).all()
        assert sorted(stored) == [(date(1, 1, 1), 1), (date(9999, 12, 31), 2)]


def test_names_another_batch_holds_come_back_as_they_went(postgres_database):
    """contention: the names another transaction locked are told apart exactly, whatever they
    hold (advisory locks, PostgreSQL's, taken over an array literal of the names)."""
    engine = make_engine(postgres_database)
    names = sorted(f"customer:{text}" for text in AWKWARD)
    try:
        with Session(engine) as holder, Session(engine) as other:
            assert taken_elsewhere(holder, set(names[::2])) == set()
            assert taken_elsewhere(other, set(names)) == set(names[::2])
    finally:
        engine.dispose()


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
