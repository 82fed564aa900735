"""Which tags are pain points, and which problem each one names.

Tags and patterns are compared in one normal form: Unicode NFKC (`é` as one character or as
`e` + U+0301, full-width U+FF45 and `e`, are one), format characters (zero-width, bidi
controls) dropped, lower case, every run of `-`, `_`, `:` and white space folded to one
`-`, surrounding punctuation stripped. So `pain-jira-login`,
`pain:Jira_Login` and `PAIN jira login` all read `pain-jira-login` and name the problem
key `jira-login` under the default patterns `pain-*` and `pain:*`.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from fnmatch import fnmatchcase
from functools import lru_cache

_SEPARATORS = re.compile(r"[-_:\s]+")
KEY_CHARS = 200  # Problem.key; a longer tag names the problem of its first 200 characters
_EDGE_PUNCTUATION = "-.,;!?'\"()[]{}<>#*/\\|`~"


def normalise(text: str) -> str:
    if not text.isascii():  # rare: most tags are plain
        # One spelling per tag however it was composed: `café` with é as one character or
        # as e + U+0301, `export` in full-width letters (U+FF45...). Apart, each spelling
        # was a problem of its own with a share of the customers.
        text = unicodedata.normalize("NFKC", text)
    if not text.isprintable():
        text = _visible(text)
    folded = _SEPARATORS.sub("-", text.strip().lower())
    return folded.strip(_EDGE_PUNCTUATION)


def _visible(text: str) -> str:
    """`text` without format characters (zero-width spaces and joiners, bidirectional
    overrides): unseen, they made `pain-host\u202eile` a problem apart from `pain-hostile`
    whose key read backwards, in the UI and in Jira's summary alike."""
    return "".join(ch for ch in text if unicodedata.category(ch) != "Cf")


class TagMatcher:
    """Turns raw tags into problem keys according to a source's `tag_patterns`."""

    def __init__(self, patterns: Iterable[str]) -> None:
        self._patterns: list[tuple[str, str]] = []
        for pattern in patterns:
            star = pattern.find("*")
            prefix = pattern if star < 0 else pattern[:star]
            prefix, rest = unicodedata.normalize("NFKC", prefix), pattern[star + 1 :]
            norm_prefix = _SEPARATORS.sub("-", prefix.lower())
            norm_rest = unicodedata.normalize("NFKC", rest).lower()
            norm_pattern = norm_prefix + ("" if star < 0 else "*" + norm_rest)
            self._patterns.append((norm_pattern, norm_prefix))
        # A helpdesk reuses few tags: each is worked out once per matcher.
        self._key_of = lru_cache(maxsize=10_000)(self._find_key)

    def problem_key(self, tag: str) -> str | None:
        """The problem key a tag names, or None when the tag is not a pain point."""
        return self._key_of(tag)

    def _find_key(self, tag: str) -> str | None:
        norm = normalise(tag)
        for pattern, prefix in self._patterns:
            if fnmatchcase(norm, pattern):
                key = normalise(normalise(norm[len(prefix) :])[:KEY_CHARS])
                return key or None
        return None

    def keys(self, tags: Iterable[str]) -> dict[str, str]:
        """Problem key -> the first raw tag that named it."""
        found: dict[str, str] = {}
        for tag in tags:
            key = self.problem_key(tag)
            if key and key not in found:
                found[key] = tag
        return found


def title_from_key(key: str) -> str:
    words = key.replace("-", " ")
    return words[:1].upper() + words[1:]
