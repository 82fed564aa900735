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
from dataclasses import dataclass, field

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from voice_router.models import Customer, PainPoint
from voice_router.problems.delivery_erasure import Scan, scan_deliveries
from voice_router.problems.forget_chain import Beside, Ids, Trail, aliases, follow
from voice_router.problems.forget_rows import accounts_named_after, notes_to_cancel
from voice_router.problems.forget_sweep import addressed_to, scrubs
from voice_router.problems.mentions import Mentions
from voice_router.problems.privacy import ForgetReport, normalise_email, theirs


def preview(engine: Engine, email: str, beside: Beside | None = None) -> tuple[ForgetReport, Scan]:
    """The counts forget would report for these rows (`dry_run` set, `scrubbed` left empty:
    `mentioned` says whether other text mentions them), and its reading of the deliveries.
    Like forget (privacy._erase_person) it follows the person from the address given to
    every address forget_chain follows them to, counting each row once; `beside` counts what
    it holds of them (SQLite's spool files, which it reads as the erasure would)."""
    email = normalise_email(email)
    found = _Found(beside=beside)
    scans: list[Scan] = []
    trail = Trail()
    with Session(engine) as session:

        def count(address: str, held: Ids) -> Ids:
            scans.append(found.add(session, address, held, trail))
            return frozenset(scans[-1].ids)

        follow(session, email, count, trail)
        report = found.report(session)
        session.rollback()
    return report, scans[0]  # the erasure's reading of the address given


@dataclass
class _Found:
    """The rows forget would change, by id, over every address it follows."""

    customers: dict[int, Customer] = field(default_factory=dict)
    identities: set[int] = field(default_factory=set)
    pain_points: dict[int, PainPoint] = field(default_factory=dict)
    deliveries: set[int] = field(default_factory=set)
    mentions: list[Mentions] = field(default_factory=list)
    beside: Beside | None = None
    spooled: int = 0

    def add(self, session: Session, email: str, held: Ids, trail: Trail) -> Scan:
        customers, identities, names, known_ids = theirs(session, email, held)
        scan = scan_deliveries(session, email, names, known_ids)
        trail.found(customers, aliases(session, [c.id for c in customers]), scan.named)
        if self.beside is not None:
            self.spooled += self.beside.person(email, names, known_ids)
        self.customers.update((c.id, c) for c in customers if c.id is not None)
        self.identities |= {i.id for i in identities if i.id is not None}
        mine = select(PainPoint).where(col(PainPoint.customer_id).in_(list(self.customers)))
        self.pain_points.update((p.id, p) for p in session.exec(mine) if p.id is not None)
        self.deliveries |= scan.stubbed()
        self.mentions.append(Mentions(email, scan.names))
        return scan

    def report(self, session: Session) -> ForgetReport:
        pain_points = list(self.pain_points.values())
        accounts = {c.account_id for c in self.customers.values()}
        accounts |= {p.account_id for p in pain_points}
        named: set[int | None] = set()
        outbound: set[int | None] = {row.id for row in notes_to_cancel(session, pain_points)}
        for mentions in self.mentions:
            named |= {a.id for a in accounts_named_after(session, accounts - {None}, mentions)}
            outbound |= {row.id for row in addressed_to(session, mentions)}
        return ForgetReport(
            dry_run=True,
            customers=len(self.customers),
            identities=len(self.identities),
            pain_points=len(pain_points),
            deliveries=len(self.deliveries),
            accounts=len(named),
            outbound=len(outbound),
            spooled=self.spooled,
            spool_unreadable=self.beside.unreadable if self.beside is not None else 0,
        )


def mentioned(engine: Engine, email: str, scan: Scan) -> bool:
    """Whether any text column mentions the person (what forget would scrub), read only:
    asked only when nothing of theirs was found, to tell whether there is anything to erase."""
    mentions = Mentions(normalise_email(email), scan.names)
    with Session(engine) as session:
        found = any(updates for _, updates in scrubs(session, mentions, Counter(), Counter()))
        session.rollback()
    return found
