"""Which addresses `forget` follows a person to: from the address given, to every address the
customer rows holding their helpdesk ids have now (a helpdesk that knows them by id may have
sent a new address since). The erasure (privacy) and its preview (forget_preview) follow the
same chain, so what the preview counts is what the erasure erases."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

import sqlalchemy as sa
from sqlmodel import Session, and_, col, or_, select

from voice_router.models import Customer, CustomerIdentity

Ids = frozenset[tuple[str, str]]  # (source, helpdesk id) of customers


def holding(ids: Ids) -> sa.Select[Any]:
    """The ids of the customers that hold one of the helpdesk ids `ids`."""
    pairs = [and_(CustomerIdentity.source == s, CustomerIdentity.external_id == e) for s, e in ids]
    return sa.select(col(CustomerIdentity.customer_id)).where(or_(sa.false(), *pairs))


def follow(session: Session, email: str, visit: Callable[[str, Ids], Ids]) -> None:
    """`visit(address, ids)` for the address given (with no ids), then for each address a
    customer holding one of the ids found so far has now, once each; `visit` returns the
    helpdesk ids its address's deliveries name. A customer known by id only (no address) is
    visited under the address given."""
    ids = visit(email, frozenset())
    done: set[str | None] = {email}
    addresses = select(Customer.email).where(col(Customer.id).in_(holding(ids)))
    while pending := set(session.exec(addresses)) - done:
        address = min(pending, key=str)
        done.add(address)
        ids |= visit(address or email, ids)
        addresses = select(Customer.email).where(col(Customer.id).in_(holding(ids)))


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
