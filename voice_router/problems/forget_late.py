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
the person out of them rather than stubbing them. One received before a forget ended loses,
as it reaches processing, every address in it whose hash that forget recorded; it is still
processed. Forget recorded no name (a hash of a name is guessed from a list of names): a
name in it stays, and forget run again cuts it.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import datetime
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
        values: dict[str, Any] | None = {}
        for address in erased:
            mentions = Mentions(address)
            values = cut_row(row, mentions.email, mentions)
            if values is None:
                break
            row = row._replace(**values)
        if values is None:
            stubbed.add(delivery.id)
        elif erased:
            changed = {"body": row.body, "headers": row.headers}
            session.execute(sa.update(table).where(table.c.id == delivery.id).values(**changed))
    return stubbed


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
