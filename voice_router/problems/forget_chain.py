"""Which addresses `forget` follows a person to: from the address given, to every address the
customer rows holding their helpdesk ids have now (a helpdesk that knows them by id may have
sent a new address since), the address each customer row found has now (found by a former
address, `customeralias`), and each address their own deliveries name for them (by one of
their helpdesk ids). A helpdesk said that address was theirs, whether or not a customer row
kept it: as a former address, or not at all (a change made before former addresses were
kept). What they wrote from it through a helpdesk that knows no id, and the row holding it,
are theirs: also a row processing left apart, at an address they gave up, which may be a
colleague's now (docs/privacy.md says forget errs on that side). The erasure (privacy) and
its preview (forget_preview) follow the same chain, so what the preview counts is what the
erasure erases."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol

import sqlalchemy as sa
from sqlmodel import Session, and_, col, or_, select

from voice_router.models import Customer, CustomerAlias, CustomerIdentity
from voice_router.problems.forget_late import subject_hash
from voice_router.problems.mentions import Mentions

Ids = frozenset[tuple[str, str]]  # (source, helpdesk id) of customers


def holding(ids: Ids) -> sa.Select[Any]:
    """The ids of the customers that hold one of the helpdesk ids `ids`."""
    pairs = [and_(CustomerIdentity.source == s, CustomerIdentity.external_id == e) for s, e in ids]
    return sa.select(col(CustomerIdentity.customer_id)).where(or_(sa.false(), *pairs))


def having_had(email: str) -> sa.Select[Any]:
    """The ids of the customers that had the address `email` before (`customeralias`)."""
    alias = sa.select(col(CustomerAlias.customer_id))
    return alias.where(col(CustomerAlias.email_hash) == subject_hash(email))


def aliases(session: Session, customer_ids: Iterable[int]) -> set[str]:
    """The hashes of the former addresses of these customers."""
    hashes = sa.select(col(CustomerAlias.email_hash))
    return set(session.scalars(hashes.where(col(CustomerAlias.customer_id).in_(customer_ids))))


@dataclass
class Trail:
    """What the visits found: the addresses the customer rows found have now, the hashes of
    the addresses they had before, the addresses their deliveries name, and every helpdesk
    id of theirs (their identities', and those their deliveries name). A visit adds to it
    (`found`)."""

    current: set[str] = field(default_factory=set)
    hashes: set[str] = field(default_factory=set)
    named: set[str] = field(default_factory=set)
    ids: set[tuple[str, str]] = field(default_factory=set)
    # The person as each visit reads them (an address and their full names), in memory only:
    # forget_late.Late, for the Jira deliveries that reach the table after forget read it.
    people: list[Mentions] = field(default_factory=list)

    def found(
        self,
        customers: Iterable[Any],
        hashes: set[str],
        named: set[str],
        ids: Iterable[tuple[str, str]] = (),
    ) -> None:
        self.current |= {c.email for c in customers if c.email}
        self.hashes |= hashes
        self.named |= named
        self.ids |= set(ids)

    def addresses(self) -> set[str]:
        """Theirs to visit: the ones they have now, and those their deliveries name."""
        return self.current | self.named


def follow(
    session: Session, email: str, visit: Callable[[str, Ids], Ids], trail: Trail
) -> list[str]:
    """`visit(address, ids)` for the address given (with no ids), then for each address a
    customer holding one of the ids found so far has now, or `trail` found, once each;
    `visit` returns the helpdesk ids its address's deliveries name. A customer known by id
    only (no address) is visited under the address given. The addresses visited."""
    ids = visit(email, frozenset())
    done: set[str | None] = {email}
    visited = [email]
    addresses = select(Customer.email).where(col(Customer.id).in_(holding(ids)))
    while pending := (set(session.exec(addresses)) | trail.addresses()) - done:
        address = min(pending, key=str)
        done.add(address)
        visited.append(address or email)
        ids |= visit(address or email, ids)
        addresses = select(Customer.email).where(col(Customer.id).in_(holding(ids)))
    return visited


class Beside(Protocol):
    """Deliveries forget also reaches outside the tables: SQLite's spool
    (intake/spool_forget.py). The erasure calls `begin` in its transaction once it holds the
    locks, `person` for each address it follows, before anything of theirs is erased,
    `write` once it erased them all, before its commit (not on a dry run), and `committed`
    after its commit; the preview calls `person` alone."""

    @property
    def unreadable(self) -> int:
        """Files it could not read, so could not look into."""
        ...

    def begin(self, session: Session) -> None: ...

    def person(self, email: str, names: set[str], known_ids: dict[str, set[str]]) -> int:
        """Erase (or, for a preview, count) what is theirs; how many deliveries, once each."""
        ...

    def write(self) -> None:
        """Write what `person` erased, before the commit: a crash then never leaves it
        unwritten behind tables that say the person is forgotten."""
        ...

    def committed(self) -> None: ...
