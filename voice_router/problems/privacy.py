"""Forgetting one person: their personal data leaves every table, aggregate counts stay right.

One transaction. The customer row stays as an anonymous tombstone (no e-mail, no name) and
their pain points keep their ids, tickets and times, so every problem's impact counts are
unchanged; what identifies the person goes: identities, subjects, raw webhook bodies,
mentions in staff-written text. An AuditEntry records the request without the e-mail.
What is kept, and what forget cannot reach, is in docs/privacy.md.

It matches people, not strings: a delivery is theirs when the customer it names is them (by
e-mail or helpdesk id), and a full name is looked for only in text that belongs to no
customer, since anywhere else it may be a namesake's. The deliveries are delivery_erasure's,
every other text column forget_sweep's.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Sequence
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, func, or_, select

from voice_router.models import (
    AuditEntry,
    Customer,
    CustomerIdentity,
    Note,
    Outbound,
    PainPoint,
    Problem,
    ProblemVector,
)
from voice_router.platform.clock import utcnow
from voice_router.platform.db import compact_sqlite
from voice_router.platform.errors import BadRequest
from voice_router.problems import impact
from voice_router.problems.delivery_erasure import (
    FORGOTTEN_BODY,
    FORGOTTEN_NOTE,
    Scan,
    erase_deliveries,
    scan_deliveries,
)
from voice_router.problems.forget_chain import Beside, Ids, Trail, follow, having_had, holding
from voice_router.problems.forget_late import Late, stamp, subject_hash
from voice_router.problems.forget_report import ForgetReport
from voice_router.problems.forget_rows import cancel_notes, forget_accounts, forget_aliases
from voice_router.problems.forget_sweep import addressed_to, scrubs
from voice_router.problems.mentions import FORGOTTEN, Mentions

log = logging.getLogger(__name__)

__all__ = ["FORGOTTEN", "FORGOTTEN_BODY", "FORGOTTEN_NOTE", "ForgetReport", "forget"]

_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
CHUNK = 500  # ids in one IN (SQLite's limit on bound parameters)


DEADLOCK_TRIES = 5


def normalise_email(email: str) -> str:
    """The address as stored (lower case); BadRequest for anything that is not one, since an
    empty or partial pattern would match other people's data."""
    email = email.strip().lower()
    if not _EMAIL.fullmatch(email):
        raise BadRequest("not an e-mail address")
    return email


def forget(
    engine: Engine,
    email: str,
    actor: str,
    *,
    dry_run: bool = False,
    compact: bool = True,
    scanned: Scan | None = None,
    beside: Beside | None = None,
    after: Callable[[Late], int | None] | None = None,
) -> ForgetReport:
    """Erase one person's personal data everywhere in the database, in one transaction (on
    SQLite the stored deliveries are read before it, see `_scanned`; `scanned`, a preview's
    reading of them, serves on either database; `beside` what it reaches outside the tables;
    `after`, run once it committed, the Jira deliveries received meanwhile: forget_late.Late).

    `dry_run` finds and counts, then rolls back (no audit entry). On SQLite the transaction
    runs with `secure_delete`, and with `compact` the file is vacuumed and its WAL truncated
    afterwards, so no old copy of a page survives in the file."""
    email = normalise_email(email)
    began = utcnow()  # a delivery received since may reach the table after it was read
    sqlite = engine.dialect.name == "sqlite"
    # SQLite: the deliveries are read before the write lock, which every webhook waits for
    # (only those stored since are read under it); PostgreSQL stores webhooks meanwhile.
    if scanned is None and sqlite:
        scanned = _scanned(engine, email)
    for attempt in range(1, DEADLOCK_TRIES + 1):
        try:
            report, late = _forget_once(engine, email, actor, dry_run, scanned, beside, began)
            break
        except sa.exc.OperationalError as exc:
            # A drain batch that holds one of the person's deliveries and waits for the pain
            # points this holds: PostgreSQL ends one of the two; forget starts again.
            if getattr(exc.orig, "sqlstate", None) != "40P01" or attempt == DEADLOCK_TRIES:
                raise
            log.warning("privacy.forget_deadlock", extra={"attempt": attempt})
            time.sleep(0.2 * attempt)
    if beside is not None and not dry_run:
        beside.committed()
    if after is not None and not dry_run:
        report.late = after(late)  # before VACUUM, which then takes out what it cut
    if sqlite and compact and not dry_run:
        report.sqlite_file = compact_sqlite(engine)
    log.info(
        "privacy.forget",
        extra={"audit_id": report.audit_id, "dry_run": dry_run, "found": report.found},
    )
    return report


def _forget_once(
    engine: Engine,
    email: str,
    actor: str,
    dry_run: bool,
    scanned: Scan | None,
    beside: Beside | None,
    began: datetime,
) -> tuple[ForgetReport, Late]:
    report = ForgetReport(dry_run=dry_run)
    sqlite = engine.dialect.name == "sqlite"
    with Session(engine, expire_on_commit=False) as session:
        try:
            if sqlite:
                connection = session.connection()
                was = connection.exec_driver_sql("PRAGMA secure_delete").scalar()
                connection.exec_driver_sql("PRAGMA secure_delete=ON")
            audit = _begin(session, email, actor, sqlite)
            if beside is not None:
                beside.begin(session)
            followed, ids, people = _erase_person(session, email, report, scanned, beside)
            if beside is not None and not dry_run:
                beside.write()
            report.spool_unreadable = beside.unreadable if beside is not None else 0
            stamp(audit, report.details(), email, followed, ids)  # forget_late: what comes late
            session.add(audit)
            session.flush()
            report.audit_id = None if dry_run else audit.id
            late = Late(began, audit.at, audit.id, people)
            if sqlite:
                connection.exec_driver_sql(f"PRAGMA secure_delete={int(was or 0)}")
        except BaseException:
            session.rollback()
            raise
        if dry_run:
            session.rollback()
        else:
            session.commit()
    return report, late


def _begin(session: Session, email: str, actor: str, sqlite: bool) -> AuditEntry:
    """Take the locks first: on SQLite the audit insert takes the write lock before any
    read; on PostgreSQL processing waits (intake does not) until forget commits, so no
    pain point or identity for this person lands halfway through."""
    if not sqlite:
        session.execute(
            sa.text("LOCK TABLE customer, customeridentity, painpoint IN SHARE ROW EXCLUSIVE MODE")
        )
    audit = AuditEntry(action="forget", subject_hash=subject_hash(email), details="{}", actor=actor)
    session.add(audit)
    session.flush()
    return audit


def theirs(
    session: Session, email: str, ids: Ids = frozenset()
) -> tuple[Sequence[Customer], Sequence[CustomerIdentity], set[str], dict[str, set[str]]]:
    """Their customer rows (also those that had the address before, and those holding one of
    `ids`) and helpdesk identities; their names, their ids by source."""
    identity_match = select(CustomerIdentity.customer_id).where(
        func.lower(CustomerIdentity.external_id) == email
    )
    customers = session.exec(
        select(Customer).where(
            or_(
                func.lower(Customer.email) == email,
                col(Customer.id).in_(identity_match),
                col(Customer.id).in_(having_had(email)),
                col(Customer.id).in_(holding(ids)),
            )
        )
    ).all()
    identities = session.exec(
        select(CustomerIdentity).where(
            col(CustomerIdentity.customer_id).in_([c.id for c in customers])
        )
    ).all()
    known_ids: dict[str, set[str]] = {}
    for identity in identities:
        known_ids.setdefault(identity.source, set()).add(identity.external_id)
    return customers, identities, {c.name for c in customers if c.name}, known_ids


def _scanned(engine: Engine, email: str) -> Scan:
    """The deliveries read in a transaction of their own, which takes no write lock."""
    with Session(engine) as session:
        _, _, names, known_ids = theirs(session, email)
        return scan_deliveries(session, email, names, known_ids)


def _erase_person(
    session: Session, email: str, report: ForgetReport, scanned: Scan | None, beside: Beside | None
) -> tuple[set[str], set[tuple[str, str]], list[Mentions]]:
    """The person under the address given, then under each address forget_chain follows
    them to; the hashes of those addresses and of every former address of theirs, their
    helpdesk ids (source, id), and how each visit found them (address and names)."""
    trail, given = Trail(), [email]

    def erase(address: str, held: Ids) -> Ids:
        if given:  # the address given: the preview's reading of the deliveries serves
            given.clear()
            return _erase(session, address, report, scanned, beside, trail)
        part = ForgetReport()
        found = _erase(session, address, part, None, beside, trail, held)
        report.add(part)
        return found

    visited = follow(session, email, erase, trail)
    return {subject_hash(a) for a in visited} | trail.hashes, trail.ids, trail.people


def _erase(
    session: Session,
    email: str,
    report: ForgetReport,
    scanned: Scan | None,
    beside: Beside | None,
    trail: Trail,
    held: Ids = frozenset(),
) -> Ids:
    """Forget `email` (and the customers holding `held`); the helpdesk ids of the customers
    its deliveries name (the rest it found goes to `trail`)."""
    customers, identities, names, known_ids = theirs(session, email, held)
    ids = {c.id for c in customers}
    report.spooled = beside.person(email, names, known_ids) if beside is not None else 0
    # Raw deliveries first: the ones that are theirs spell their name in more ways.
    erased = erase_deliveries(session, email, names, known_ids, scanned)
    report.deliveries, scrubbed, kept = erased.stubbed, erased.scrubbed, erased.kept
    helpdesk_ids = {(i.source, i.external_id) for i in identities} | erased.ids
    trail.found(customers, forget_aliases(session, ids), erased.named, helpdesk_ids)
    mentions = Mentions(email, erased.names)
    trail.people.append(mentions)
    pain_points = session.exec(select(PainPoint).where(col(PainPoint.customer_id).in_(ids))).all()
    _outside_reach(session, pain_points, mentions, report)
    accounts = {c.account_id for c in customers} | {p.account_id for p in pain_points}
    # Their subjects leave the meaning vectors too: the next job makes them from the rest.
    problem_ids = {pp.problem_id for pp in pain_points}
    if problem_ids:
        session.execute(
            sa.delete(ProblemVector).where(col(ProblemVector.problem_id).in_(problem_ids))
        )
    # Set-wise: an UPDATE a row fires the table's reference trigger a row (PostgreSQL), and
    # an agent may have handled tens of thousands of tickets.
    table = PainPoint.__table__  # type: ignore[attr-defined]  # SQLModel leaves __table__ undeclared
    urls = [pp.id for pp in pain_points if pp.ticket_url and mentions.found(pp.ticket_url)]
    if ids:  # their quotes go with them
        session.execute(
            sa.update(table)
            .where(table.c.customer_id.in_(ids))
            .values(subject=None, first_message=None)
        )
    for start in range(0, len(urls), CHUNK):
        chunk = urls[start : start + CHUNK]
        session.execute(sa.update(table).where(table.c.id.in_(chunk)).values(ticket_url=None))
    # The person was also an agent: their address and name leave every ticket they handled.
    handled: int = session.execute(
        sa.update(table)
        .where(func.lower(table.c.agent_email) == email)
        .values(agent_email=None, agent_name=None)
    ).rowcount  # type: ignore[attr-defined]  # DML gets a CursorResult, typed as Result
    if handled:
        scrubbed["painpoint.agent_email"] += handled
    for identity in identities:
        session.delete(identity)
    for customer in customers:
        customer.email = customer.name = None  # the tombstone keeps counts right
        session.add(customer)
    report.customers, report.identities = len(customers), len(identities)
    report.pain_points = len(pain_points)
    report.accounts = forget_accounts(session, accounts - {None}, mentions)
    report.outbound = _forget_outbound(session, mentions) + cancel_notes(session, pain_points)
    session.flush()
    for table, updates in scrubs(session, mentions, scrubbed, kept):
        for where, values in updates:
            session.execute(sa.update(table).where(*where).values(**values))
    report.scrubbed = dict(sorted(scrubbed.items()))
    report.name_mentions_kept = dict(sorted(kept.items()))
    return frozenset(erased.ids)


def _outside_reach(
    session: Session, pain_points: Sequence[PainPoint], mentions: Mentions, report: ForgetReport
) -> None:
    """Count what already left voice-router with the person's data in it."""
    tickets = {f"{p.source}:{p.ticket_id}" for p in pain_points}
    agents = {p.agent_email for p in pain_points if p.agent_email}
    problems = impact.ancestors(session, {p.problem_id for p in pain_points})
    sent = session.exec(
        select(Outbound).where(Outbound.status == "sent", col(Outbound.problem_id).in_(problems))
    ).all()
    report.writebacks_sent = sum(o.channel == "writeback" and o.target in tickets for o in sent)
    report.digests_sent = sum(o.channel != "writeback" and o.target in agents for o in sent)
    jira_keys = dict(session.exec(select(Problem.id, Problem.jira_key)).all())
    report.jira_problems = sorted(p for p in problems if jira_keys.get(p))
    for note in session.exec(select(Note).where(col(Note.jira_comment_id).is_not(None))):
        if mentions.found(note.body):
            key = jira_keys.get(note.problem_id) or f"problem {note.problem_id}"
            report.jira_comments.append(f"{key} comment {note.jira_comment_id}")


def _forget_outbound(session: Session, mentions: Mentions) -> int:
    """A digest addressed to the person is never sent."""
    rows = addressed_to(session, mentions)
    for row in rows:
        row.target = f"forgotten:{row.id}"
        if row.status in ("pending", "sending"):
            row.status = "cancelled"
        session.add(row)
    return len(rows)
