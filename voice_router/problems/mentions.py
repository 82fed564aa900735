"""Finding one person in text, and cutting them out of it, for `voice-router forget`.

A person is found by their e-mail address (in any letter case, never as part of a longer
address) and by their full names (two words or more: a lone first name is too ambiguous).
Raw webhook bodies spell text in more ways than a column does: JSON escapes, URL encoding,
Jira's wiki-markup escapes (`\\@`, `\\-`); both the search and the cut see through them.
A name is read as a reader reads it: its words apart by any white space, line break
(`<br>`, a paragraph's end, `&nbsp;`) and the markup around them (`*Maria* Lopez`,
`<b>Maria</b> Lopez`, `{color:red}Maria{color} Lopez`), but not by markup alone
(`<b>Maria</b>Lopez` reads `MariaLopez`), nor as part of a longer word (`Lopezova`); the cut
keeps the markup (`*[forgotten]*`). Across the text nodes of Jira's document format (ADF)
see rich_text.py. Every gap is matched without backtracking (possessive), and each markup
piece is at most a few hundred characters, so no body makes a search quadratic.

`forget` looks through every stored delivery and text column, so a search first asks for the
pieces of the person's address (or of a name) that no case rule can spell otherwise, as plain
substrings of the lowered text (`needles`, `found`), and runs a pattern only where they all
are. The database asks the same of every other table (voice_router.problems.forget_sweep).
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import suppress
from functools import partial
from itertools import count
from urllib.parse import unquote, unquote_plus

from voice_router.problems.rich_text import FORGOTTEN, JSON_STRING, cut_across, documents

__all__ = ["FORGOTTEN", "Mentions", "cut_json", "cut_out", "cut_text", "spellings"]

# Runs of characters a case-insensitive pattern matches only as themselves or their ASCII
# other case: printable ASCII but i, k and s (re also takes U+0130 and U+0131 for i, the
# Kelvin sign U+212A for k, the long s U+017F for s); a space ends a run (a name's words are
# matched across any white space).
_PLAIN = re.compile(r"(?:(?![iksIKS])[\x21-\x7e])+")
_MARKUP_ESCAPE = re.compile(r"\\(.)", re.DOTALL)
# What may stand between the words of a name. Read as a space: white space, a line break or
# block tag, a non-breaking space entity. Read as nothing: any other tag, a wiki-markup macro
# (`{color:red}`), an emphasis mark of wiki markup or Markdown (`*`, `_`, `+`, `{{`). A name's
# words are apart by at least one space. The alternatives are disjoint and the longer one is
# tried first, so a gap parses one way only and is matched possessively.
_BLOCKS = r"(?:br|p|div|li|ul|ol|h[1-6]|tr|td|th|blockquote|pre)\b"
_SPACE = rf"(?:\s|&nbsp;|&#160;|&#x[aA]0;|</?{_BLOCKS}[^<>]{{0,200}}>)"
_TAG = rf"(?:<(?!/?{_BLOCKS})[^<>]{{0,200}}>|\{{[a-zA-Z]+(?::[^{{}}]{{0,200}})?\}})"
_MARK = rf"(?:{_TAG}|[*_+{{}}])"
_NAME_GAP = rf"(?:{_MARK})*+{_SPACE}(?:{_SPACE}|{_MARK})*+"
_GAP_PIECE = re.compile(rf"(?P<space>{_SPACE})|(?P<tag>{_TAG})|(?P<mark>[*_+{{}}])", re.I)
_GAP = re.compile(rf"(?:{_SPACE}|{_MARK})+", re.IGNORECASE)


class Mentions:
    """The person's e-mail (`email`), their full names (`name`, None when none is known), or
    either (`any`), as case-insensitive patterns."""

    def __init__(self, email: str, names: Iterable[str] = ()) -> None:
        mail = r"(?P<mail>(?<![\w.+%-])" + re.escape(email) + r"(?![\w-]|\.\w))"
        self.email = re.compile(mail, re.IGNORECASE)
        full = sorted({" ".join(n.split()) for n in names if len(n.split()) >= 2}, key=len)
        # `_` is a word character to `\w`, but an emphasis mark around a name (`_Maria_`).
        spelled = [
            r"(?<![^\W_])" + _NAME_GAP.join(map(re.escape, n.split())) + r"(?![^\W_])" for n in full
        ]
        spelled.reverse()  # the longest first
        self.name = re.compile("|".join(spelled), re.IGNORECASE) if spelled else None
        self.any = re.compile("|".join([mail, *spelled]), re.IGNORECASE)
        address, of_names = _pieces(email), [_pieces(n) for n in full]
        # pattern -> per spelling it matches (the address, each name), the lowered pieces
        # that every text it matches that way holds
        self._needles: dict[re.Pattern[str], list[tuple[str, ...]]] = {
            self.email: [address],
            self.any: [address, *of_names],
        }
        if self.name is not None:
            self._needles[self.name] = of_names

    def needles(self, pattern: re.Pattern[str] | None = None) -> list[tuple[str, ...]] | None:
        """What any text that `pattern` (default: either) matches holds, lowered with ASCII
        case rules (`str.lower`, SQL's `lower`): all the pieces of one of these groups (one
        group per address or name). None when some spelling has no piece to look for."""
        needles = self._needles.get(pattern or self.any)
        return None if needles is None or () in needles else needles

    def found(self, text: str, pattern: re.Pattern[str] | None = None) -> bool:
        """`pattern` (default: either) in `text`. A text that does not hold the pattern's
        needles, lowered, cannot match, and is not searched."""
        pattern = pattern or self.any
        needles = self.needles(pattern)
        if needles is not None and not _holds(text.lower(), needles):
            return False
        return pattern.search(text) is not None

    def in_raw(self, raw: bytes | str, pattern: re.Pattern[str] | None = None) -> bool:
        """`pattern` (default: either) in raw webhook bytes, also when JSON-escaped,
        URL-encoded or markup-escaped."""
        text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw
        needles = self.needles(pattern)
        # Then its only other spelling is `+` (a document's text nodes may split a piece).
        plain = "%" not in text and "\\" not in text and '"doc"' not in text
        if plain and needles is not None and not _holds(text.lower(), needles):
            return False  # read as a space, which makes no piece it lacks
        return any(self.found(v, pattern) for v in spellings(text))


def spellings(text: str) -> list[str]:
    """Raw webhook text as it reads in each way it may be spelled: as it is, URL-decoded,
    and, with a backslash in it, markup-unescaped, JSON-decoded and both."""
    found = documents(text)  # Jira's document format: read as a reader does (rich_text.py)
    text = text if found is None else found.masked(text)
    variants = [text, unquote(text), unquote_plus(text)]
    if "\\" in text:  # JSON escapes (\u00e9, \/), markup escapes: search decoded text too
        variants.append(_MARKUP_ESCAPE.sub(r"\1", text))
        with suppress(ValueError, RecursionError):
            document = json.loads(text)
            decoded = json.dumps(document, ensure_ascii=False)
            # Its strings as they read (a name across an escaped line break), kept apart
            # by a character that neither pattern reads as a word or white space.
            strings = "\0".join(_strings(document))
            variants += [decoded, _MARKUP_ESCAPE.sub(r"\1", decoded), strings]
            # Jira's wiki markup inside a JSON string (`a\\@b.com` in the raw text) reads
            # as markup only once the JSON escape is undone.
            variants.append(_MARKUP_ESCAPE.sub(r"\1", strings))
    if found is not None:
        variants.append("\0".join(found.readings()))
    return list(dict.fromkeys(variants))


def _strings(document: object) -> Iterator[str]:
    """Every string of a decoded JSON document, keys included."""
    stack = [document]
    while stack:
        value = stack.pop()
        if isinstance(value, str):
            yield value
        elif isinstance(value, dict):
            stack += [*value.keys(), *value.values()]
        elif isinstance(value, list):
            stack += value


def _pieces(text: str) -> tuple[str, ...]:
    """The runs of `text`'s characters in `_PLAIN`, lowered: any text a case-insensitive
    pattern of `text` matches holds each of them once lowered."""
    return tuple(run.lower() for run in _PLAIN.findall(text))


def _holds(lowered: str, needles: list[tuple[str, ...]]) -> bool:
    return any(all(piece in lowered for piece in group) for group in needles)


def cut_out(text: str, pattern: re.Pattern[str]) -> str:
    """Every match replaced by `[forgotten]`; of a name, the markup between its words stays
    after it (`*Maria* Lopez` becomes `*[forgotten]*`, `<b>Maria</b> Lopez`
    `<b>[forgotten]</b>`): its tags, and its emphasis marks but those it closes and opens
    again; white space goes."""
    return pattern.sub(_forgotten, text)


def _forgotten(match: re.Match[str]) -> str:
    if match.groupdict().get("mail"):
        return FORGOTTEN
    kept = []
    for gap in _GAP.finditer(match.group(0)):
        pieces = [(p.lastgroup, p.group(0)) for p in _GAP_PIECE.finditer(gap.group(0))]
        spaces = [i for i, (kind, _) in enumerate(pieces) if kind == "space"]
        if not spaces:
            continue  # within a word of the name (`Maria_Jose`): cut with it
        closing = Counter(m for kind, m in pieces[: spaces[0]] if kind == "mark")
        opening = Counter(m for kind, m in pieces[spaces[-1] :] if kind == "mark")
        # `_Maria_ _Lopez_`: a mark closed and opened again around the space goes, both times.
        drop = {"before": closing & opening, "after": closing & opening}
        for i, (kind, text) in enumerate(pieces):
            side = "before" if i < spaces[0] else "after" if i > spaces[-1] else ""
            if kind == "mark" and side and drop[side][text]:
                drop[side][text] -= 1
            elif kind != "space" or text.startswith("<"):  # a line break's tag stays
                kept.append(text)
    return FORGOTTEN + "".join(kept)


def cut_text(text: str, pattern: re.Pattern[str]) -> str:
    """Every match cut out (`cut_out`), also where the text spells it URL-encoded or
    markup-escaped (that text is then kept decoded)."""
    text = cut_out(text, pattern)
    for decode in (unquote, unquote_plus, partial(_MARKUP_ESCAPE.sub, r"\1")):
        decoded = decode(text)
        if decoded != text and pattern.search(decoded):
            text = cut_out(decoded, pattern)
    return text


def cut_json(text: str, pattern: re.Pattern[str], mentions: Mentions | None = None) -> str:
    """`text` with the pattern cut out of every JSON string in it, every other character as
    it was. A value that was nothing but the match becomes null (an emptied field, not a
    made-up value that a payload reader would trip over); a key becomes "[forgotten]".
    With the `mentions` the pattern is of, a string that lacks its needles and has no
    escape to read (`\\`, `%`) is left as it is without decoding it."""
    needles = mentions.needles(pattern) if mentions is not None else None
    found = documents(text)  # their text nodes first, as they read; the same literals after
    nodes = found.nodes() if found is not None else set()
    ordinal = count()

    def one(match: re.Match[str]) -> str:
        if next(ordinal) in nodes:
            return match.group(0)  # a text node of a document: cut as it reads, below
        colon = match.group(1) or ""
        literal = match.group(0)[: len(match.group(0)) - len(colon)]
        plain = "\\" not in literal and "%" not in literal
        if plain and needles is not None and not _holds(literal.lower(), needles):
            return match.group(0)
        try:
            value = json.loads(literal)
        except ValueError:
            return match.group(0)
        clean = cut_text(value, pattern)
        if clean == value:
            return match.group(0)
        if not colon and clean.strip() == FORGOTTEN:
            return "null"
        return json.dumps(clean) + colon

    return JSON_STRING.sub(one, cut_across(text, pattern, found))
