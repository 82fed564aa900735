"""An account's MRR is the newest word on it, not the last one processed: a helpdesk's retry
of a delivery two months old, processed after `import-accounts`, overwrote the imported MRR
and every problem's MRR of the account. Each account keeps when its MRR was set
(`Account.mrr_at`: a delivery's occurred_at, an import's moment); a batch's words on it are
gathered here and written only where they are newer than what the account holds then.

Two words said at the same moment (a helpdesk's timestamps are whole seconds) are ranked by
their figure, the larger standing: which of them stood was the last one processed, and with
two workers that was down to timing. The rank needs nothing but the figure and its time the
account keeps, so it adds no column and no lock: whichever order the words come in, and
whichever worker writes first, the same one stands."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, Protocol

import sqlalchemy as sa
from sqlmodel import Session, col

from voice_router.models import Account
from voice_router.platform.clock import to_utc
from voice_router.platform.upsert import among, update_many

# An account's MRR said again, unchanged, moves the time it was set only when this much later:
# it keeps the time current (an older word with another figure stays out) without a write,
# and a row lock two workers would wait on, for every account of every batch.
MRR_AT_SLACK = timedelta(days=1)


class AccountRow(Protocol):
    """What is read here of a batch's account row (identity.AccountRow)."""

    id: int
    mrr: Decimal | None
    mrr_at: datetime | None


class MrrWords:
    """One batch's words on its accounts' MRR."""

    def __init__(self) -> None:
        self._words: dict[int, AccountRow] = {}  # accounts given a newer MRR by the batch
        self._read: dict[int, Decimal | None] = {}  # their MRR as the batch first read it

    def hear(self, account: AccountRow, mrr: float | Decimal | None, at: datetime) -> None:
        """`mrr` said of `account` at `at`: taken (on the row the batch holds) when newer than
        what the account had."""
        if mrr is None:
            return
        said = Decimal(mrr)
        set_at = to_utc(account.mrr_at) if account.mrr_at is not None else None
        if set_at is not None and outranks(set_at, account.mrr, at, said):
            return
        if account.mrr != said or set_at is None or at - set_at > MRR_AT_SLACK:
            self._read.setdefault(account.id, account.mrr)
            account.mrr, account.mrr_at = said, at
            self._words[account.id] = account

    def write(self, session: Session, table: sa.Table) -> set[int]:
        """Write the words that are newer than what each account holds now, read again under a
        row lock (PostgreSQL; in id order): another worker may have set a newer one since the
        batch read it, which stays. Returns the accounts whose MRR moved (their problems'
        sums are to be made again).

        The lock is FOR NO KEY UPDATE, as an UPDATE of these columns takes: FOR UPDATE also
        stopped every other batch's customer and pain point rows that name the account (their
        foreign key checks take FOR KEY SHARE) until this batch committed, and made two
        workers 1.1 times as fast as one instead of 1.4-1.5 (bench/processing.py). A word that
        only repeats the figure the batch read (its time moves on) does not wait for a row
        another batch holds at all: it is left out (SKIP LOCKED), and with it only the newer
        time of a figure the account already has."""
        if not self._words:
            return set()
        moved = sorted(i for i, row in self._words.items() if self._read.get(i) != row.mrr)
        repeated = sorted(set(self._words) - set(moved))
        held = {**_locked(session, moved, skip=False), **_locked(session, repeated, skip=True)}
        changed, rows = set(), []
        for account_id in sorted(held):
            account = self._words[account_id]
            mrr, at = held[account_id]
            assert account.mrr_at is not None  # set with the word
            if at is not None and outranks(to_utc(at), mrr, to_utc(account.mrr_at), account.mrr):
                account.mrr, account.mrr_at = mrr, at  # newer than this batch's word
                continue
            if account.mrr != mrr:
                changed.add(account_id)
            rows.append({"id": account_id, "mrr": account.mrr, "mrr_at": account.mrr_at})
        update_many(session, table, ["id"], rows)
        self._words.clear()
        self._read.clear()
        return changed


def outranks(
    at: datetime, mrr: Decimal | None, other_at: datetime, other_mrr: Decimal | None
) -> bool:
    """Whether the word `mrr` said at `at` stands over the other: it is newer, or said at
    the same moment with a larger figure."""
    if at != other_at:
        return at > other_at
    return mrr is not None and (other_mrr is None or mrr > other_mrr)


def _locked(
    session: Session, ids: list[int], skip: bool
) -> dict[int, tuple[Decimal | None, datetime | None]]:
    """(MRR, its time) of these accounts as they stand, locked; with `skip`, only of those no
    other transaction holds."""
    held: dict[int, tuple[Any, Any]] = {}
    for start in range(0, len(ids), 500):
        statement = (
            sa.select(col(Account.id), col(Account.mrr), col(Account.mrr_at))
            .where(among(session, Account.id, ids[start : start + 500]))
            .order_by(col(Account.id))
            .with_for_update(key_share=True, skip_locked=skip)
        )
        held.update({i: (mrr, at) for i, mrr, at in session.execute(statement)})
    return held
