"""Attach and detach pain points: the idempotent heart of processing.

Every change is keyed by (source, ticket, problem) and ordered by the event's time, so a
delivery applied twice, or an old event arriving late, changes nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, fields
from datetime import datetime
from operator import attrgetter

from sqlmodel import Session, select

from integrations.events import PainPointEvent, Person
from voice_router.models import PainPoint, Problem
from voice_router.platform.clock import to_utc
from voice_router.platform.upsert import (
    among,
    find_many,
    insert_ignore,
    insert_missing,
    insert_rows,
    update_many,
)
from voice_router.problems.identity import AccountRow, Directory, email_of
from voice_router.problems.impact_delta import Change, Report, report_of, reports_now
from voice_router.problems.tags import TagMatcher
from voice_router.problems.titles import title_for


@dataclass
class Record:
    """A pain point as a plain record: read for a batch's tickets or first seen in it.
    New ones are inserted by `Attacher.write` with one INSERT, changed ones updated with one
    UPDATE (keyed by source, ticket and problem). SQLModel objects flushed through the ORM
    cost more than all the rest of applying an event."""

    problem_id: int
    source: str
    ticket_id: str
    tag: str
    customer_id: int
    account_id: int | None
    reported_at: datetime
    last_event_at: datetime
    removed_at: datetime | None = None
    ticket_url: str | None = None
    subject: str | None = None
    first_message: str | None = None
    agent_email: str | None = None
    agent_name: str | None = None
    stored: bool = True  # False until inserted


def holder(email: str | None, name: str | None, agent: Person) -> tuple[str | None, str | None]:
    """The e-mail and name of the agent who holds a ticket now, from the one who held it
    (`email`, `name`) and the one an event names. What the event leaves out is kept only
    while it names the same agent: a ticket handed to Bob (known by name only) kept Alice's
    address, so Alice was asked to send a message signed by Bob."""
    new_email = (agent.email or "").lower() or None
    if new_email is None:
        if agent.name and agent.name != name:
            return None, agent.name
        return email, name
    if new_email == email:
        return email, agent.name or name
    return new_email, agent.name


KEY = ("source", "ticket_id", "problem_id")
COLUMNS = [f.name for f in fields(Record) if f.name != "stored"]
_VALUES = attrgetter(*COLUMNS)  # a record's values, in COLUMNS' order, as a tuple
TABLE = PainPoint.__table__  # type: ignore[attr-defined]  # SQLModel leaves __table__ undeclared


class Attacher:
    """Applies one source's events within a unit of work; remembers touched problems.
    Pain points are plain records; `write` puts the new and changed ones in the database,
    and runs itself before a ticket not preloaded is looked up."""

    def __init__(
        self, session: Session, source: str, matcher: TagMatcher, directory: Directory
    ) -> None:
        """`directory`: the unit of work's one directory, shared by every source's attacher
        (one person, one company, whichever helpdesk names them; the last event wins)."""
        self.session = session
        self.source = source
        self.matcher = matcher
        self.directory = directory
        self.touched: set[int] = set()
        self.changed = 0  # pain points written
        self.attached: list[tuple[int, datetime]] = []  # new or re-added: regression input
        self._problems: dict[str, int] = {}
        self._problem_keys: set[str] = set()  # the ones `load` asked for
        self._tickets: dict[str, dict[str, Record]] = {}  # ticket id -> key -> pain point
        self._new: list[Record] = []
        self._dirty: dict[tuple[str, int], Record] = {}  # stored records changed
        # Each ticket's active pain points as first read (before this unit of work changed
        # them), and the tickets it changed: `changes` turns them into impact differences.
        self._before: dict[str, list[Report]] = {}
        self._changed: set[str] = set()

    def _remember(self, ticket_id: str, pain_points: Iterable[Record]) -> None:
        if ticket_id not in self._before:
            self._before[ticket_id] = [r for pp in pain_points if (r := report_of(pp))]

    def changes(self) -> list[Change]:
        """(before, after) active pain points of each ticket this unit of work changed; call
        after `write`. A ticket still cached is read from its records; one whose cache a
        tombstone dropped, from the database."""
        uncached = [t for t in self._changed if t not in self._tickets]
        after = reports_now(self.session, self.source, uncached) if uncached else {}
        for ticket_id in self._changed:
            cached = self._tickets.get(ticket_id)
            if cached is not None:
                after[ticket_id] = [r for pp in cached.values() if (r := report_of(pp))]
        return [(self._before.get(t, []), after.get(t, [])) for t in sorted(self._changed)]

    def write(self) -> None:
        """Insert the new pain points and update the changed ones (and the directory's
        changed accounts and customers)."""
        self.directory.write()
        table = TABLE
        if self._new:
            insert_rows(self.session, table, COLUMNS, [_VALUES(pp) for pp in self._new])
            for pain_point in self._new:
                pain_point.stored = True
            self._new.clear()
        if self._dirty:
            dirty = [pp for _, pp in sorted(self._dirty.items())]  # key order: no deadlock
            rows = [{name: getattr(pp, name) for name in COLUMNS} for pp in dirty]
            update_many(self.session, table, KEY, rows)
            self._dirty.clear()

    def load(self, events: Iterable[PainPointEvent]) -> None:
        """Fetch what a batch's events name (their tickets' pain points, problems, customers,
        accounts) in a few queries instead of a few per event."""
        events = list(events)
        tickets = sorted({event.ticket_id for event in events})
        keys = sorted({key for e in events for key in self._keys(e)})
        self._problem_keys.update(keys)
        self._load_problems(keys)  # first: their ids name the tickets' pain points' keys
        for start in range(0, len(tickets), 500):
            chunk = tickets[start : start + 500]
            found: dict[str, dict[str, Record]] = {ticket_id: {} for ticket_id in chunk}
            for key, pain_point in self._read(chunk):
                found[pain_point.ticket_id][key] = pain_point
            for ticket_id, pain_points in found.items():
                self._tickets.setdefault(ticket_id, pain_points)
                self._remember(ticket_id, pain_points.values())
        self.directory.load(self.source, events)

    def absent(self) -> set[str]:
        """Names of the rows `load` found absent, which applying the events may insert:
        problems (`"problem:<key>"`) and accounts, customers, identities
        (`Directory.absent`)."""
        names = {"problem:" + key for key in self._problem_keys if key not in self._problems}
        return names | self.directory.absent()

    def unknown(self, event: PainPointEvent) -> set[str]:
        """The names among `absent` that applying `event` may insert."""
        names = {"problem:" + key for key in self._keys(event) if key not in self._problems}
        return names | self.directory.unknown(self.source, event)

    def create(self, events: Iterable[PainPointEvent]) -> None:
        """Create the problems, accounts and customers applying `events` (loaded) is sure to
        create, one INSERT each (the caller undoes the whole batch should anything fail)."""
        # An event naming a pain tag always reaches the customer step; with an e-mail or
        # an external id it always has a customer, and so a problem for each tag it names.
        sure = [e for e in events if self._keys(e)]
        if not sure:
            return
        missing = {
            key
            for e in sure
            if email_of(e.customer) or e.customer.external_id
            for key in self._keys(e)
            if key not in self._problems
        }
        texts: dict[str, list[str | None]] = {}
        for e in sure:
            for key, tag in self._keys(e).items():
                if key in missing:
                    texts.setdefault(key, []).extend((e.subject, e.first_message, tag))
        rows = [{"key": k, "title": title_for(k, texts[k])} for k in sorted(missing)]
        insert_missing(self.session, Problem, rows)
        self._load_problems(sorted(missing))
        self.directory.create(sure)

    def _keys(self, event: PainPointEvent) -> dict[str, str]:
        return self.matcher.keys((*event.tags, *event.removed_tags))

    def _load_problems(self, keys: list[str]) -> None:
        for start in range(0, len(keys), 500):
            self._problems.update(
                self.session.exec(
                    select(Problem.key, Problem.id).where(
                        among(self.session, Problem.key, keys[start : start + 500])
                    )
                ).all()
            )

    def apply(self, event: PainPointEvent) -> None:
        present = self.matcher.keys(event.tags)
        removed = {k for k in self.matcher.keys(event.removed_tags) if k not in present}
        existing = self._ticket_pain_points(event.ticket_id)
        if event.tags_complete:
            removed |= {key for key, pp in existing.items() if pp.removed_at is None} - set(present)
        if not present and not removed:
            return
        when = to_utc(event.occurred_at)
        account = self.directory.account(event.company, event.customer.email, when)
        # An event from before the ticket's latest one (a late delivery) names who the
        # customer was then: it must not take back their new address or name.
        current = all(to_utc(pp.last_event_at) <= when for pp in existing.values())
        customer = self.directory.customer(self.source, event.customer, account, current)
        if customer is None:
            if present:
                return
            # Nobody named (a deleted ticket): its standing pain points go; no tombstone.
            for key in removed & existing.keys():
                self._detach(event, key, existing[key], None, when)
            return
        for key, tag in present.items():
            self._attach(event, key, tag, existing.get(key), customer.id, account, when)
        for key in removed:
            self._detach(event, key, existing.get(key), customer.id, when)

    def _ticket_pain_points(self, ticket_id: str) -> dict[str, Record]:
        cached = self._tickets.get(ticket_id)
        if cached is not None:
            return cached
        self.write()  # pending pain points count too
        found = dict(self._read([ticket_id]))
        self._remember(ticket_id, found.values())  # unchanged yet, if not seen before
        self._tickets[ticket_id] = found
        return found

    def _read(self, tickets: list[str]) -> list[tuple[str, Record]]:
        """The source's pain points of `tickets`, each with its problem's key. The keys
        come from the problems the batch named (and one query for any other), not a join:
        each batch rewrites its problems' rows, and a join read them all."""
        found = find_many(
            self.session,
            TABLE,
            ["source", "ticket_id"],
            [(self.source, t) for t in tickets],
            COLUMNS,
        )
        records = [Record(*row) for row in found]
        known = {problem_id: key for key, problem_id in self._problems.items()}
        unknown = sorted({r.problem_id for r in records} - known.keys())
        if unknown:
            statement = select(Problem.id, Problem.key).where(
                among(self.session, Problem.id, unknown)
            )
            known.update(self.session.exec(statement).all())
        return [(known[r.problem_id], r) for r in records]

    def problem_id(self, key: str, texts: Iterable[str | None] = ()) -> int:
        """The id of the problem `key` names, created (titled from `texts`) if need be."""
        problem_id = self._problems.get(key)
        if problem_id is None:
            problem_id = self.session.exec(select(Problem.id).where(Problem.key == key)).first()
            if problem_id is None:
                title = title_for(key, texts)
                insert_ignore(self.session, Problem, {"key": key, "title": title})
                problem_id = self.session.exec(select(Problem.id).where(Problem.key == key)).one()
            self._problems[key] = problem_id
        return problem_id

    def _attach(
        self,
        event: PainPointEvent,
        key: str,
        tag: str,
        pain_point: Record | None,
        customer_id: int,
        account: AccountRow | None,
        when: datetime,
    ) -> None:
        if pain_point is None:
            agent = event.agent
            fresh = Record(
                problem_id=self.problem_id(key, (event.subject, event.first_message, tag)),
                source=self.source,
                ticket_id=event.ticket_id,
                tag=tag,
                customer_id=customer_id,
                account_id=account.id if account is not None else None,
                reported_at=when,
                last_event_at=when,
                ticket_url=event.ticket_url or None,
                subject=event.subject or None,
                first_message=event.first_message or None,
                agent_email=((agent.email or "").lower() or None) if agent else None,
                agent_name=(agent.name or None) if agent else None,
                stored=False,
            )
            self._ticket_pain_points(event.ticket_id)[key] = fresh
            self._new.append(fresh)
            self.attached.append((fresh.problem_id, when))
            self._save(fresh)
            return
        if to_utc(pain_point.last_event_at) > when:
            return
        elif pain_point.removed_at is not None:
            # A tombstone's reported_at is its removal's time, not a report: the add is.
            tombstone = to_utc(pain_point.reported_at) == to_utc(pain_point.removed_at)
            reported = to_utc(pain_point.reported_at)
            pain_point.reported_at = when if tombstone else min(reported, when)
        if pain_point.removed_at is not None:
            self.attached.append((pain_point.problem_id, when))
        pain_point.removed_at = None
        pain_point.last_event_at = when
        pain_point.customer_id = customer_id
        pain_point.account_id = account.id if account is not None else None
        pain_point.ticket_url = event.ticket_url or pain_point.ticket_url
        pain_point.subject = event.subject or pain_point.subject
        pain_point.first_message = pain_point.first_message or event.first_message or None
        if event.agent is not None:
            pain_point.agent_email, pain_point.agent_name = holder(
                pain_point.agent_email, pain_point.agent_name, event.agent
            )
        self._save(pain_point)

    def _detach(
        self,
        event: PainPointEvent,
        key: str,
        pain_point: Record | None,
        customer_id: int | None,
        when: datetime,
    ) -> None:
        if pain_point is None:
            assert customer_id is not None  # apply passes None only with a pain point
            # Removal seen before the tag: keep a tombstone so the late add stays out.
            values = {
                "problem_id": self.problem_id(key),
                "source": self.source,
                "ticket_id": event.ticket_id,
                "tag": key,
                "customer_id": customer_id,
                "reported_at": when,
                "last_event_at": when,
                "removed_at": when,
            }
            insert_ignore(self.session, PainPoint, values)
            self._tickets.pop(event.ticket_id, None)  # ask again: the tombstone is not cached
            return
        if to_utc(pain_point.last_event_at) > when:
            return
        if pain_point.removed_at is not None:
            # Removed already: the newer removal is still the latest word on the tag, so an
            # add from between the two that comes later stays out.
            pain_point.last_event_at = when
            self._save(pain_point)
            return
        pain_point.removed_at = when
        pain_point.last_event_at = when
        self._save(pain_point)

    def _save(self, pain_point: Record) -> None:
        if pain_point.stored:
            self._dirty[(pain_point.ticket_id, pain_point.problem_id)] = pain_point
        self.touched.add(pain_point.problem_id)
        self._changed.add(pain_point.ticket_id)
        self.changed += 1
