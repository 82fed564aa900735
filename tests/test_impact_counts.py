"""Impact counts kept by difference equal a recount from the pain points, whatever happens:
tags added, removed and added again (in order or late, one batch or many), account MRR
changing (by deliveries in any order, and by imports), problems merged and unmerged,
customers forgotten, customer rows found to be one person merged; and an account's MRR is
the newest information's."""

from __future__ import annotations

import json
import tempfile
from contextlib import suppress
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import Session, SQLModel, select

from integrations import registry
from tests.support import SECRETS, by_key, generic_delivery, post_signed, receive_generic
from voice_router.intake import inbox, processing
from voice_router.models import Account, Problem
from voice_router.platform.db import make_engine
from voice_router.platform.errors import BadRequest
from voice_router.problems import (
    accounts_import,
    impact,
    impact_check,
    merging,
    privacy,
    trend_days,
)
from voice_router.problems.forget_late import subject_hash
from voice_router.web.ui.sparkline import daily_new_tickets

NOW = datetime.now(UTC).replace(microsecond=0)
TICKETS = ["T1", "T2", "T3", "T4"]
TAGS = ["pain-x", "pain-y", "pain-z"]
PEOPLE = {  # e-mail -> (company, mrr choices); free mail has no company
    "ann@acme.com": "Acme",
    "bob@acme.com": "Acme",
    "cat@beta.io": "Beta",
    "dan@gmail.com": None,
}

tag_event = st.tuples(
    st.just("tag"),
    st.sampled_from(TICKETS),
    st.sampled_from(sorted(PEOPLE)),
    st.lists(st.sampled_from(TAGS), max_size=2, unique=True),
    st.lists(st.sampled_from(TAGS), max_size=1),
    st.integers(0, 70),  # days ago: both trend windows and before them
    st.sampled_from([100, 250]),
    st.booleans(),  # tags_complete
)
operation = st.one_of(
    tag_event,
    tag_event,
    st.tuples(st.just("drain")),
    st.tuples(st.just("merge"), st.sampled_from(TAGS), st.sampled_from(TAGS)),
    st.tuples(st.just("unmerge"), st.sampled_from(TAGS)),
    st.tuples(st.just("forget"), st.sampled_from(sorted(PEOPLE))),
    st.tuples(st.just("import"), st.sampled_from(["acme.com", "beta.io"]), st.just(400)),
)
# domain -> (when, mrr, sure) of each word on its MRR: a delivery's occurred_at, an import's
# moment; `sure` unless the delivery may name no pain point at all (it then changes nothing).
Said = dict[str, list[tuple[datetime, int, bool]]]


def _empty(engine: sa.Engine) -> None:
    with engine.begin() as connection:
        for table in reversed(SQLModel.metadata.sorted_tables):
            connection.execute(table.delete())


def _problem_id(engine: sa.Engine, tag: str) -> int | None:
    with Session(engine) as session:
        return session.exec(select(Problem.id).where(Problem.key == tag[5:])).first()


def _deliver(engine, config, n: int, op: tuple, said: Said) -> None:  # type: ignore[no-untyped-def]
    _, ticket, email, tags, removed, days_ago, mrr, complete = op
    company = PEOPLE[email]
    customer = {"email": email, "name": email.split("@")[0]}
    when = NOW - timedelta(days=days_ago, minutes=n)
    if company:
        customer |= {"company": company, "mrr": mrr}
        said.setdefault(email.split("@")[1], []).append((when, mrr, bool(tags or removed)))
    delivery = {
        "id": f"d{n}",
        "ticket": {"id": ticket},
        "customer": customer,
        "tags": tags,
        "removed_tags": removed,
        "tags_complete": complete,
        "occurred_at": when.strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    receive_generic(engine, config, delivery)


def _apply(engine, config, n: int, op: tuple, said: Said) -> None:  # type: ignore[no-untyped-def]
    if op[0] == "tag":
        _deliver(engine, config, n, op, said)
        return
    if op[0] == "drain":
        processing.drain(engine, config)
    elif op[0] == "merge":
        merged, survivor = _problem_id(engine, op[1]), _problem_id(engine, op[2])
        if merged is not None and survivor is not None:
            with suppress(BadRequest):  # refused (itself, merged already, a cycle): go on
                merging.merge(engine, merged, survivor)
    elif op[0] == "unmerge":
        problem_id = _problem_id(engine, op[1])
        if problem_id is not None:
            with suppress(BadRequest):  # not merged
                merging.unmerge(engine, problem_id)
    elif op[0] == "forget":
        privacy.forget(engine, op[1], "test", compact=False)
    elif op[0] == "import":
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "accounts.csv"
            path.write_text(f"domain,name,plan,mrr\n{op[1]},,,{op[2]}\n")
            said.setdefault(op[1], []).append((datetime.now(UTC), op[2], True))
            assert accounts_import.import_accounts(engine, config, path).imported == 1
    assert impact_check.recompute_all(engine, fix=False) == []


@settings(
    max_examples=10,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@pytest.mark.slow
@given(history=st.lists(operation, min_size=1, max_size=9))
def test_counts_kept_by_difference_equal_a_recount(make_settings, history) -> None:
    config = make_settings()
    engine = make_engine(config.database_url)
    try:
        _empty(engine)
        said: Said = {}
        for n, op in enumerate(history):
            _apply(engine, config, n, op, said)
        processing.drain(engine, config)
        assert impact_check.recompute_all(engine, fix=False) == []
        _trends_hold_on_later_days(engine)
        _newest_mrr_stands(engine, said)
    finally:
        engine.dispose()


def _newest_mrr_stands(engine: sa.Engine, said: Said) -> None:
    """Each account's MRR is what the newest word on it said, whatever order the words were
    processed in (a delivery that may have changed nothing counts only if it is newer)."""
    with Session(engine) as session:
        mrr = dict(session.exec(select(Account.key, Account.mrr)).all())
    for domain, words in said.items():
        newest_sure = max((w for w in words if w[2]), default=None)
        if newest_sure is None:
            continue
        allowed = {m for when, m, _ in words if when > newest_sure[0]} | {newest_sure[1]}
        assert mrr[domain] in {Decimal(m) for m in allowed}, (domain, mrr[domain], words)


def _trends_hold_on_later_days(engine: sa.Engine) -> None:
    """The problem rows' copy of the trends, read on later days (stale since midnight, so
    shifted on read), says what `impactday` says on those days."""
    with Session(engine) as session:
        ids = list(session.exec(select(Problem.id)).all())
        for days in (0, 1, 6, 7, 29, 30, 59, 60):
            later = NOW + timedelta(days=days)
            from_days = {
                pid: trend_days.trends_on(found, later.date())
                for pid, found in impact.recent_days(session, ids, later.date()).items()
            }
            assert impact.trends(session, ids, now=later) == from_days
            sparks = daily_new_tickets(session, ids, now=later)
            for pid, found in impact.recent_days(session, ids, later.date()).items():
                assert sparks[pid] == trend_days.daily(found, later.date(), 30)


def test_one_ticket_under_two_merged_tags_counts_once_in_tickets_and_trends(client, runtime):
    today = NOW.strftime("%Y-%m-%dT%H:%M:%SZ")
    body = generic_delivery("T1", "a@acme.com", ["pain-x", "pain-y"], occurred_at=today)
    assert post_signed(client, "generic", body).status_code == 202
    found = by_key(client, runtime)
    merging.merge(runtime.engine, found["y"]["id"], found["x"]["id"])
    x = by_key(client, runtime)["x"]
    assert (x["tickets"], x["trend_7d"], x["trend_30d"]) == (1, 1, 1)


def test_recompute_reports_drift_and_fixes_it(client, runtime, settings, monkeypatch):
    from click.testing import CliRunner

    from voice_router.cli import cli

    body = generic_delivery("T1", "a@acme.com", ["pain-x"], occurred_at="2026-11-20T10:00:00Z")
    assert post_signed(client, "generic", body).status_code == 202
    with runtime.engine.begin() as connection:
        connection.execute(sa.text("UPDATE problem SET tickets = 7"))
        connection.execute(sa.text("DELETE FROM impactday"))
    monkeypatch.setenv("VOICE_ROUTER_DATABASE_URL", settings.database_url)
    runner = CliRunner()
    checked = runner.invoke(cli, ["recompute", "--check"])
    assert checked.exit_code == 1, checked.output
    assert "problem 1 (x): tickets 7 (recount 1); new tickets per day (trends)" in checked.output
    assert by_key(client, runtime)["x"]["tickets"] == 7  # --check changes nothing
    fixed = runner.invoke(cli, ["recompute", "--fix"])
    assert fixed.exit_code == 0, fixed.output
    assert "1 with drift (fixed)" in fixed.output
    assert runner.invoke(cli, ["recompute", "--check"]).exit_code == 0
    assert by_key(client, runtime)["x"]["tickets"] == 1


def test_a_row_without_its_trend_copy_is_filled_by_the_next_batch(client, runtime):
    """Rows written without the copy (bulk loads, a clock set back) are read from
    `impactday` meanwhile and filled again by the next batch that touches them."""
    today = NOW.strftime("%Y-%m-%dT%H:%M:%SZ")
    body = generic_delivery("T1", "a@acme.com", ["pain-x"], occurred_at=today)
    assert post_signed(client, "generic", body).status_code == 202
    with runtime.engine.begin() as connection:
        connection.execute(sa.text("UPDATE problem SET trend_day = NULL, recent = ''"))
    assert by_key(client, runtime)["x"]["trend_7d"] == 1  # from impactday
    assert [d.differences for d in impact_check.recompute_all(runtime.engine, False)] == [
        ["trend copy not filled"]
    ]
    body = generic_delivery("T2", "b@acme.com", ["pain-x"], occurred_at=today)
    assert post_signed(client, "generic", body).status_code == 202
    assert by_key(client, runtime)["x"]["trend_7d"] == 2
    assert impact_check.recompute_all(runtime.engine, fix=False) == []


def test_recompute_reports_a_wrong_trend_copy_and_fixes_it(client, runtime):
    today = NOW.strftime("%Y-%m-%dT%H:%M:%SZ")
    body = generic_delivery("T1", "a@acme.com", ["pain-x"], occurred_at=today)
    assert post_signed(client, "generic", body).status_code == 202
    with runtime.engine.begin() as connection:
        connection.execute(sa.text("UPDATE problem SET recent = '', trend_7d = 5"))
    drift = impact_check.recompute_all(runtime.engine, fix=True)
    assert [d.differences for d in drift] == [["new tickets per day on the problem (trends)"]]
    assert impact_check.recompute_all(runtime.engine, fix=False) == []
    assert by_key(client, runtime)["x"]["trend_7d"] == 1


def test_a_problem_first_named_by_a_removal_has_its_trend_copy(client, runtime):
    """The tombstone of a tag removed before it was added creates the problem with no
    tickets: its (empty) trend copy is filled as of today, so --check finds nothing."""
    body = generic_delivery("T1", "a@acme.com", [], ["pain-x"])
    assert post_signed(client, "generic", body).status_code == 202
    assert by_key(client, runtime)["x"]["tickets"] == 0
    assert impact_check.recompute_all(runtime.engine, fix=False) == []


identity_event = st.tuples(
    st.just("tag"),
    st.sampled_from(["generic", "desk2"]),
    st.sampled_from(TICKETS),
    st.sampled_from(["ann@acme.com", "dan@gmail.com"]),
    st.sampled_from([None, "p1"]),  # the helpdesk's own id for the person
    st.lists(st.sampled_from(TAGS), min_size=1, max_size=2, unique=True),
    st.integers(0, 40),
)


# The generic source knows p1 at one address, desk2 knows the other person-row by the other
# one, the generic source then sends that one for p1: in whatever order with the rest.
ONE_PERSON = [
    ("tag", "generic", "T1", "ann@acme.com", "p1", ["pain-x"], 3),
    ("tag", "desk2", "T2", "dan@gmail.com", None, ["pain-x", "pain-y"], 2),
    ("tag", "generic", "T3", "dan@gmail.com", "p1", ["pain-y"], 1),
]
# The same, but the generic source names p1 at the other address in a delivery older than
# its ticket's latest (a late one, unless processed first): the two rows are one all the same.
LATE_WORD = [
    ("tag", "generic", "T1", "ann@acme.com", "p1", ["pain-x"], 3),
    ("tag", "desk2", "T2", "dan@gmail.com", None, ["pain-x", "pain-y"], 2),
    ("tag", "generic", "T1", "dan@gmail.com", "p1", ["pain-x"], 4),
]


@settings(
    max_examples=25,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    history=st.lists(
        st.one_of(
            identity_event,
            st.tuples(st.just("drain")),
            st.tuples(st.just("forget"), st.sampled_from(sorted(PEOPLE))),
        ),
        max_size=8,
    ).flatmap(
        lambda extra: st.sampled_from([ONE_PERSON, LATE_WORD]).flatmap(
            lambda person: st.permutations([*person, ("drain",), *extra])
        )
    )
)
@pytest.mark.slow
def test_counts_stay_right_when_customer_rows_are_merged(make_settings, history) -> None:
    """A helpdesk id sent with an address another customer row has makes the two rows one
    (two helpdesks, in one batch or many, with forgets between, in a late delivery too):
    counts equal a recount, and no other row holds an address a helpdesk id named."""
    sources = {"generic": {"kind": "generic", "secret": SECRETS["generic"]}}
    config = make_settings(sources={**sources, "desk2": sources["generic"]})
    engine = make_engine(config.database_url)
    try:
        _empty(engine)
        for n, op in enumerate(history):
            if op[0] == "tag":
                _, source, ticket, email, person, tags, days_ago = op
                when = NOW - timedelta(days=days_ago, minutes=n)
                body = generic_delivery(
                    ticket,
                    email,
                    tags,
                    customer_id=person,
                    occurred_at=when.strftime("%Y-%m-%dT%H:%M:%SZ"),
                    delivery_id=f"d{n}",
                )
                raw = json.dumps(body).encode()
                headers = registry.adapter("generic").sign(raw, SECRETS["generic"])
                inbox.receive(engine, config, source, headers, raw)
            elif op[0] == "drain":
                processing.drain(engine, config)
            else:
                privacy.forget(engine, op[1], "test", compact=False)
            assert impact_check.recompute_all(engine, fix=False) == []
            _ids_name_one_person(engine)
        processing.drain(engine, config)
        assert impact_check.recompute_all(engine, fix=False) == []
        _ids_name_one_person(engine)
    finally:
        engine.dispose()


def _ids_name_one_person(engine: sa.Engine) -> None:
    """Each address a processed delivery named with a helpdesk id is held by the customer
    holding that id, or by nobody, or is one that customer gave up (`customeralias`: it
    may be somebody else's now)."""
    with engine.connect() as connection:
        rows = connection.execute(
            sa.text("SELECT source, body FROM delivery WHERE status = 'processed'")
        ).all()
        holders = dict(connection.execute(sa.text("SELECT email, id FROM customer")).all())
        ids = {
            (source, external): customer
            for source, external, customer in connection.execute(
                sa.text("SELECT source, external_id, customer_id FROM customeridentity")
            )
        }
        had = set(connection.execute(sa.text("SELECT customer_id, email_hash FROM customeralias")))
    for source, body in rows:
        person = json.loads(bytes(body)).get("customer") or {}
        customer = ids.get((source, person.get("id")))
        if customer is None or not person.get("email"):
            continue  # forgotten since (their deliveries are stubs), or known by address
        holder = holders.get(person["email"])
        if holder not in (None, customer):
            assert (customer, subject_hash(person["email"])) in had, (source, person, holder)


@given(st.dictionaries(st.integers(1, 3_652_059), st.integers(-(10**6), 10**6), max_size=80))
def test_a_problems_copy_of_its_days_reads_back_as_written(days):
    """`recent` on the problem row: what `dump` writes, `parse` reads back (days with no
    new ticket left out; a count below zero, which only drift makes, kept to be reported)."""
    written = trend_days.dump(days)
    assert trend_days.parse(written) == {day: n for day, n in days.items() if n}
    assert trend_days.dump(trend_days.parse(written)) == written
