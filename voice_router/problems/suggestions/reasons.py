"""Why a problem is suggested: the reasons shown beside a suggestion, strongest first, with
the shared accounts and customers named."""

from __future__ import annotations

import sqlalchemy as sa
from rapidfuzz import fuzz
from sqlmodel import Session, col, select

from voice_router.models import Account, Customer
from voice_router.problems.similarity import significant
from voice_router.problems.suggestions.signals import Group, Signals, Weights, evidence


class Namer:
    """Names of the shared accounts and customers of the suggestions, in two queries."""

    def __init__(self, session: Session, found: list[Signals]) -> None:
        account_ids = set().union(*(s.accounts for s in found))
        customer_ids = set().union(*(s.customers for s in found))
        self.accounts: dict[int, str] = {}  # biggest MRR first
        self.customers: dict[int, str] = {}
        if account_ids:
            for aid, name, domain, key in session.exec(
                select(Account.id, Account.name, Account.domain, Account.key)
                .where(col(Account.id).in_(account_ids))
                .order_by(sa.func.coalesce(Account.mrr, 0).desc(), col(Account.key))
            ).all():
                self.accounts[aid] = name or domain or key.removeprefix("name:")
        if customer_ids:
            rows = session.exec(
                select(Customer.id, Customer.name, Customer.email).where(
                    col(Customer.id).in_(customer_ids)
                )
            ).all()
            for cid, name, email in sorted(rows, key=lambda r: ((r[1] or r[2] or "~"), r[0])):
                self.customers[cid] = name or email or f"customer {cid}"


def _listing(noun: str, ids: set[int], names: dict[int, str], shown: int = 3) -> str:
    """ "3 shared accounts: Acme, Globex, Initech", naming `names`' first ones first."""
    first = [names[i] for i in names if i in ids]
    first += sorted(f"{noun} {i}" for i in ids if i not in names)
    more = f" and {len(ids) - shown} more" if len(ids) > shown else ""
    return (
        f"{len(ids)} shared {noun}{'s' if len(ids) != 1 else ''}: {', '.join(first[:shown])}{more}"
    )


def _best_subjects(mine: list[str], theirs: list[str]) -> tuple[str, str] | None:
    best, pair = (0, 0.0), None
    for a in mine:
        words_a = significant(a)
        for b in theirs:
            common = len(words_a & significant(b))
            if common:
                rank = (common, fuzz.token_set_ratio(a, b))
                if rank > best:
                    best, pair = rank, (a, b)
    return pair


def reasons(
    signals: Signals, target: Group, group: Group, namer: Namer, weights: Weights
) -> tuple[str, ...]:
    # A name or subjects reason ranks by its evidence alone (not its weight in the score:
    # the name weighs less there than subjects, yet an identical name says more than one
    # shared generic subject); shared accounts and customers by weight x overlap.
    ranked: list[tuple[float, str]] = []
    if signals.meaning >= weights.min_score / 2:
        said = len(group.subjects)
        text = f"alike in meaning ({round(signals.meaning * 100)}%)"
        if said:
            verb = "tickets say" if said != 1 else "ticket says"
            text += f": {said} {verb} '{group.subjects[0]}'"
        ranked.append((signals.meaning * 0.2, text))  # after the signals that show why
    if evidence(signals.name, weights.name_floor):
        mine, theirs = signals.names
        text = f"similar name: '{mine}' ~ '{theirs}' ({round(signals.name * 100)}%)"
        ranked.append((evidence(signals.name, weights.name_floor), text))
    if evidence(signals.subjects, weights.subjects_floor):
        pair = _best_subjects(target.subjects, group.subjects)
        if pair:
            text = f"similar ticket subjects: '{pair[0]}' ~ '{pair[1]}'"
            strength = evidence(signals.subjects, weights.subjects_floor)
            ranked.append((strength, text))
    if signals.accounts:
        text = _listing("account", signals.accounts, namer.accounts)
        ranked.append((weights.accounts * signals.account_overlap, text))
    if signals.customers:
        text = _listing("customer", signals.customers, namer.customers)
        ranked.append((weights.customers * signals.customer_overlap, text))
    return tuple(text for _, text in sorted(ranked, key=lambda r: -r[0]))
