"""Deliveries that reach processing after `voice-router forget` ended, but were received
before it did: the person asked to be forgotten, so these are erased as forget would have.

While forget runs, webhooks are still answered: on SQLite they wait for its write lock (and
after `store.SPOOL_AFTER_SECONDS` go to the spool), on PostgreSQL they are stored beside it;
processing waits for it either way. So a delivery received while forget ran lands in the
table after forget read it. Forget's audit entry records the moment it ended (`at`, set
just before its commit), the sha256 of every address it erased the person under (the
address given, `subject_hash`, and those it followed them to or knew as a former address
of theirs, `details["followed"]`) and of every helpdesk id it erased, per source
(`details["followed_ids"]`: Zendesk's event webhooks and Intercom's contacts name a person
by id alone); a batch stubs, unapplied, each helpdesk delivery received before then that
names a customer at one of those addresses or by one of those ids, as forget stubs the
person's pending deliveries. One received after is new data: forget is not a block-list.

Jira's deliveries belong to no customer (issue descriptions, staff comments), and forget cuts
the person out of them rather than stubbing them. A name cannot be kept for that: a hash of
it is found again by trying a list of names, and so is anything derived from it alone. So
forget itself stays, once it committed, as long as a delivery received before that can take
to be stored (`Late`, its knowledge of the person in memory only), then cuts their
addresses and full names out of every Jira delivery received from shortly before it began
until it committed (`cut_late`); then it ends, and nothing of the name is left. Applying
a Jira delivery copies none of its text, so processing need not wait for that: one it
reaches first loses, as before, every address whose hash the forget recorded. The same
is what is left if forget did not stay (no Jira webhook secret in its settings, killed) or
a delivery took longer to be stored: its addresses go, a name in it stays (forget run
again cuts it).
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col

from voice_router.models import AuditEntry, Delivery
from voice_router.platform.clock import to_utc, utcnow
from voice_router.platform.upsert import among
from voice_router.problems.delivery_erasure import STUB, Stored, cut_row, people
from voice_router.problems.mentions import Mentions, spellings

log = logging.getLogger(__name__)
Key = tuple[str | None, str]  # what a forget erased: (None, address hash), (source, id hash)


def subject_hash(email: str) -> str:
    """How the audit names an address: the sha256 of it, lower-cased."""
    return hashlib.sha256(email.strip().lower().encode()).hexdigest()


def id_hash(external_id: str) -> str:
    """How the audit names a helpdesk id: the sha256 of it as the helpdesk spells it."""
    return hashlib.sha256(external_id.encode()).hexdigest()


def stamp(
    audit: AuditEntry,
    details: dict[str, Any],
    given: str,
    followed: Iterable[str],
    ids: Iterable[tuple[str, str]],
) -> None:
    """The audit entry's last values, written just before forget commits: its counts, the
    hashes of the addresses it followed the person to and of their former addresses
    (`followed`) besides the one given, of the helpdesk ids it erased (`ids`, by source),
    and when it ended."""
    others = sorted(set(followed) - {subject_hash(given)})
    by_source: dict[str, set[str]] = {}
    for source, external_id in ids:
        by_source.setdefault(source, set()).add(id_hash(external_id))
    audit.details = json.dumps(
        {
            **details,
            **({"followed": others} if others else {}),
            **({"followed_ids": {s: sorted(h) for s, h in by_source.items()}} if by_source else {}),
        },
        sort_keys=True,
    )
    audit.at = utcnow()


@dataclass
class Late:
    """What one forget knows of the person, held in its process's memory only: how each
    address it erased them under reads with their full names (`people`), when it began and
    when it committed (`at`, its audit entry's)."""

    began: datetime
    at: datetime
    audit_id: int | None
    people: list[Mentions]


def cut_late(session: Session, late: Late, stored_within: timedelta) -> int:
    """Cut the person out of every Jira delivery received from `stored_within` before the
    forget began until it committed, as forget cuts the ones it reads (a delivery that a cut
    cannot clean, not JSON, becomes a stub); the deliveries changed. On PostgreSQL each is
    locked first (a batch applying it meanwhile is waited for), on SQLite the caller holds
    the write lock. The audit entry counts them (`details.late`)."""
    table = Delivery.__table__  # type: ignore[attr-defined]  # SQLModel leaves __table__ undeclared
    query = sa.select(table.c.id, table.c.source, table.c.kind, table.c.headers, table.c.body)
    query = query.where(
        table.c.kind == "jira",
        table.c.body != STUB["body"],
        table.c.received_at >= late.began - stored_within,
        table.c.received_at <= late.at,
    ).order_by(table.c.id)
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update()
    changed, stubbed = 0, set()
    for delivery in session.execute(query).all():
        read = Stored(delivery.id, delivery.source, "jira", delivery.headers, bytes(delivery.body))
        found = [m for m in late.people if m.in_raw(read.body) or m.in_raw(read.headers)]
        row = _cut_each(read, [(mentions.any, mentions) for mentions in found])
        if row is None:
            stubbed.add(read.id)
        elif row != read:
            changed += 1
            values = {"body": row.body, "headers": row.headers}
            session.execute(sa.update(table).where(table.c.id == row.id).values(**values))
    if stubbed:
        status = sa.case((table.c.status == "processed", "processed"), else_="forgotten")
        session.execute(
            sa.update(table).where(table.c.id.in_(sorted(stubbed))).values(**STUB, status=status)
        )
    audit = session.get(AuditEntry, late.audit_id) if late.audit_id is not None else None
    if audit is not None:
        counted = {**json.loads(audit.details), "late": changed + len(stubbed)}
        audit.details = json.dumps(counted, sort_keys=True)
        session.add(audit)
    log.info("privacy.forget_late_cut", extra={"deliveries": changed + len(stubbed)})
    return changed + len(stubbed)


def late(session: Session, deliveries: Sequence[Any]) -> set[int]:
    """Of a batch's claimed `deliveries` (rows with `id`, `source`, `kind`, `headers`, `body`,
    `received_at`), those received before a forget of someone they name ended, to become
    stubs (`stub`). The forgets that ended since the oldest of them are read once, for the
    helpdesk deliveries and the Jira ones alike."""
    if not deliveries:
        return set()
    ended = _ended_since(session, min(to_utc(d.received_at) for d in deliveries))
    if not ended:  # the usual batch: no forget lately, nothing to read again
        return set()
    helpdesk = [d for d in deliveries if d.kind != "jira"]
    jira = [d for d in deliveries if d.kind == "jira"]
    return received_before(ended, helpdesk) | cut_from_jira(session, ended, jira)


def received_before(ended: Mapping[Key, datetime], deliveries: Sequence[Any]) -> set[int]:
    """Of claimed helpdesk `deliveries`, those received before a forget of an address or
    helpdesk id of a customer they name ended (`ended`: what forgets erased, and when)."""
    late = set()
    for delivery in deliveries:
        named = people(delivery.kind, delivery.headers, bytes(delivery.body))
        keys: set[Key] = {(None, subject_hash(p.email)) for p in named if p.email}
        keys |= {(delivery.source, id_hash(p.external_id)) for p in named if p.external_id}
        if any(to_utc(delivery.received_at) <= ended[key] for key in keys if key in ended):
            late.add(delivery.id)
    return late


def cut_from_jira(
    session: Session, ended: Mapping[Key, datetime], deliveries: Sequence[Any]
) -> set[int]:
    """Of claimed Jira `deliveries`, those received before a forget that erased an address
    in them ended: the address is cut out of their body and headers, as forget cuts it out
    of the Jira deliveries it reads. Those a cut cannot clean (not JSON) are returned, to
    become stubs (`stub`), privacy first."""
    if not deliveries or not any(source is None for source, _ in ended):
        return set()
    table = Delivery.__table__  # type: ignore[attr-defined]  # SQLModel leaves __table__ undeclared
    stubbed = set()
    for delivery in deliveries:
        row = Stored(
            delivery.id, delivery.source, delivery.kind, delivery.headers, bytes(delivery.body)
        )
        received = to_utc(delivery.received_at)
        keys = {
            address: (None, subject_hash(address)) for address in addresses(row.body, row.headers)
        }
        erased = [a for a, key in keys.items() if key in ended and received <= ended[key]]
        cut = _cut_each(row, [(m.email, m) for m in map(Mentions, erased)])
        if cut is None:
            stubbed.add(delivery.id)
        elif erased:
            changed = {"body": cut.body, "headers": cut.headers}
            session.execute(sa.update(table).where(table.c.id == delivery.id).values(**changed))
    return stubbed


def _cut_each(row: Stored, cuts: list[tuple[re.Pattern[str], Mentions]]) -> Stored | None:
    """`row` with each pattern cut out of it in turn (`cut_row`); None when one cannot be
    (not JSON): the delivery is then stubbed, privacy first."""
    for pattern, mentions in cuts:
        values = cut_row(row, pattern, mentions)
        if values is None:
            return None
        row = row._replace(**values)
    return row


# An address as a helpdesk or a person writes it, generously (`o'brien@x.com`): the hashes
# decide. At most 64 characters before the `@` and 255 after it are read (RFC 5321's limits),
# so a long run of text without a space costs no more than a real address.
_CANDIDATE = re.compile(r"[^\s\x00@\"<>()\[\],;:\\]{1,64}@[^\s\x00@\"<>()\[\],;:\\]{1,255}")
_BOUNDARY = re.compile(r"[^0-9A-Za-z]")


def addresses(body: bytes, headers: str) -> set[str]:
    """Every address `body` or `headers` may spell (JSON-escaped, URL-encoded, markup-escaped),
    lowered, in every reading that a word boundary allows (`mailto:a@b.c.`, `x=a@b.c`)."""
    found = set()
    for raw in (body.decode("utf-8", "replace"), headers):
        for text in spellings(raw):
            for candidate in _CANDIDATE.findall(text):
                local, domain = candidate.lower().split("@", 1)
                for start in _starts(local):
                    for end in _ends(domain):
                        found.add(f"{local[start:]}@{domain[:end]}")
    return found


def _starts(local: str) -> Iterator[int]:
    yield 0
    yield from (m.end() for m in _BOUNDARY.finditer(local) if m.end() < len(local))


def _ends(domain: str) -> Iterator[int]:
    yield len(domain)
    yield from (m.start() for m in _BOUNDARY.finditer(domain) if m.start() > 0)


def _ended_since(session: Session, oldest: datetime) -> dict[Key, datetime]:
    """What the forgets that ended since `oldest` erased, and when the last of each ended."""
    forgets = session.execute(
        sa.select(col(AuditEntry.at), col(AuditEntry.subject_hash), col(AuditEntry.details)).where(
            col(AuditEntry.action) == "forget", col(AuditEntry.at) >= oldest
        )
    ).all()
    ended: dict[Key, datetime] = {}
    for at, subject, details in forgets:
        found = json.loads(details)
        keys: list[Key] = [(None, h) for h in (subject, *found.get("followed", []))]
        keys += [(s, h) for s, hashes in found.get("followed_ids", {}).items() for h in hashes]
        for key in keys:
            ended[key] = max(to_utc(at), ended.get(key, to_utc(at)))
    return ended


def stub(session: Session, ids: set[int]) -> None:
    """The deliveries become forget's stubs, never processed (status `forgotten`)."""
    table = Delivery.__table__  # type: ignore[attr-defined]  # SQLModel leaves __table__ undeclared
    session.execute(
        sa.update(table)
        .where(among(session, table.c.id, sorted(ids)))
        .values(**STUB, status="forgotten")
    )
    log.info("privacy.forgotten_on_arrival", extra={"deliveries": len(ids)})
