"""A drain that finds a backlog makes its meaning vectors in a thread beside its batches
(workers/jobs.py, `_vectors_beside`): they are still made, and still fail the drain when
they cannot be, on both databases."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlmodel import Session, select

from tests.support import generic_delivery, receive_generic
from voice_router.models import PainPoint, Problem, ProblemVector
from workers import jobs
from workers.runtime import build_runtime

TAGS = ["pain-export", "pain-sso-login", "pain-slow-search"]


@pytest.fixture
def backlog(make_settings):
    """Nine deliveries over three new problems, stored and not yet processed (no Redis, no
    runner: they wait for the drain the test runs)."""
    runtime = build_runtime(make_settings())
    for i in range(9):
        delivery = generic_delivery(f"T{i}", f"person{i}@company{i}.com", [TAGS[i % 3]])
        receive_generic(runtime.engine, runtime.settings, delivery)
    yield runtime
    runtime.engine.dispose()


def test_a_backlog_drain_still_makes_the_vectors_of_its_new_problems(backlog) -> None:
    summary = jobs.drain_inbox(backlog, batch_size=2)  # five batches: a backlog

    assert summary["processed"] == 9
    with Session(backlog.engine) as session:
        problems = session.exec(select(Problem.id)).all()
        made = session.exec(select(ProblemVector.problem_id)).all()
        assert len(session.exec(select(PainPoint.id)).all()) == 9
    assert len(problems) == 3
    assert sorted(made) == sorted(problems)


def test_vectors_that_cannot_be_made_fail_the_drain_after_its_batches_commit(backlog) -> None:
    """As when they were made after the batches: the job fails (rq retries it, serve's
    runner logs it), and what the batches did stays done."""
    with backlog.engine.begin() as connection:
        connection.exec_driver_sql("ALTER TABLE problemvector RENAME TO problemvector_away")
    try:
        with pytest.raises(sa.exc.DBAPIError, match="problemvector"):
            jobs.drain_inbox(backlog, batch_size=2)
    finally:  # the PostgreSQL database is the next test's too
        with backlog.engine.begin() as connection:
            connection.exec_driver_sql("ALTER TABLE problemvector_away RENAME TO problemvector")

    with Session(backlog.engine) as session:
        assert len(session.exec(select(PainPoint.id)).all()) == 9
