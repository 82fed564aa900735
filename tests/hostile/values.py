"""Hypothesis strategies for what an attacker — or a buggy helpdesk — puts in a payload:
NUL and control characters, lone surrogates, huge strings, huge and negative numbers,
deep nesting, thousands of tags, wrong types, long ids."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from hypothesis import strategies as st

# Characters databases and JSON make trouble with, mixed with plain ones.
_NASTY = st.sampled_from(
    ["\x00", "\x01", "\x07", "\x1b", "\x7f", "\x85", "\u2028", "\ud800", "\udfff", "\r", "\t"]
)
_PLAIN = st.characters(codec="utf-8", exclude_categories=("Cs",))


@dataclass(frozen=True)
class Deep:
    """A value nested `depth` lists deep (rendered into the body's text by shapes.py)."""

    depth: int


def nasty_text(min_size: int = 0, max_size: int = 40) -> st.SearchStrategy[str]:
    return st.lists(st.one_of(_NASTY, _PLAIN), min_size=min_size, max_size=max_size).map("".join)


long_text = st.builds(
    lambda c, n: c * n, st.sampled_from(["x", "é", "\x00", "ß"]), st.integers(256, 20_000)
)
huge_text = st.builds(lambda n: "y" * n, st.integers(600_000, 1_200_000))  # around max_body
numbers = st.one_of(
    st.integers(min_value=-(10**40), max_value=10**40),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([10**12, -1, 10**10 + 1, 1e308, "1e999999", "NaN", "-0", "12,5"]),
)
wrong_types = st.one_of(
    st.none(),
    st.booleans(),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
    st.builds(Deep, st.integers(50, 3000)),
)
texts = st.one_of(nasty_text(), long_text, numbers, wrong_types)
ids = st.one_of(nasty_text(1, 30), long_text, st.integers(-(10**30), 10**30), wrong_types)
emails = st.one_of(
    st.builds(lambda a, b: f"{a}@{b}.com", nasty_text(1, 8), nasty_text(1, 8)),
    st.builds(lambda n: "a" * n + "@acme.com", st.integers(60, 400)),
    st.sampled_from(["", "@", "no-at-sign", "a@b", "x@localhost", "ünï@bücher.de"]),
    texts,
)
tag_lists = st.one_of(
    st.builds(lambda n: [f"pain-many-{i}" for i in range(n)], st.integers(21, 3000)),
    st.builds(lambda n: [f"plain-{i}" for i in range(n)], st.integers(100, 3000)),
    st.lists(st.builds(lambda t: "pain-" + t, nasty_text(0, 12)), max_size=5),
    st.lists(texts, max_size=4),
    wrong_types,
    long_text.map(lambda t: ["pain-" + t]),
)

# Each hostile change: which Report field, and what goes there.
FIELDS: dict[str, st.SearchStrategy[Any]] = {
    "ticket": ids,
    "email": emails,
    "name": st.one_of(texts, huge_text),
    "subject": texts,
    "company": texts,
    "mrr": numbers | wrong_types,
    "tags": tag_lists,
    "delivery_id": ids,
    "customer_id": ids,
}
changes = st.dictionaries(
    st.sampled_from(sorted(FIELDS)), st.just(None), min_size=1, max_size=3
).flatmap(lambda chosen: st.fixed_dictionaries({name: FIELDS[name] for name in chosen}))
