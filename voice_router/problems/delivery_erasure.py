"""Which stored webhook deliveries are one person's, for `voice-router forget`: people, not
strings.

A helpdesk delivery is the person's when a customer its adapter reads out of it is them
(their e-mail, or one of their helpdesk ids at that source), also one that yields no
pain-point event (`Adapter.named`: a ticket without tags, a Zendesk event naming its
requester by id alone). One that names no customer by address or id (not parseable,
invalid, none named) is theirs when their e-mail is in it. A name never
makes a delivery theirs: it may be a namesake's. Their deliveries become stubs that keep their
key (a provider's retry stays a duplicate) and never go back to processing: `processed`
stays, anything else becomes `forgotten`, which neither the worker nor `deliveries replay`
picks up.

Anybody else's delivery keeps its status, so a pending one is still processed: where it
carries the person's e-mail (they were the agent, someone quoted the address) only the address
is cut out of its text. Jira's deliveries are nobody's (issue text, staff comments): the
e-mail and the full names are cut out of them.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import sqlalchemy as sa
from sqlmodel import Session, SQLModel

from integrations import registry
from integrations.events import IntegrationError, Person
from voice_router.platform.upsert import update_many
from voice_router.problems.mentions import Mentions, cut_json

Ids = dict[str, set[str]]  # a person's helpdesk ids by source

FORGOTTEN_BODY = b'{"forgotten": true}'
FORGOTTEN_NOTE = "forgotten: personal data erased by `voice-router forget`; never processed again"
STUB = {"body": FORGOTTEN_BODY, "headers": "{}", "last_error": FORGOTTEN_NOTE}  # and its status


@dataclass
class Erased:
    """What happened to the deliveries: counts and the names learnt, no other data."""

    names: set[str]
    stubbed: int = 0
    scrubbed: Counter[str] = field(default_factory=Counter)  # "delivery.body" -> rows cut
    kept: Counter[str] = field(default_factory=Counter)  # others' rows with the same name
    ids: set[tuple[str, str]] = field(default_factory=set)  # as in `Scan.ids`
    named: set[str] = field(default_factory=set)  # as in `Scan.named`


class Stored(NamedTuple):
    """A delivery as the scan reads it: a row of the table, or of a spool file."""

    id: int
    source: str
    kind: str
    headers: str
    body: bytes


@dataclass
class Scan:
    """What reading the deliveries up to `upto` decided, before anything is written."""

    given: tuple[frozenset[str], frozenset[tuple[str, str]]]  # the names and ids it began with
    names: set[str]  # those names and the ones the person's deliveries spell
    upto: int  # the highest delivery id when it began: it read those up to it
    stubs: set[int] = field(default_factory=set)
    cuts: dict[int, dict[str, Any] | None] = field(default_factory=dict)  # None: stub it
    read: dict[int, tuple[bytes, str]] = field(default_factory=dict)  # the cut rows as read
    kept: int = 0  # others' deliveries with the same name
    # (source, helpdesk id) of the customers the person's deliveries name: with an old
    # address, the ids of the customer row that holds their address now.
    ids: set[tuple[str, str]] = field(default_factory=set)
    named: set[str] = field(default_factory=set)  # the addresses of those customers

    def stubbed(self) -> set[int]:
        """The deliveries that become stubs: the person's, and those a cut leaves nothing of."""
        return self.stubs | {i for i, values in self.cuts.items() if values is None}


def scan_deliveries(
    session: Session, email: str, names: set[str], known_ids: dict[str, set[str]], after: int = 0
) -> Scan:
    """Decide, reading only, what becomes of each delivery after id `after` (`erase_deliveries`
    says what). `voice-router forget` on SQLite scans before it takes the write lock, which
    every webhook waits for, and reads again under it only what arrived since."""
    table = SQLModel.metadata.tables["delivery"]
    upto = session.execute(sa.select(sa.func.coalesce(sa.func.max(table.c.id), 0))).scalar_one()
    within = (table.c.id > after, table.c.id <= upto)
    found = Scan(_given(names, known_ids), set(names), upto)

    def rows(helpdesks_only: bool) -> Iterator[Stored]:
        only = (table.c.kind != "jira",) if helpdesks_only else ()
        return _stored(session, table, *only, *within)

    return _scan(found, email, known_ids, rows)


def scan_rows(rows: Sequence[Stored], email: str, names: set[str], known_ids: Ids) -> Scan:
    """`scan_deliveries`' decisions over deliveries held elsewhere (the files of SQLite's
    spool, intake/spool_forget.py), by their `id`s; `erased_row` applies one."""
    alive = [row for row in rows if row.body != FORGOTTEN_BODY]

    def chosen(helpdesks_only: bool) -> Iterator[Stored]:
        return (row for row in alive if not helpdesks_only or row.kind != "jira")

    return _scan(Scan(_given(names, known_ids), set(names), 0), email, known_ids, chosen)


def erased_row(row: dict[str, Any], values: dict[str, Any] | None) -> dict[str, Any]:
    """A delivery row as `erase_deliveries` leaves it: a stub (`values` None), or the
    columns a cut changed."""
    if values is None:
        status = "processed" if row["status"] == "processed" else "forgotten"
        return {**row, **STUB, "status": status}
    return {**row, **values}


def _scan(
    found: Scan, email: str, known_ids: Ids, rows: Callable[[bool], Iterator[Stored]]
) -> Scan:
    """The decisions of a scan over `rows(helpdesks_only)`, into `found`."""
    mail = Mentions(email)
    for row in rows(True):
        ids = known_ids.get(row.source, set())
        has_mail = mail.in_raw(row.body) or mail.in_raw(row.headers)
        if not has_mail and not any(i.encode() in row.body for i in ids):
            continue  # it cannot name them: no need to parse it
        named = people(row.kind, row.headers, row.body)
        theirs = [p for p in named if _is_them(p, email, ids)]
        found.names |= {p.name for p in theirs if p.name}
        found.ids |= {(row.source, p.external_id) for p in theirs if p.external_id}
        found.named |= {p.email.strip().lower() for p in theirs if p.email}
        if theirs or (has_mail and not named):
            found.stubs.add(row.id)
        elif has_mail:
            found.cuts[row.id] = cut_row(row, mail.email, mail)
            found.read[row.id] = (row.body, row.headers)
    mentions = Mentions(email, found.names)
    for row in rows(False):
        if row.id in found.stubs:
            continue
        if row.kind == "jira":
            if mentions.in_raw(row.body) or mentions.in_raw(row.headers):
                found.cuts[row.id] = cut_row(row, mentions.any, mentions)
                found.read[row.id] = (row.body, row.headers)
        elif mentions.name is not None:
            body = (found.cuts.get(row.id) or {}).get("body", row.body)
            found.kept += mentions.in_raw(body, mentions.name)
    return found


def erase_deliveries(
    session: Session,
    email: str,
    names: set[str],
    known_ids: dict[str, set[str]],
    scanned: Scan | None = None,
) -> Erased:
    """Stub the person's deliveries, cut them out of Jira's and their e-mail out of anybody
    else's. `names` are their full names as stored; the result adds those their deliveries
    spell. `known_ids` are their helpdesk ids by source. With what a `scan_deliveries` read
    before this transaction, only the deliveries stored since are read, unless the person's
    names or ids changed meanwhile, those deliveries spell another name of theirs, or a
    delivery it would cut changed (another forget): then all of them are read again."""
    table = SQLModel.metadata.tables["delivery"]
    found = _brought_up_to_date(session, email, names, known_ids, scanned)
    stubs = found.stubbed()
    ordered = sorted(stubs)
    for start in range(0, len(ordered), 500):
        session.execute(
            sa.update(table)
            .where(table.c.id.in_(ordered[start : start + 500]))
            .values(
                **STUB,
                status=sa.case((table.c.status == "processed", "processed"), else_="forgotten"),
            )
        )
    result = Erased(found.names, ids=found.ids, named=found.named)
    changed: dict[tuple[str, ...], list[dict[str, Any]]] = {}  # by the columns a cut changed
    for delivery_id, values in found.cuts.items():
        if values:
            changed.setdefault(tuple(sorted(values)), []).append({"id": delivery_id, **values})
            result.scrubbed.update(f"delivery.{column}" for column in values)
    for rows in changed.values():  # an agent's address may be cut out of thousands
        update_many(session, table, ["id"], rows)
    result.stubbed = len(stubs)
    if found.kept:
        result.kept["delivery.body"] = found.kept
    return result


def _brought_up_to_date(
    session: Session,
    email: str,
    names: set[str],
    known_ids: dict[str, set[str]],
    scanned: Scan | None,
) -> Scan:
    if scanned is None or scanned.given != _given(names, known_ids):
        return scan_deliveries(session, email, names, known_ids)
    since = scan_deliveries(session, email, scanned.names, known_ids, after=scanned.upto)
    if since.names != scanned.names or not _as_read(session, scanned.read):
        return scan_deliveries(session, email, names, known_ids)
    scanned.stubs |= since.stubs
    scanned.cuts.update(since.cuts)
    scanned.kept += since.kept
    scanned.ids |= since.ids
    scanned.named |= since.named
    return scanned


def _given(
    names: set[str], known_ids: dict[str, set[str]]
) -> tuple[frozenset[str], frozenset[tuple[str, str]]]:
    ids = frozenset((source, i) for source, found in known_ids.items() for i in found)
    return frozenset(names), ids


def _as_read(session: Session, read: dict[int, tuple[bytes, str]]) -> bool:
    """Whether the deliveries a scan decided to cut are still as it read them."""
    table = SQLModel.metadata.tables["delivery"]
    ids = sorted(read)
    for start in range(0, len(ids), 500):
        rows = session.execute(
            sa.select(table.c.id, table.c.body, table.c.headers).where(
                table.c.id.in_(ids[start : start + 500])
            )
        )
        if any((bytes(body), headers) != read[i] for i, body, headers in rows):
            return False
    return True


def _stored(session: Session, table: sa.Table, *where: Any) -> Iterator[Stored]:
    """Every stored delivery not stubbed yet, a thousand rows at a time."""
    columns = (table.c.id, table.c.source, table.c.kind, table.c.headers, table.c.body)
    query = sa.select(*columns).where(table.c.body != FORGOTTEN_BODY, *where)
    for delivery_id, source, kind, headers, body in session.execute(
        query.execution_options(yield_per=1000)
    ):
        yield Stored(delivery_id, source, kind, headers, bytes(body))


def _is_them(person: Person, email: str, ids: set[str]) -> bool:
    if person.email and person.email.strip().lower() == email:
        return True
    return person.external_id is not None and person.external_id in ids


def people(kind: str, headers: str, body: bytes) -> list[Person]:
    """The customers a helpdesk delivery names by address or helpdesk id, also one that
    yields no events (a ticket without tags, a Zendesk event naming its requester by id
    alone); none for an unparseable body."""
    if kind not in registry.kinds():
        return []
    try:
        return registry.helpdesk(kind).named(json.loads(headers), body)
    except (IntegrationError, ValueError, RecursionError):
        return []


def cut_row(row: Stored, pattern: re.Pattern[str], mentions: Mentions) -> dict[str, Any] | None:
    """The changed columns of a delivery with `pattern` cut out of its JSON text; None when
    some of it cannot be cut (not JSON): then the delivery is stubbed, privacy first."""
    body = cut_json(row.body.decode("utf-8", "surrogateescape"), pattern, mentions)
    headers = cut_json(row.headers, pattern, mentions)
    if mentions.in_raw(body, pattern) or mentions.in_raw(headers, pattern):
        return None
    values: dict[str, Any] = {}
    if (raw := body.encode("utf-8", "surrogateescape")) != row.body:
        values["body"] = raw
    if headers != row.headers:
        values["headers"] = headers
    return values
