"""Atlassian Document Format (ADF): the structural rules Jira enforces, and plain-text
conversion both ways.

`problems(doc)` checks a document against the node and mark rules of ADF v1
(developer.atlassian.com/cloud/jira/platform/apis/document/structure): a `doc` root with
`version: 1`; block nodes only where blocks go, inline nodes only in paragraphs, headings
and code blocks; list items inside lists; `text` non-empty and marked only with known marks;
the required `attrs` of headings, links, mentions, emoji and the like. It is a subset of the
published JSON schema (no media, extensions or layout sections), so a document using those is
refused here although Jira would take it.

Conversion (for reads in the other API version and for webhooks, which carry v2 text) keeps
the words and line structure only, not the formatting, unlike Jira's wiki <-> ADF renderer.
"""

from __future__ import annotations

from typing import Any

INLINE = {"text", "hardBreak", "mention", "emoji", "inlineCard", "date", "status"}
BLOCK_CHILDREN: dict[str, set[str] | None] = {  # None: inline content
    "doc": {
        "paragraph",
        "heading",
        "bulletList",
        "orderedList",
        "codeBlock",
        "blockquote",
        "rule",
        "panel",
        "table",
        "expand",
    },
    "paragraph": None,
    "heading": None,
    "codeBlock": {"text"},
    "bulletList": {"listItem"},
    "orderedList": {"listItem"},
    "listItem": {"paragraph", "bulletList", "orderedList", "codeBlock"},
    "blockquote": {"paragraph", "bulletList", "orderedList", "codeBlock"},
    "panel": {"paragraph", "heading", "bulletList", "orderedList"},
    "rule": set(),
    "table": {"tableRow"},
    "tableRow": {"tableHeader", "tableCell"},
    "tableHeader": {"paragraph", "bulletList", "orderedList", "heading", "codeBlock"},
    "tableCell": {"paragraph", "bulletList", "orderedList", "heading", "codeBlock"},
    "expand": {"paragraph", "heading", "bulletList", "orderedList", "codeBlock", "table"},
}
NEEDS_CONTENT = {"bulletList", "orderedList", "listItem", "table", "tableRow"}
MARKS = {"strong", "em", "code", "strike", "underline", "link", "subsup", "textColor"}
REQUIRED_ATTRS = {
    "heading": ("level",),
    "mention": ("id",),
    "emoji": ("shortName",),
    "inlineCard": ("url",),
    "date": ("timestamp",),
    "status": ("text", "color"),
    "panel": ("panelType",),
}
PANEL_TYPES = {"info", "note", "warning", "success", "error"}


def is_document(value: Any) -> bool:
    return isinstance(value, dict) and value.get("type") == "doc"


def problems(doc: Any) -> list[str]:
    """Why `doc` is not a valid ADF document (empty when it is)."""
    if not isinstance(doc, dict) or doc.get("type") != "doc":
        return ["the root must be an object of type 'doc'"]
    if doc.get("version") != 1:
        return ["the doc must have version 1"]
    found: list[str] = []
    _check(doc, "doc", found)
    return found


def _check(node: Any, where: str, found: list[str]) -> None:
    if not isinstance(node, dict) or not isinstance(node.get("type"), str):
        found.append(f"{where}: a node must be an object with a string 'type'")
        return
    kind = node["type"]
    attrs = node.get("attrs", {})
    if not isinstance(attrs, dict):
        found.append(f"{where}: attrs must be an object")
        attrs = {}
    for name in REQUIRED_ATTRS.get(kind, ()):
        if name not in attrs:
            found.append(f"{where}: {kind} needs attrs.{name}")
    if kind == "heading" and attrs.get("level") not in range(1, 7):
        found.append(f"{where}: heading level must be 1 to 6")
    if kind == "panel" and attrs.get("panelType") not in PANEL_TYPES:
        found.append(f"{where}: unknown panelType")
    if kind == "text":
        _check_text(node, where, found)
        return
    if kind in INLINE:
        return
    if kind not in BLOCK_CHILDREN:
        found.append(f"{where}: unknown node type {kind!r}")
        return
    allowed = BLOCK_CHILDREN[kind]
    content = node.get("content", [])
    if not isinstance(content, list):
        found.append(f"{where}: content must be an array")
        return
    if kind in NEEDS_CONTENT and not content:
        found.append(f"{where}: {kind} must not be empty")
    for n, child in enumerate(content):
        child_where = f"{where}.content[{n}]"
        child_type = child.get("type") if isinstance(child, dict) else None
        permitted = INLINE if allowed is None else allowed
        if child_type is not None and child_type not in permitted:
            found.append(f"{child_where}: {child_type!r} is not allowed in {kind}")
            continue
        _check(child, child_where, found)


def _check_text(node: dict[str, Any], where: str, found: list[str]) -> None:
    text = node.get("text")
    if not isinstance(text, str) or not text:
        found.append(f"{where}: a text node needs a non-empty 'text'")
    marks = node.get("marks", [])
    if not isinstance(marks, list):
        found.append(f"{where}: marks must be an array")
        return
    for mark in marks:
        kind = mark.get("type") if isinstance(mark, dict) else None
        if kind not in MARKS:
            found.append(f"{where}: unknown mark {kind!r}")
        elif kind == "link" and not isinstance(mark.get("attrs", {}).get("href"), str):
            found.append(f"{where}: a link mark needs attrs.href")


def to_text(doc: Any) -> str:
    """The document's text: blocks on their own lines, hard breaks as newlines."""
    lines: list[str] = []
    for block in doc.get("content", []) if isinstance(doc, dict) else []:
        lines.append(_inline_text(block))
    return "\n".join(lines)


def _inline_text(node: Any) -> str:
    if not isinstance(node, dict):
        return ""
    kind = node.get("type")
    if kind == "text":
        return str(node.get("text", ""))
    if kind == "hardBreak":
        return "\n"
    attrs = node.get("attrs") or {}
    if kind in ("mention", "emoji", "status", "inlineCard"):
        return str(attrs.get("text") or attrs.get("shortName") or attrs.get("url") or "")
    children = node.get("content") or []
    sep = "" if BLOCK_CHILDREN.get(str(kind), set()) is None or kind == "codeBlock" else "\n"
    return sep.join(_inline_text(c) for c in children)


def from_text(text: str) -> dict[str, Any]:
    """A document with one paragraph per line (empty lines: empty paragraphs)."""
    content = [
        {"type": "paragraph", "content": [{"type": "text", "text": line}] if line else []}
        for line in text.split("\n")
    ]
    return {"type": "doc", "version": 1, "content": content}
