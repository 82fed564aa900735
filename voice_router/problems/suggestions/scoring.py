"""Scoring merge suggestions: the signals between a problem's group and every other, their
score, and the best few (see voice_router.problems.suggestions)."""

from __future__ import annotations

import math
import threading
from collections import OrderedDict

from sqlmodel import Session

from voice_router.problems import vectors as problem_vectors
from voice_router.problems.similarity import NameIndex, idf, name_similarity
from voice_router.problems.suggestions import nearness
from voice_router.problems.suggestions.reading import (
    load_groups,
    read_subjects,
    shared_counts,
    shared_members,
)
from voice_router.problems.suggestions.reasons import Namer, reasons
from voice_router.problems.suggestions.signals import (
    CLOSED,
    WEIGHTS,
    Group,
    Signals,
    Suggestion,
    Weights,
    evidence,
)

# names of every group -> their index (one per database and state of the names)
_NAME_INDEXES: OrderedDict[tuple[object, ...], NameIndex] = OrderedDict()
_LOCK = threading.Lock()


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
    doubt *= 1 - weights.name * evidence(signals.name, weights.name_floor)
    doubt *= 1 - weights.subjects * evidence(signals.subjects, weights.subjects_floor)
    doubt *= 1 - weights.accounts * signals.account_overlap
    doubt *= 1 - weights.customers * signals.customer_overlap
    return 1 - doubt


def compare(
    session: Session, problem_id: int, weights: Weights = WEIGHTS
) -> tuple[dict[int, Signals], dict[int, Group]]:
    """The signals between a problem and every other unmerged problem, by that problem's
    id; subjects only for the `weights.shortlist` problems with the most similar names and
    the `shortlist` sharing the most accounts and customers."""
    groups, roots = load_groups(session, problem_id)
    target = groups.get(problem_id)
    if target is None:  # merged: it can no longer be merged, nor be merged into
        return {}, groups
    names = [n.distinct for g in groups.values() for n in g.names]
    name_weights = idf(names, weights.rarity)
    shared = shared_counts(session, problem_id, groups)
    alike = _name_index(groups).alike(target.names)
    found: dict[int, Signals] = {}
    for group in groups.values():
        if group is target:
            continue
        found[group.root] = sig = Signals()
        for mine_name in target.names if group.root in alike else ():
            for their_name in group.names:
                similarity = name_similarity(mine_name, their_name, name_weights)
                if similarity > sig.name:
                    sig.name, sig.names = similarity, (mine_name.text, their_name.text)
        sig.shared_accounts, sig.shared_customers = shared.get(group.root, (0, 0))
        sig.account_overlap = _overlap(
            sig.shared_accounts, target.accounts, group.accounts, weights.overlap_smoothing
        )
        sig.customer_overlap = _overlap(
            sig.shared_customers, target.customers, group.customers, weights.overlap_smoothing
        )
    _meaning(session, problem_id, roots, found, weights.hubness)
    by_name = sorted((s for s in found.items() if s[1].name), key=lambda s: -s[1].name)
    by_overlap = sorted(
        (s for s in found.items() if s[1].shared_accounts or s[1].shared_customers),
        key=lambda s: -(s[1].account_overlap + s[1].customer_overlap),
    )
    shortlist = {pid for pid, _ in by_name[: weights.shortlist] + by_overlap[: weights.shortlist]}
    wanted = {problem_id} | shortlist
    read_subjects(session, [pid for pid, root in roots.items() if root in wanted], groups, roots)
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


def _name_index(groups: dict[int, Group]) -> NameIndex:
    """The index of every group's names, kept while the names stay the same."""
    key = tuple((root, *(name.text for name in group.names)) for root, group in groups.items())
    with _LOCK:
        if key in _NAME_INDEXES:
            _NAME_INDEXES.move_to_end(key)
            return _NAME_INDEXES[key]
    index = NameIndex({root: group.names for root, group in groups.items()})
    with _LOCK:
        _NAME_INDEXES[key] = index
        while len(_NAME_INDEXES) > 4:
            _NAME_INDEXES.popitem(last=False)
    return index


def _meaning(
    session: Session,
    problem_id: int,
    roots: dict[int, int],
    found: dict[int, Signals],
    hubness: float,
) -> None:
    """Each group's meaning similarity to the problem's group (see
    voice_router.problems.suggestions.nearness), from the vectors kept in memory by
    voice_router.problems.vectors."""
    vectors = problem_vectors.load(session)
    alike = nearness.similarities(vectors, roots, problem_id, hubness)
    for pid, value in alike.items():
        if pid in found:
            found[pid].meaning = value


def ranked(
    found: dict[int, Signals], groups: dict[int, Group], weights: Weights = WEIGHTS
) -> list[tuple[float, int]]:
    """(score, problem id) of every other group (`compare`'s), best first."""
    return sorted(
        ((round(score(sig, groups[pid].status, weights), 3), pid) for pid, sig in found.items()),
        key=lambda item: (-item[0], item[1]),
    )


def chosen(
    ranking: list[tuple[float, int]], limit: int = 3, weights: Weights = WEIGHTS
) -> list[tuple[float, int]]:
    """Where the suggestions stop: of the first `limit` of `ranking` (`ranked`'s), those that
    score at least `min_score`, stand `margin` above the background (the mean score of the
    ranks `background`) and at most `behind_best` below the first of them."""
    low, high = weights.background
    around = [v for v, _ in ranking[low:high]]
    around += [weights.background_prior] * (high - low - len(around))  # few problems yet
    background = sum(around) / len(around)
    best = [
        (value, pid)
        for value, pid in ranking[: max(limit, 0)]
        if value >= weights.min_score and value - background >= weights.margin
    ]
    return [(value, pid) for value, pid in best if value >= best[0][0] - weights.behind_best]


def suggest(
    session: Session, problem_id: int, limit: int = 3, *, weights: Weights = WEIGHTS
) -> list[Suggestion]:
    """The likeliest duplicates of a problem, best first, each with the reasons to show.
    Raises NotFound for an unknown problem; a merged problem gets none."""
    found, groups = compare(session, problem_id, weights)
    best = chosen(ranked(found, groups, weights), limit, weights)
    if not best:
        return []
    members = shared_members(session, problem_id, [pid for _, pid in best])
    for pid, (accounts, customers) in members.items():
        found[pid].accounts, found[pid].customers = accounts, customers
    namer = Namer(session, [found[pid] for _, pid in best])
    target = groups[problem_id]
    return [
        Suggestion(pid, value, reasons(found[pid], target, groups[pid], namer, weights))
        for value, pid in best
    ]
