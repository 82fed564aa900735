"""Someone else's text (a customer's, a helpdesk's, Jira's) made safe to show in a message
we write: on one line, with nothing unseen in it, and not longer than asked."""

from __future__ import annotations

import unicodedata

# Format characters (Unicode category Cf) are unseen: bidi controls and marks that reorder
# text on screen (Trojan Source style), zero-width spaces, tag characters. None is worth
# keeping but the joiners, which shape some scripts (ZWNJ) and emoji sequences (ZWJ).
JOINERS = frozenset("\u200c\u200d")


def one_line(value: str | None, limit: int) -> str:
    """The text on one line: whitespace of every kind (line breaks included) becomes one space,
    control, surrogate and format characters (bidi controls, zero-width spaces; not the
    joiners) go, and it is cut to `limit` characters."""
    if not value:
        return ""
    kept = []
    for char in value:
        if char.isspace():
            kept.append(" ")
        elif unicodedata.category(char) not in ("Cc", "Cs", "Cf") or char in JOINERS:
            kept.append(char)
    text = " ".join("".join(kept).split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
