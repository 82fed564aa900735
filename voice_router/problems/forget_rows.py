"""Rows `forget` changes beside the person's own: accounts named after them, write-back
notes not sent yet on their tickets (voice_router.problems.privacy)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlmodel import Session, col, select

from voice_router.models import Account, Outbound, PainPoint
from voice_router.problems.mentions import Mentions


def forget_accounts(session: Session, account_ids: set[int | None], mentions: Mentions) -> int:
    """An account of theirs named after them (a sole trader) loses the name; it stays an
    account, so account counts and MRR are unchanged."""
    changed = 0
    for account in session.exec(select(Account).where(col(Account.id).in_(account_ids))):
        hit = False
        if account.name and mentions.found(account.name):
            account.name, hit = None, True
        if account.key.startswith("name:") and mentions.found(account.key):
            account.key, hit = f"forgotten:{account.id}", True
        if hit:
            session.add(account)
            changed += 1
    return changed


def cancel_notes(session: Session, pain_points: Sequence[PainPoint]) -> int:
    """Write-back notes not sent yet on their tickets (no one else's) are never sent."""
    tickets = {f"{pp.source}:{pp.ticket_id}" for pp in pain_points}
    others = session.exec(
        select(PainPoint.source, PainPoint.ticket_id).where(
            col(PainPoint.ticket_id).in_({pp.ticket_id for pp in pain_points}),
            col(PainPoint.id).not_in([pp.id for pp in pain_points]),
        )
    )
    tickets -= {f"{source}:{ticket}" for source, ticket in others}
    pending = select(Outbound).where(Outbound.channel == "writeback", Outbound.status == "pending")
    rows = [row for row in session.exec(pending) if row.target in tickets]
    for row in rows:
        row.status = "cancelled"
        session.add(row)
    return len(rows)
