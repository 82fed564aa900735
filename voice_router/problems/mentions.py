"""Finding one person in text, and cutting them out of it, for `voice-router forget`.

A person is found by their e-mail address (in any letter case, never as part of a longer
address) and by their full names (two words or more: a lone first name is too ambiguous).
Raw webhook bodies spell text in more ways than a column does: JSON escapes, URL encoding,
Jira's wiki-markup escapes (`\\@`, `\\-`); both the search and the cut see through them.

`forget` looks through every stored delivery and text column, so a search first asks for the
pieces of the person's address (or of a name) that no case rule can spell otherwise, as plain
substrings of the lowered text (`needles`, `found`), and runs a pattern only where they all
are. The database asks the same of every other table (voice_router.problems.forget_sweep).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from contextlib import suppress
from functools import partial
from urllib.parse import unquote, unquote_plus

FORGOTTEN = "[forgotten]"
# Runs of characters a case-insensitive pattern matches only as themselves or their ASCII
# other case: printable ASCII but i, k and s (re also takes U+0130 and U+0131 for i, the
# Kelvin sign U+212A for k, the long s U+017F for s); a space ends a run (a name's words are
# matched across any white space).
_PLAIN = re.compile(r"(?:(?![iksIKS])[\x21-\x7e])+")
_MARKUP_ESCAPE = re.compile(r"\\(.)", re.DOTALL)
# A JSON string literal, and whether it is an object key (a `:` follows).
_JSON_STRING = re.compile(r'"(?:[^"\\]|\\.)*"(\s*:)?', re.DOTALL)


class Mentions:
    """The person's e-mail (`email`), their full names (`name`, None when none is known), or
    either (`any`), as case-insensitive patterns."""

    def __init__(self, email: str, names: Iterable[str] = ()) -> None:
        mail = r"(?<![\w.+%-])" + re.escape(email) + r"(?![\w-]|\.\w)"
        self.email = re.compile(mail, re.IGNORECASE)
        full = sorted({" ".join(n.split()) for n in names if len(n.split()) >= 2}, key=len)
        spelled = [r"(?<!\w)" + r"\s+".join(map(re.escape, n.split())) + r"(?!\w)" for n in full]
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
        plain = "%" not in text and "\\" not in text  # then its only other spelling is `+`
        if plain and needles is not None and not _holds(text.lower(), needles):
            return False  # read as a space, which makes no piece it lacks
        return any(self.found(v, pattern) for v in spellings(text))


def spellings(text: str) -> list[str]:
    """Raw webhook text as it reads in each way it may be spelled: as it is, URL-decoded,
    and, with a backslash in it, markup-unescaped, JSON-decoded and both."""
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


def cut_text(text: str, pattern: re.Pattern[str]) -> str:
    """Every match replaced by `[forgotten]`, also where the text spells it URL-encoded or
    markup-escaped (that text is then kept decoded)."""
    text = pattern.sub(FORGOTTEN, text)
    for decode in (unquote, unquote_plus, partial(_MARKUP_ESCAPE.sub, r"\1")):
        decoded = decode(text)
        if decoded != text and pattern.search(decoded):
            text = pattern.sub(FORGOTTEN, decoded)
    return text


def cut_json(text: str, pattern: re.Pattern[str], mentions: Mentions | None = None) -> str:
    """`text` with the pattern cut out of every JSON string in it, every other character as
    it was. A value that was nothing but the match becomes null (an emptied field, not a
    made-up value that a payload reader would trip over); a key becomes "[forgotten]".
    With the `mentions` the pattern is of, a string that lacks its needles and has no
    escape to read (`\\`, `%`) is left as it is without decoding it."""
    needles = mentions.needles(pattern) if mentions is not None else None

    def one(match: re.Match[str]) -> str:
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

    return _JSON_STRING.sub(one, text)
