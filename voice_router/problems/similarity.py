"""Problem names and ticket subjects as words: folding, stemming, and how alike two names
are (word order, plurals, acronyms, joined spellings, shortenings and typos). Used by the
merge suggestions."""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter, defaultdict
from dataclasses import dataclass
from functools import lru_cache

from rapidfuzz import fuzz

_WORD = re.compile(r"[a-z0-9]+")
_STOP_WORDS = """a an and are as at be been but by can cannot cant could did didn do does doesn
    don for from get gets got has have i if in into is isn it its me my no not of on or our so still
    than that the their them then there this to too us was wasn we were what when where which
    while why will with won would you your"""
STOP_WORDS = frozenset(_STOP_WORDS.split())


def fold(text: str) -> str:
    if text.isascii():
        return text.lower()
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """A light English stemmer: plural and -ing/-ed endings, a final e, doubled consonants."""
    if len(word) <= 3 or not word.isalpha():
        return word
    if word.endswith("ies") and len(word) > 4:
        word = word[:-3] + "y"
    elif word.endswith("sses"):
        word = word[:-2]
    elif word.endswith("s") and not word.endswith(("ss", "us", "is")):
        word = word[:-1]
    if word.endswith("ing") and len(word) >= 6:
        word = word[:-3]
    elif word.endswith("ed") and len(word) >= 5:
        word = word[:-2]
    if word.endswith("e") and len(word) >= 4:
        word = word[:-1]
    if len(word) >= 4 and word[-1] == word[-2] and word[-1] not in "lsz":
        word = word[:-1]
    return word


def words(text: str) -> list[str]:
    return _WORD.findall(fold(text))


@lru_cache(maxsize=65536)
def significant(subject: str) -> frozenset[str]:
    """The stems of a subject's words, without stop words and single letters."""
    return frozenset(stem(w) for w in words(subject) if len(w) > 1 and w not in STOP_WORDS)


# ---------------------------------------------------------------- names


@dataclass(frozen=True)
class Name:
    """A problem name (its key, or a title) as words, their stems, and where each initial
    letter occurs."""

    text: str
    words: tuple[str, ...]
    stems: tuple[str, ...]
    at: dict[str, tuple[int, ...]]
    distinct: frozenset[str]  # the stems


@lru_cache(maxsize=16384)
def as_name(text: str) -> Name:
    found = tuple(words(text))
    stems = tuple(stem(w) for w in found)
    at: dict[str, list[int]] = defaultdict(list)
    for index, word in enumerate(found):
        at[word[0]].append(index)
    return Name(text, found, stems, {k: tuple(v) for k, v in at.items()}, frozenset(stems))


RUN = 4  # the longest run of words one word may stand for


def _spells(token: str, run: tuple[str, ...]) -> bool:
    """Whether `token` is a non-empty prefix of each word of `run` in turn."""
    if not run:
        return not token
    word, rest = run[0], run[1:]
    longest = min(len(word), len(token) - len(rest))
    return any(
        word[:size] == token[:size] and _spells(token[size:], rest)
        for size in range(longest, 0, -1)
    )


@lru_cache(maxsize=262144)
def stands_for(token: str, run: tuple[str, ...]) -> float:
    """How well one word stands for a run of other words that start with the same letter
    (0 when it does not): an acronym ("sso": single sign on), a joined spelling
    ("loginloop", "email": e mail), a shortening ("gcal": google calendar, "notif":
    notification, "invite": invitation), letters in order ("pwd": password) or a typo."""
    if len(run) > 1:
        return 0.9 if _spells(token, run) else 0.0
    word, token_stem = run[0], stem(token)
    if len(token_stem) >= 3 and len(word) > len(token_stem) and word.startswith(token_stem):
        return 0.9
    if 3 <= len(token) < len(word) - 1:
        letters = iter(word)
        if all(letter in letters for letter in token):
            return 0.8
    if len(token) >= 4 and len(word) >= 4:
        return fuzz.ratio(token, word, score_cutoff=75) / 100
    return 0.0


def name_similarity(a: Name, b: Name, weight: dict[str, float]) -> float:
    """Weighted Dice coefficient of two names: the share of both names' word weight that
    found a counterpart (see the module docstring)."""
    if a.at.keys().isdisjoint(b.at):
        return 0.0  # every kind of match pairs words with the same initial
    got_a, got_b = [0.0] * len(a.words), [0.0] * len(b.words)
    for i, s in enumerate(a.stems):
        for j, t in enumerate(b.stems):
            if s == t and not got_b[j]:
                got_a[i] = got_b[j] = 1.0
                break
    if not (all(got_a) and all(got_b)):
        for left, right, got_l, got_r in ((a, b, got_a, got_b), (b, a, got_b, got_a)):
            for i, token in enumerate(left.words):
                if got_l[i] or len(token) < 2:
                    continue
                for j in right.at.get(token[0], ()):
                    for size in range(RUN, 0, -1):
                        if j + size > len(right.words) or any(got_r[j : j + size]):
                            continue
                        quality = stands_for(token, right.words[j : j + size])
                        if quality:
                            got_l[i] = quality
                            got_r[j : j + size] = [quality] * size
                            break
                    if got_l[i]:
                        break
    total = matched = 0.0
    for stems, got in ((a.stems, got_a), (b.stems, got_b)):
        for s, g in zip(stems, got, strict=True):
            w = weight.get(s, 1.0)
            total += w
            matched += w * g
    return matched / total if total else 0.0


class NameIndex:
    """Which names could be at all alike: where each stem, each run of up to RUN words and
    each word occurs among many names (their owners: any hashable key). `alike` gives the
    owners whose names share a word with a name's by any of name_similarity's ways (the
    same stem, or a word standing for a run of the other's); every other owner's names have
    a name_similarity of exactly 0 with it, so they need not be compared."""

    def __init__(self, names: dict[int, list[Name]]) -> None:
        self.by_stem: dict[str, set[int]] = defaultdict(set)
        self.by_run: dict[tuple[str, ...], set[int]] = defaultdict(set)
        self.by_word: dict[str, set[int]] = defaultdict(set)
        for owner, theirs in names.items():
            for name in theirs:
                for s in name.stems:
                    self.by_stem[s].add(owner)
                for run in _runs(name):
                    self.by_run[run].add(owner)
                for word in name.words:
                    if len(word) >= 2:
                        self.by_word[word].add(owner)
        self.runs: dict[str, list[tuple[str, ...]]] = defaultdict(list)  # by initial
        for run in self.by_run:
            self.runs[run[0][0]].append(run)
        self.words: dict[str, list[str]] = defaultdict(list)  # by initial
        for word in self.by_word:
            self.words[word[0]].append(word)

    def alike(self, names: list[Name]) -> set[int]:
        found: set[int] = set()
        for name in names:
            for s in name.stems:
                found |= self.by_stem.get(s, set())
            for word in name.words:  # this name's word for a run of theirs
                if len(word) >= 2:
                    for run in self.runs.get(word[0], ()):
                        if stands_for(word, run):
                            found |= self.by_run[run]
            for run in _runs(name):  # their word for a run of this name's
                for word in self.words.get(run[0][0], ()):
                    if stands_for(word, run):
                        found |= self.by_word[word]
        return found


def _runs(name: Name) -> set[tuple[str, ...]]:
    size = len(name.words)
    return {name.words[j : j + n] for j in range(size) for n in range(1, RUN + 1) if j + n <= size}


def idf(documents: list[frozenset[str]] | list[set[str]], power: float = 1.0) -> dict[str, float]:
    """Inverse document frequency, log(1 + N / df), raised to `power`."""
    df: Counter[str] = Counter()
    for document in documents:
        df.update(document)
    n = max(len(documents), 1)
    return {w: math.log(1 + n / count) ** power for w, count in df.items()}


# ---------------------------------------------------------------- loading
