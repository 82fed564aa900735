"""Merge suggestions: the other problems that are most likely the same problem, and why.

A problem's merge group (the problem and everything merged into it) is compared with every
other unmerged problem's group on four signals:

- name: the keys (and any title that is more than the key) as words. Words pair up in any
  order after folding case, accents and plural/verb endings; failing that a word may stand
  for a run of the other's words as an acronym, a joined spelling or a shortening ("sso" ~
  "single sign on", "loginloop" ~ "login loop", "notif" ~ "notification", "pwd" ~
  "password"), or be a typo of one (rapidfuzz ratio >= 75). The similarity is the share of
  both names' word weight that found a counterpart (a weighted Dice coefficient); words
  that are rarer among all problem names weigh a little more.
- subjects: the words of up to SUBJECTS ticket subjects per problem (stop words dropped),
  as tf-idf vectors compared by cosine similarity, scaled by n / (n + 1) where n is the
  smaller number of distinct subjects: one shared subject is thin evidence.
- accounts and customers: how many companies and people the two groups' active pain points
  share, as a Jaccard index smoothed so that one shared account between two small problems
  counts for little.

Each signal above its floor is evidence in [0, 1]; they combine as a noisy-or (one strong
signal is enough, weak ones add up) into a score in [0, 1], a little lower for shipped and
won't-fix problems. Only scores from `min_score` up are suggested.

Cost: a handful of queries per call, none per candidate. Names, accounts and customers are
compared with every problem; ticket subjects are read only for a shortlist (blocking), the
problems with the most similar names and those sharing the most accounts or customers.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from dataclasses import dataclass, field

import numpy as np
import sqlalchemy as sa
from rapidfuzz import fuzz
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from voice_router import meaning, problem_vectors
from voice_router.errors import NotFound
from voice_router.models import Account, Customer, PainPoint, Problem
from voice_router.similarity import (
    Name,
    as_name,
    idf,
    name_similarity,
    significant,
)

SUBJECTS = 10  # ticket subjects read per problem
CLOSED = ("shipped", "wont_fix")


@dataclass(frozen=True)
class Weights:
    """How the signals combine (see the module docstring); tuned on the tuning half of
    tests/data/suggestions.json with bench/suggestions.py."""

    name: float = 0.5  # the most one signal can add
    name_floor: float = 0.4  # a similarity at or below its floor is no evidence
    subjects: float = 0.7
    subjects_floor: float = 0.2
    subjects_prior: float = 1.0  # cosine x n / (n + prior), n: the fewer distinct subjects
    accounts: float = 0.3
    customers: float = 0.4
    overlap_smoothing: float = 2.0  # added to the union of shared accounts / customers
    rarity: float = 0.5  # exponent on a name word's inverse document frequency
    closed_factor: float = 0.9  # shipped and won't-fix problems score a little lower
    lift: float = 0.5  # how far the signals above lift the meaning similarity towards 1
    min_score: float = 0.5
    margin: float = 0.2  # a suggestion stands this far above the background ...
    background: tuple[int, int] = (3, 10)  # ... the mean score of these ranks (0-based)
    background_prior: float = 0.4  # the score of ranks there are no problems for yet
    shortlist: int = 30  # problems whose subjects are read, per name and per overlap


WEIGHTS = Weights()


@dataclass(frozen=True)
class Suggestion:
    problem_id: int
    score: float
    reasons: tuple[str, ...]


# ---------------------------------------------------------------- words


@dataclass
class _Group:
    """A problem with everything merged into it: its names, some subjects, its sizes."""

    root: int
    status: str
    accounts: int
    customers: int
    names: list[Name] = field(default_factory=list)
    subjects: list[str] = field(default_factory=list)
    words: Counter[str] = field(default_factory=Counter)


def _load(session: Session, problem_id: int) -> tuple[dict[int, _Group], dict[int, int]]:
    """Every unmerged problem's group, and each problem's group (its root)."""
    rows = session.exec(
        select(  # type: ignore[call-overload]  # SQLModel types select() up to 4 columns
            Problem.id,
            Problem.key,
            Problem.title,
            Problem.status,
            Problem.merged_into_id,
            Problem.accounts,
            Problem.customers,
        )
    ).all()
    parent = {row[0]: row[4] for row in rows}
    if problem_id not in parent:
        raise NotFound(f"no problem {problem_id}")
    roots: dict[int, int] = {}
    for pid in parent:
        top, seen = pid, {pid}
        while parent.get(top) is not None and parent[top] not in seen:
            top = parent[top]
            seen.add(top)
        roots[pid] = top
    groups = {
        pid: _Group(pid, status, accounts, customers)
        for pid, _, _, status, merged, accounts, customers in rows
        if merged is None
    }
    for pid, key, title, *_ in rows:
        names = groups[roots[pid]].names
        names.append(as_name(key))
        if title and as_name(title).words != names[-1].words:
            names.append(as_name(title))
    return groups, roots


def _read_subjects(
    session: Session, problem_ids: list[int], groups: dict[int, _Group], roots: dict[int, int]
) -> None:
    """Up to SUBJECTS ticket subjects of each of these problems, onto their groups. They are
    taken in index order, so each problem costs a few index steps, not a scan of all its
    pain points."""
    active = (col(PainPoint.removed_at).is_(None), col(PainPoint.subject).is_not(None))
    wanted = col(Problem.id).in_(problem_ids)
    if session.get_bind().dialect.name == "postgresql":
        some = (
            select(PainPoint.subject)
            .where(PainPoint.problem_id == Problem.id, *active)
            .limit(SUBJECTS)
            .lateral()
        )
        query = select(Problem.id, some.c.subject).join(some, sa.true()).where(wanted)
    else:  # SQLite has no LATERAL; a correlated IN does the same
        inner = aliased(PainPoint)
        some_ids = (
            select(inner.id)
            .where(inner.problem_id == Problem.id, col(inner.removed_at).is_(None))
            .where(col(inner.subject).is_not(None))
            .limit(SUBJECTS)
            .correlate(Problem)
        )
        query = select(Problem.id, PainPoint.subject).join(
            PainPoint, col(PainPoint.id).in_(some_ids)
        )
        query = query.where(wanted)
    for pid, subject in session.exec(query).all():
        group = groups[roots[pid]]
        if subject not in group.subjects:
            group.subjects.append(subject)
            group.words.update(significant(subject))


def _shared(
    session: Session, members: list[int], roots: dict[int, int], accounts: bool
) -> tuple[int, dict[int, set[int]]]:
    """How many distinct accounts (or customers) this group's active pain points have, and
    for every other group the ones it shares with this one. Pain points are reached through
    their customer (indexed): for accounts, the customers of this group's accounts."""
    column = col(PainPoint.account_id) if accounts else col(PainPoint.customer_id)
    active = (col(PainPoint.removed_at).is_(None), column.is_not(None))
    mine = select(column).where(col(PainPoint.problem_id).in_(members), *active).distinct()
    own = len(session.exec(mine).all())
    shared: dict[int, set[int]] = defaultdict(set)
    if not own:
        return 0, shared
    customers = select(Customer.id).where(col(Customer.account_id).in_(mine)) if accounts else mine
    reach = col(PainPoint.customer_id).in_(customers)
    rows = session.exec(
        select(PainPoint.problem_id, column)
        .where(reach, column.in_(mine), col(PainPoint.problem_id).not_in(members), *active)
        .distinct()
    ).all()
    for pid, value in rows:
        shared[roots[pid]].add(value)  # type: ignore[arg-type]  # the query drops nulls
    return own, shared


# ---------------------------------------------------------------- scoring


@dataclass
class Signals:
    name: float = 0.0
    names: tuple[str, str] = ("", "")
    subjects: float = 0.0
    accounts: set[int] = field(default_factory=set)
    account_overlap: float = 0.0
    customers: set[int] = field(default_factory=set)
    customer_overlap: float = 0.0
    meaning: float = 0.0


def _evidence(value: float, floor: float) -> float:
    return (value - floor) / (1 - floor) if value > floor else 0.0


def _overlap(shared: int, mine: int, theirs: int, smoothing: float) -> float:
    """Jaccard index of two id sets, with `smoothing` added to the union."""
    return shared / (mine + max(theirs, shared) - shared + smoothing) if shared else 0.0


def score(signals: Signals, status: str, weights: Weights = WEIGHTS) -> float:
    """The meaning similarity, lifted towards 1 by the other signals' noisy-or."""
    lift = _lift(signals, weights)
    value = max(signals.meaning, 0.0)
    value = value + (1 - value) * weights.lift * lift if weights.lift else value
    return min(value, 1.0) * (weights.closed_factor if status in CLOSED else 1.0)


def _lift(signals: Signals, weights: Weights) -> float:
    doubt = 1.0
    doubt *= 1 - weights.name * _evidence(signals.name, weights.name_floor)
    doubt *= 1 - weights.subjects * _evidence(signals.subjects, weights.subjects_floor)
    doubt *= 1 - weights.accounts * signals.account_overlap
    doubt *= 1 - weights.customers * signals.customer_overlap
    return 1 - doubt


def compare(
    session: Session, problem_id: int, weights: Weights = WEIGHTS
) -> tuple[dict[int, Signals], dict[int, _Group]]:
    """The signals between a problem and every other unmerged problem, by that problem's
    id; subjects only for the `weights.shortlist` problems with the most similar names and
    the `shortlist` sharing the most accounts and customers."""
    groups, roots = _load(session, problem_id)
    target = groups.get(problem_id)
    if target is None:  # merged: it can no longer be merged, nor be merged into
        return {}, groups
    members = [pid for pid, root in roots.items() if root == problem_id]
    names = [n.distinct for g in groups.values() for n in g.names]
    name_weights = idf(names, weights.rarity)
    own_accounts, accounts = _shared(session, members, roots, accounts=True)
    own_customers, customers = _shared(session, members, roots, accounts=False)
    found: dict[int, Signals] = {}
    for group in groups.values():
        if group is target:
            continue
        found[group.root] = sig = Signals()
        for mine_name in target.names:
            for their_name in group.names:
                similarity = name_similarity(mine_name, their_name, name_weights)
                if similarity > sig.name:
                    sig.name, sig.names = similarity, (mine_name.text, their_name.text)
        sig.accounts = accounts.get(group.root, set())
        sig.account_overlap = _overlap(
            len(sig.accounts), own_accounts, group.accounts, weights.overlap_smoothing
        )
        sig.customers = customers.get(group.root, set())
        sig.customer_overlap = _overlap(
            len(sig.customers), own_customers, group.customers, weights.overlap_smoothing
        )
    _meaning(session, problem_id, roots, found)
    by_name = sorted((s for s in found.items() if s[1].name), key=lambda s: -s[1].name)
    by_overlap = sorted(
        (s for s in found.items() if s[1].accounts or s[1].customers),
        key=lambda s: -(s[1].account_overlap + s[1].customer_overlap),
    )
    shortlist = {pid for pid, _ in by_name[: weights.shortlist] + by_overlap[: weights.shortlist]}
    wanted = {problem_id} | shortlist
    _read_subjects(session, [pid for pid, root in roots.items() if root in wanted], groups, roots)
    rarity = idf([set(groups[pid].words) for pid in wanted if groups[pid].words])
    mine = {w: (1 + math.log(n)) * rarity[w] for w, n in target.words.items()}
    mine_norm = math.sqrt(sum(v * v for v in mine.values()))
    for pid in shortlist:
        theirs = groups[pid].words
        dot = sum(v * (1 + math.log(theirs[w])) * rarity[w] for w, v in mine.items() if w in theirs)
        if dot:
            norm = math.sqrt(sum(((1 + math.log(n)) * rarity[w]) ** 2 for w, n in theirs.items()))
            fewer = min(len(target.subjects), len(groups[pid].subjects))
            confidence = fewer / (fewer + weights.subjects_prior)
            found[pid].subjects = dot / (mine_norm * norm) * confidence
    return found, groups


def _meaning(
    session: Session, problem_id: int, roots: dict[int, int], found: dict[int, Signals]
) -> None:
    """Each group's meaning similarity to the problem's group (sums of its members'
    vectors, kept in memory by voice_router.problem_vectors; see voice_router.meaning)."""
    vectors = problem_vectors.load(session)
    sums: dict[int, np.ndarray] = {}
    for pid, vector in vectors.items():
        root = roots.get(pid)
        if root is not None:
            sums[root] = sums[root] + vector if root in sums else vector.copy()
    others = [pid for pid in found if pid in sums]
    if problem_id not in sums or not others:
        return
    matrix = np.stack([sums[pid] for pid in others])
    alike = meaning.similarities(sums[problem_id], matrix, meaning.background(matrix))
    for pid, value in zip(others, alike.tolist(), strict=True):
        found[pid].meaning = value


def suggest(
    session: Session, problem_id: int, limit: int = 3, *, weights: Weights = WEIGHTS
) -> list[Suggestion]:
    """The likeliest duplicates of a problem, best first, each with the reasons to show.
    Raises NotFound for an unknown problem; a merged problem gets none."""
    found, groups = compare(session, problem_id, weights)
    ranked = sorted(
        ((round(score(sig, groups[pid].status, weights), 3), pid) for pid, sig in found.items()),
        key=lambda item: (-item[0], item[1]),
    )
    low, high = weights.background
    around = [v for v, _ in ranked[low:high]]
    around += [weights.background_prior] * (high - low - len(around))  # few problems yet
    background = sum(around) / len(around)
    best = [
        (value, pid)
        for value, pid in ranked[: max(limit, 0)]
        if value >= weights.min_score and value - background >= weights.margin
    ]
    if not best:
        return []
    namer = _Namer(session, [found[pid] for _, pid in best])
    target = groups[problem_id]
    return [
        Suggestion(pid, value, _reasons(found[pid], target, groups[pid], namer, weights))
        for value, pid in best
    ]


# ---------------------------------------------------------------- reasons


class _Namer:
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


def _reasons(
    signals: Signals, target: _Group, group: _Group, namer: _Namer, weights: Weights
) -> tuple[str, ...]:
    ranked: list[tuple[float, str]] = []
    if signals.meaning >= weights.min_score / 2:
        said = len(group.subjects)
        text = f"alike in meaning ({round(signals.meaning * 100)}%)"
        if said:
            verb = "tickets say" if said != 1 else "ticket says"
            text += f": {said} {verb} '{group.subjects[0]}'"
        ranked.append((signals.meaning * 0.2, text))  # after the signals that show why
    if _evidence(signals.name, weights.name_floor):
        mine, theirs = signals.names
        text = f"similar name: '{mine}' ~ '{theirs}' ({round(signals.name * 100)}%)"
        ranked.append((weights.name * _evidence(signals.name, weights.name_floor), text))
    if _evidence(signals.subjects, weights.subjects_floor):
        pair = _best_subjects(target.subjects, group.subjects)
        if pair:
            text = f"similar ticket subjects: '{pair[0]}' ~ '{pair[1]}'"
            evidence = _evidence(signals.subjects, weights.subjects_floor)
            ranked.append((weights.subjects * evidence, text))
    if signals.accounts:
        text = _listing("account", signals.accounts, namer.accounts)
        ranked.append((weights.accounts * signals.account_overlap, text))
    if signals.customers:
        text = _listing("customer", signals.customers, namer.customers)
        ranked.append((weights.customers * signals.customer_overlap, text))
    return tuple(text for _, text in sorted(ranked, key=lambda r: -r[0]))
