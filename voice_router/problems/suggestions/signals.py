"""What merge suggestions work with: the weights, the groups compared, the signals found
between two groups, and a suggestion (see voice_router.problems.suggestions)."""

from __future__ import annotations

from dataclasses import dataclass, field

from voice_router.problems.similarity import Name

CLOSED = ("shipped", "wont_fix")


@dataclass(frozen=True)
class Weights:
    """How the signals combine (see the module docstring); tuned on the tuning half of
    tests/data/suggestions.json with bench/suggestions.py."""

    name: float = 0.3  # the most one signal can add
    name_floor: float = 0.4  # a similarity at or below its floor is no evidence
    subjects: float = 0.7
    subjects_floor: float = 0.2
    subjects_prior: float = 1.0  # cosine x n / (n + prior), n: the fewer distinct subjects
    accounts: float = 0.3
    customers: float = 0.4
    overlap_smoothing: float = 2.0  # added to the union of shared accounts / customers
    rarity: float = 0.5  # exponent on a name word's inverse document frequency
    closed_factor: float = 0.9  # shipped and won't-fix problems score a little lower
    lift: float = 0.3  # how far the signals above lift the meaning similarity towards 1
    min_score: float = 0.45
    margin: float = 0.12  # a suggestion stands this far above the background ...
    background: tuple[int, int] = (3, 10)  # ... the mean score of these ranks (0-based)
    background_prior: float = 0.4  # the score of ranks there are no problems for yet
    behind_best: float = 0.15  # a second or third suggestion scores at most this below the first
    shortlist: int = 30  # problems whose subjects are read, per name and per overlap
    hubness: float = 1.0  # CSLS correction of the meaning similarity (suggestions.nearness)


WEIGHTS = Weights()


@dataclass(frozen=True)
class Suggestion:
    problem_id: int
    score: float
    reasons: tuple[str, ...]


@dataclass(slots=True)
class Group:
    """A problem with everything merged into it: its names, some subjects, its sizes."""

    root: int
    status: str
    accounts: int
    customers: int
    names: list[Name] = field(default_factory=list)
    subjects: list[str] = field(default_factory=list)
    words: dict[str, int] = field(default_factory=dict)  # subject words: how many subjects


@dataclass(slots=True)
class Signals:
    name: float = 0.0
    names: tuple[str, str] = ("", "")
    subjects: float = 0.0
    shared_accounts: int = 0
    shared_customers: int = 0
    accounts: set[int] = field(default_factory=set)  # the shared ones, for suggestions only
    account_overlap: float = 0.0
    customers: set[int] = field(default_factory=set)
    customer_overlap: float = 0.0
    meaning: float = 0.0


def evidence(value: float, floor: float) -> float:
    return (value - floor) / (1 - floor) if value > floor else 0.0
