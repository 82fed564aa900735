"""What `voice-router forget` would erase, counted before it asks: read in one read-only
transaction, with no lock and nothing written. The preview used to be the whole erasure,
rolled back: on a big database it cost as much as the erasure itself, held the locks that
processing (PostgreSQL) or every webhook (SQLite) waits for, and then all of it ran again.

The preview counts the person's own rows (customer records, helpdesk identities, pain
points, raw deliveries) and the rows beside them that forget changes (accounts named after
them, messages to them or on their tickets only), finding them as the erasure does
(privacy, forget_rows, delivery_erasure). Mentions of them in other text are cut out as
it erases, and counted then. Its reading of the deliveries serves the erasure, which reads
again only the deliveries stored since (delivery_erasure.erase_deliveries)."""

from __future__ import annotations

from collections import Counter

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from voice_router.models import PainPoint
from voice_router.problems.delivery_erasure import Scan, scan_deliveries
from voice_router.problems.forget_rows import accounts_named_after, notes_to_cancel
from voice_router.problems.mentions import Mentions
from voice_router.problems.privacy import (
    ForgetReport,
    addressed_to,
    normalise_email,
    scrubs,
    theirs,
)


def preview(engine: Engine, email: str) -> tuple[ForgetReport, Scan]:
    """The counts forget would report for these rows (`dry_run` set, `scrubbed` left empty:
    `mentioned` says whether other text mentions them), and its reading of the deliveries."""
    email = normalise_email(email)
    with Session(engine) as session:
        customers, identities, names, known_ids = theirs(session, email)
        scan = scan_deliveries(session, email, names, known_ids)
        mentions = Mentions(email, scan.names)
        ids = [c.id for c in customers]
        mine = select(PainPoint).where(col(PainPoint.customer_id).in_(ids))
        pain_points = session.exec(mine).all()
        accounts = {c.account_id for c in customers} | {p.account_id for p in pain_points}
        report = ForgetReport(
            dry_run=True,
            customers=len(customers),
            identities=len(identities),
            pain_points=len(pain_points),
            deliveries=len(scan.stubbed()),
            accounts=len(accounts_named_after(session, accounts - {None}, mentions)),
        )
        report.outbound = len(addressed_to(session, mentions))
        report.outbound += len(notes_to_cancel(session, pain_points))
        session.rollback()
    return report, scan


def mentioned(engine: Engine, email: str, scan: Scan) -> bool:
    """Whether any text column mentions the person (what forget would scrub), read only:
    asked only when nothing of theirs was found, to tell whether there is anything to erase."""
    mentions = Mentions(normalise_email(email), scan.names)
    with Session(engine) as session:
        found = any(updates for _, updates in scrubs(session, mentions, Counter(), Counter()))
        session.rollback()
    return found
