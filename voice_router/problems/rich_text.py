"""A name across the text nodes of Jira's document format (ADF), for `voice-router forget`.

Jira Cloud writes descriptions and comments as a JSON document: paragraphs (and other blocks)
of text nodes, each with its marks (`{"type": "text", "text": "Maria", "marks": [{"type":
"strong"}]}`, then `{"type": "text", "text": " Lopez"}`). A reader reads a block's text nodes
as one run of text, and a new block (or a hard break) as a line break; so does forget
(`readings`). A name found in text nodes is cut out of them (`cut_across`): the node where it
begins keeps what comes before it and `[forgotten]`, the nodes it spans lose their part of
it, each node keeps its marks, and every other character of the raw text stays as it was.
Any other inline node (a mention, an emoji) is read as neither a word nor a space.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from contextlib import suppress
from typing import Any, NamedTuple

FORGOTTEN = "[forgotten]"
_OTHER = "\0"  # an inline node that is not text: neither a word nor a space to a name pattern
# A JSON string literal, and whether it is an object key (a `:` follows).
JSON_STRING = re.compile(r'"(?:[^"\\]|\\.)*"(\s*:)?', re.DOTALL)

Piece = tuple[int, int, int]  # (where it starts in the reading, its length, its literal)


class Documents(NamedTuple):
    """The ADF documents of a raw JSON text, and where their text nodes are in it."""

    literals: list[re.Match[str]]  # every string literal of the raw text, in order
    strings: list[str]  # each decoded
    read: list[tuple[str, list[Piece]]]  # each document's reading, and its text nodes in it

    def nodes(self) -> set[int]:
        """The literals that are the text of a text node."""
        return {literal for _, pieces in self.read for _, _, literal in pieces}

    def masked(self, raw: str) -> str:
        """`raw` with the text of every text node emptied: read in `readings` instead, so
        that `Maria Lopez` then a bold `ova` is never read as her name."""
        for literal in sorted(self.nodes(), reverse=True):
            start, end = self.literals[literal].span(0)
            raw = raw[:start] + '""' + raw[end:]
        return raw

    def readings(self) -> list[str]:
        return [text for text, _ in self.read]


def documents(raw: str) -> Documents | None:
    """The ADF documents in raw JSON text; None when it holds none, is not JSON, or its
    strings cannot be told apart (a key given twice)."""
    if '"doc"' not in raw:
        return None
    literals = list(JSON_STRING.finditer(raw))
    try:
        document = json.loads(raw)
    except (ValueError, RecursionError):
        return None
    index: dict[tuple[int, str | int], int] = {}
    strings = list(_strings_in_order(document, index))
    if len(strings) != len(literals):
        return None
    read = list(_read_all(document, index))
    return Documents(literals, strings, read) if read else None


def cut_across(raw: str, pattern: re.Pattern[str], found: Documents | None) -> str:
    """`raw` JSON text with every match of `pattern` in the text nodes of its ADF documents
    (`found`, read from `raw`) cut out of them; the rest of the text as it was."""
    if found is None:
        return raw
    edits: dict[int, list[tuple[int, int, str]]] = {}  # literal -> (start, end, new) in it
    for text, pieces in found.read:
        for match in pattern.finditer(text):
            spanned = [p for p in pieces if p[0] < match.end() and match.start() < p[0] + p[1]]
            for n, (start, length, literal) in enumerate(spanned):
                begin, end = max(match.start() - start, 0), min(match.end() - start, length)
                edits.setdefault(literal, []).append((begin, end, "" if n else FORGOTTEN))
    for literal in sorted(edits, reverse=True):
        value = found.strings[literal]
        for begin, end, new in sorted(edits[literal], reverse=True):
            value = value[:begin] + new + value[end:]
        start, end = found.literals[literal].span(0)
        raw = raw[:start] + json.dumps(value) + raw[end:]
    return raw


def _strings_in_order(value: Any, index: dict[tuple[int, str | int], int]) -> Iterator[str]:
    """Every string of a decoded JSON value in the order the raw text spells them (keys
    included), recording in `index` which one each container's member is."""
    stack: list[tuple[Any, tuple[int, str | int] | None]] = [(value, None)]
    count = 0
    while stack:
        item, owner = stack.pop()
        if isinstance(item, str):
            if owner is not None:
                index[owner] = count
            count += 1
            yield item
        elif isinstance(item, dict):
            members: list[tuple[Any, tuple[int, str | int] | None]] = []
            for key, member in item.items():
                members += [(key, None), (member, (id(item), key))]
            stack += reversed(members)
        elif isinstance(item, list):
            stack += reversed([(member, (id(item), n)) for n, member in enumerate(item)])


def _read_all(
    value: Any, index: dict[tuple[int, str | int], int]
) -> Iterator[tuple[str, list[Piece]]]:
    """Each ADF document in `value`: its reading, and where each text node is in it."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            if item.get("type") == "doc" and isinstance(item.get("content"), list):
                parts: list[str] = []
                pieces: list[Piece] = []
                _read(item, index, parts, pieces, [0])
                yield "".join(parts), pieces
                continue
            stack += list(item.values())
        elif isinstance(item, list):
            stack += item


def _read(
    node: dict[str, Any],
    index: dict[tuple[int, str | int], int],
    parts: list[str],
    pieces: list[Piece],
    at: list[int],
) -> None:
    """A block's children into `parts`: text as it is, a block or a hard break as a line."""

    def add(text: str, literal: int | None = None) -> None:
        if literal is not None:
            pieces.append((at[0], len(text), literal))
        parts.append(text)
        at[0] += len(text)

    for child in node.get("content") or []:
        if not isinstance(child, dict):
            continue
        words = child.get("text")
        if child.get("type") == "text" and isinstance(words, str):
            add(words, index.get((id(child), "text")))
        elif child.get("type") == "hardBreak":
            add("\n")
        elif isinstance(child.get("content"), list):
            add("\n")
            with suppress(RecursionError):
                _read(child, index, parts, pieces, at)
            add("\n")
        else:
            add(_OTHER)
