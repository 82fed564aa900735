"""Rows `forget` changes beside the person's own: accounts named after them, write-back
notes not sent yet on their tickets, their former addresses (voice_router.problems.privacy).
Finding them is apart from changing them, so `forget`'s preview counts the same rows
(forget_preview)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import sqlalchemy as sa
from sqlmodel import Session, col, select

from voice_router.models import Account, CustomerAlias, Outbound, PainPoint
from voice_router.problems.forget_chain import aliases
from voice_router.problems.mentions import Mentions


def _name_theirs(account: Account, mentions: Mentions) -> bool:
    return bool(account.name and mentions.found(account.name))


def _key_theirs(account: Account, mentions: Mentions) -> bool:
    return account.key.startswith("name:") and bool(mentions.found(account.key))


def accounts_named_after(
    session: Session, account_ids: set[int | None], mentions: Mentions
) -> list[Account]:
    """Their accounts named after them (a sole trader): by name, or by a key made of it."""
    found = session.exec(select(Account).where(col(Account.id).in_(account_ids)))
    return [a for a in found if _name_theirs(a, mentions) or _key_theirs(a, mentions)]


def forget_accounts(session: Session, account_ids: set[int | None], mentions: Mentions) -> int:
    """An account of theirs named after them loses the name; it stays an account, so
    account counts and MRR are unchanged."""
    found = accounts_named_after(session, account_ids, mentions)
    for account in found:
        if _name_theirs(account, mentions):
            account.name = None
        if _key_theirs(account, mentions):
            account.key = f"forgotten:{account.id}"
        session.add(account)
    return len(found)


def notes_to_cancel(session: Session, pain_points: Sequence[PainPoint]) -> list[Outbound]:
    """Write-back notes not sent yet on their tickets (no one else's)."""
    tickets = {f"{pp.source}:{pp.ticket_id}" for pp in pain_points}
    others = session.exec(
        select(PainPoint.source, PainPoint.ticket_id).where(
            col(PainPoint.ticket_id).in_({pp.ticket_id for pp in pain_points}),
            col(PainPoint.id).not_in([pp.id for pp in pain_points]),
        )
    )
    tickets -= {f"{source}:{ticket}" for source, ticket in others}
    pending = select(Outbound).where(Outbound.channel == "writeback", Outbound.status == "pending")
    return [row for row in session.exec(pending) if row.target in tickets]


def cancel_notes(session: Session, pain_points: Sequence[PainPoint]) -> int:
    """Write-back notes not sent yet on their tickets (no one else's) are never sent."""
    rows = notes_to_cancel(session, pain_points)
    for row in rows:
        row.status = "cancelled"
        session.add(row)
    return len(rows)


def forget_aliases(session: Session, customer_ids: Iterable[int]) -> set[str]:
    """Their former addresses (hashed) are deleted; the hashes, which the audit keeps so a
    delivery to one that was received before forget ended is erased too (forget_late)."""
    ids = list(customer_ids)
    hashes = aliases(session, ids)
    session.execute(sa.delete(CustomerAlias).where(col(CustomerAlias.customer_id).in_(ids)))
    return hashes
