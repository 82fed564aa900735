"""One batch in one transaction: claim due deliveries, parse them (no database), apply their
events as plain rows, move the impact counts by what changed, mark them processed. A
failure propagates: the caller (`processing`) undoes the transaction and narrows the batch
down to the delivery that caused it."""

from __future__ import annotations

import json
from collections import namedtuple
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session

from integrations import registry
from integrations.events import PainPointEvent, PayloadError
from voice_router.closing import shipping
from voice_router.intake.admission import matcher_for, read_events
from voice_router.intake.processing import contention
from voice_router.intake.processing.failures import record_failure
from voice_router.intake.statements import TABLE
from voice_router.platform import schedule
from voice_router.platform.clock import utcnow
from voice_router.platform.db import session_scope
from voice_router.platform.settings import Settings
from voice_router.platform.upsert import among
from voice_router.problems import customer_merge, forget_late, impact, impact_delta
from voice_router.problems.identity import Directory
from voice_router.problems.painpoints import Attacher
from voice_router.tracker.events import JiraOutcome, apply_event

Parsed = dict[int, list[PainPointEvent] | Exception]
CLAIMED = (
    TABLE.c.id,
    TABLE.c.source,
    TABLE.c.kind,
    TABLE.c.headers,
    TABLE.c.body,
    TABLE.c.received_at,
)
# A claimed delivery as a named tuple: a batch reads each one's fields about twenty times,
# and a Row reads a field by name through `__getattr__` (0.3 µs).
Claimed = namedtuple(  # type: ignore[misc]  # fields named at run time, from CLAIMED
    "Claimed", [column.name for column in (*CLAIMED, TABLE.c.attempts)]
)


@dataclass
class BatchResult:
    claimed: int = 0
    processed: int = 0
    retrying: int = 0
    failed: int = 0
    deferred: int = 0  # left pending: they name rows another batch is creating
    changes: int = 0
    touched: set[int] = field(default_factory=set)
    shipped: set[int] = field(default_factory=set)
    releases_owed: bool = False  # Jira versions released: the job apply_releases looks them up

    def add(self, other: BatchResult) -> None:
        for name in ("claimed", "processed", "retrying", "failed", "deferred", "changes"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.touched |= other.touched
        self.shipped |= other.shipped
        self.releases_owed = self.releases_owed or other.releases_owed


def claim(session: Session, limit: int, only: list[int] | None) -> list[Any]:
    """Due deliveries as rows (id, source, kind, headers, body, attempts), oldest first
    (`only`: among these ids), read off `ix_delivery_pending` (the status is written into
    the statement so the planner matches that partial index). On PostgreSQL the rows stay
    locked until the transaction ends and rows another worker holds are skipped."""
    pending = TABLE.c.status == sa.literal("pending", literal_execute=True)
    statement = (
        sa.select(*CLAIMED, TABLE.c.attempts)
        .where(pending, TABLE.c.next_attempt_at <= utcnow())
        .order_by(TABLE.c.id)
        .limit(limit)
    )
    if only is not None:
        statement = statement.where(among(session, TABLE.c.id, only))
    if session.get_bind().dialect.name == "postgresql":
        statement = statement.with_for_update(skip_locked=True)
    return [Claimed._make(row) for row in session.execute(statement).all()]


def run(
    engine: Engine, settings: Settings, limit: int, only: list[int] | None, claimed: list[int]
) -> BatchResult:
    """One transaction: claim, apply, recount, commit. `claimed` receives the ids taken,
    so a caller whose transaction failed knows which deliveries were in it."""
    result = BatchResult()
    contended: set[str] = set()
    with session_scope(engine) as session:
        if session.get_bind().dialect.name == "postgresql":
            # A forget running now ends first (SQLite: the write lock did that), so what it
            # stamped is seen below (forget_late), before this holds any of its deliveries.
            session.execute(sa.text("LOCK TABLE customer IN ROW EXCLUSIVE MODE"))
        deliveries = claim(session, limit, only)
        if not deliveries:  # every drain ends on one: nothing below has anything to do
            return result
        claimed.extend(d.id for d in deliveries)
        result.claimed = len(deliveries)
        parsed = parse(settings, deliveries)
        good = []
        for delivery in deliveries:
            failure = parsed.get(delivery.id)
            if isinstance(failure, Exception):
                record_failure(session, settings, delivery, failure, result)
            else:
                good.append(delivery)
        good = _not_forgotten(session, good)
        jira = JiraOutcome()
        free, busy = _tickets_free(session, good, parsed)
        attachers = _attachers(session, settings, free, parsed)
        now, contended = _uncontended(session, attachers, free, parsed)
        contended |= busy
        result.deferred, good = len(good) - len(now), now
        for name, each in attachers.items():
            each.create(event for d in good if d.source == name for event in _events(parsed, d))
        done = []
        for delivery in good:
            if delivery.kind == "jira":
                if not _process_jira(session, settings, delivery, jira, result):
                    continue
            else:
                attacher = attachers.get(delivery.source)
                for event in _events(parsed, delivery):
                    if attacher is not None:
                        attacher.apply(event)
            done.append(delivery.id)
        for attacher in attachers.values():
            attacher.write()
        mark_processed(session, done)
        result.processed += len(done)
        touched = set().union(*(a.touched for a in attachers.values()))
        repriced = _repriced(session, attachers.values())
        changes = [change for a in attachers.values() for change in a.changes()]
        merged = _merge_customers(session, attachers.values())
        impact_delta.apply(session, [*changes, *merged.changes], repriced)
        touched |= repriced | merged.problems
        attached = [pair for a in attachers.values() for pair in a.attached]
        regressed = shipping.detect_regressions(session, settings, attached)
        result.touched = impact.ancestors(session, touched) | jira.touched | set(regressed)
        schedule.sync_due(session, settings, result.touched)  # committed with the batch
        result.shipped = {t.problem_id for t in jira.transitions} | set(regressed)
        result.releases_owed = jira.releases_owed
        result.changes = sum(a.changed for a in attachers.values()) + len(jira.transitions)
    if result.deferred * 2 > result.claimed:  # mostly left: claimed again only once free
        contention.wait_for(engine, contended)
    return result


def parse(settings: Settings, deliveries: Sequence[Any]) -> Parsed:
    """Each helpdesk delivery's events, or why they cannot be applied (pure: no database)."""
    parsed: Parsed = {}
    for delivery in deliveries:
        if delivery.kind == "jira":
            continue
        if delivery.source not in settings.sources:
            parsed[delivery.id] = PayloadError(
                f"source {delivery.source!r} is no longer configured"
            )
            continue
        try:
            headers = json.loads(delivery.headers)
            parsed[delivery.id] = read_events(
                settings, delivery.source, delivery.kind, headers, delivery.body
            )
        except Exception as exc:
            parsed[delivery.id] = exc
    return parsed


def _events(parsed: Parsed, delivery: Any) -> list[PainPointEvent]:
    events = parsed.get(delivery.id, [])
    return [] if isinstance(events, Exception) else events


def _not_forgotten(session: Session, deliveries: list[Any]) -> list[Any]:
    """Those not received before a forget of a customer they name (by address or helpdesk
    id) ended; those that were become stubs, unapplied (forget_late). Jira's lose the
    addresses such a forget erased, and are applied."""
    late = forget_late.late(session, deliveries)
    if late:
        forget_late.stub(session, late)
    return [d for d in deliveries if d.id not in late]


def _attachers(
    session: Session, settings: Settings, deliveries: list[Any], parsed: Parsed
) -> dict[str, Attacher]:
    """One attacher per source, with what the batch's events name loaded."""
    attachers: dict[str, Attacher] = {}
    directory = Directory(session)  # one for every source: a person is one customer
    for delivery in deliveries:
        source = settings.sources.get(delivery.source)
        if delivery.kind != "jira" and source is not None and delivery.source not in attachers:
            attachers[delivery.source] = Attacher(
                session, delivery.source, matcher_for(source.tag_patterns), directory
            )
    for name, attacher in attachers.items():
        attacher.load(event for d in deliveries if d.source == name for event in _events(parsed, d))
    return attachers


def _tickets_free(
    session: Session, deliveries: list[Any], parsed: Parsed
) -> tuple[list[Any], set[str]]:
    """The deliveries whose tickets no other batch is applying now, and the tickets another
    batch holds (PostgreSQL). A batch reads its tickets' pain points, applies its events to
    what it read and moves the counts by the difference: two batches that read one ticket
    before either committed each moved them from the same reading (a removal counted twice,
    a ticket count below zero: fault audit). Each ticket is locked for the batch's
    transaction before it is read, without waiting; the deliveries naming one another batch
    holds stay pending for a later batch (`contention`), which reads what that one wrote."""
    if session.get_bind().dialect.name != "postgresql":
        return deliveries, set()  # SQLite: the batch holds the write lock from its start
    names = {
        d.id: {f"ticket:{d.source}:{e.ticket_id}" for e in _events(parsed, d)} for d in deliveries
    }
    wanted = set().union(*names.values())
    if not wanted:
        return deliveries, set()
    held = contention.taken_elsewhere(session, wanted)
    return [d for d in deliveries if not names[d.id] & held], held


def _uncontended(
    session: Session, attachers: dict[str, Attacher], deliveries: list[Any], parsed: Parsed
) -> tuple[list[Any], set[str]]:
    """The deliveries to apply now, and the new rows another batch is creating: a delivery
    naming one of those is left pending for a later batch (`contention`). A batch that would
    leave most of its deliveries lets go of every new row it took and leaves all the
    deliveries naming new rows: two batches taking the same new rows at the same moment could
    otherwise each hold part of them, and each leave most of its work."""
    absent = set().union(*(a.absent() for a in attachers.values()))
    if not absent or session.get_bind().dialect.name != "postgresql":
        return deliveries, set()
    taking = session.begin_nested()
    contended = contention.taken_elsewhere(session, absent)
    if not contended:
        taking.commit()  # the locks stay with the batch's transaction
        return deliveries, contended
    names = {d.id: _new_rows(attachers, d, parsed) for d in deliveries}
    now = [d for d in deliveries if not names[d.id] & contended]
    if len(now) * 2 >= len(deliveries):
        taking.commit()
        return now, contended
    taking.rollback()  # lets go of the names taken (a savepoint's advisory locks end with it)
    return [d for d in deliveries if not names[d.id]], contended


def _new_rows(attachers: dict[str, Attacher], delivery: Any, parsed: Parsed) -> set[str]:
    attacher = attachers.get(delivery.source)
    if attacher is None or delivery.kind == "jira":
        return set()
    return {name for event in _events(parsed, delivery) for name in attacher.unknown(event)}


def _merge_customers(session: Session, attachers: Any) -> customer_merge.Merged:
    """The customer rows the batch found to be one person made one (the attachers share
    one directory), once their pain points are written."""
    survivors: dict[int, int] = {}
    for attacher in attachers:
        for gone, survivor in attacher.directory.merged.items():
            while survivor.id in attacher.directory.merged:
                survivor = attacher.directory.merged[survivor.id]
            survivors[gone] = survivor.id
    return customer_merge.merge_into(session, survivors)


def _repriced(session: Session, attachers: Any) -> set[int]:
    """Problems with a pain point of an account whose MRR the batch changed."""
    accounts = sorted(set().union(*(a.directory.mrr_changed for a in attachers)))
    return impact_delta.problems_of_accounts(session, accounts)


def _process_jira(
    session: Session, settings: Settings, delivery: Any, outcome: JiraOutcome, result: BatchResult
) -> bool:
    """A Jira event that cannot be read or applied is recorded on its own: its savepoint
    keeps the rest of the batch."""
    savepoint = session.begin_nested()
    try:
        event = registry.adapter("jira").parse(json.loads(delivery.headers), delivery.body)
        if event is not None:
            apply_event(session, settings, event, outcome)
        savepoint.commit()
    except Exception as exc:
        savepoint.rollback()
        record_failure(session, settings, delivery, exc, result)
        return False
    return True


def mark_processed(session: Session, ids: list[int]) -> None:
    """One UPDATE for every delivery the batch processed (on SQLite one per 500)."""
    now = utcnow()
    step = len(ids) if session.get_bind().dialect.name == "postgresql" else 500
    for start in range(0, len(ids), step or 1):
        session.execute(
            sa.update(TABLE)
            .where(among(session, TABLE.c.id, ids[start : start + step]))
            .values(status="processed", processed_at=now, last_error=None)
        )
