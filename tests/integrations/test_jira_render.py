"""The impact block: customer text can never become Jira markup, mentions, macros or links."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from integrations.jira.render import (
    BEGIN,
    END,
    AccountLine,
    Impact,
    TicketLine,
    escape,
    render_block,
    splice,
)

SPECIAL = set("\\{}[]|*_+-^~?!#@:;()<>=&%$'\"`")


def unescaped_specials(text: str) -> list[str]:
    found, i = [], 0
    while i < len(text):
        if text[i] == "\\" and i + 1 < len(text):
            i += 2
            continue
        if text[i] in SPECIAL:
            found.append(text[i])
        i += 1
    return found


def links(text: str) -> list[str]:
    """The contents of every unescaped [...] span, as Jira's wiki renderer reads them."""
    found, start, i = [], None, 0
    while i < len(text):
        if text[i] == "\\":
            i += 2
            continue
        if text[i] == "[" and start is None:
            start = i + 1
        elif text[i] == "]" and start is not None:
            found.append(text[start:i])
            start = None
        i += 1
    return found


def impact_with(text: str, url: str | None = "https://desk.example/t/1") -> Impact:
    return Impact(
        problem_url="https://vr.example/problems/1",
        customers=1,
        accounts=1,
        mrr=Decimal(10),
        tickets=1,
        trend_7d=1,
        trend_30d=1,
        first_seen=None,
        last_seen=None,
        arr_at_risk=Decimal(0),
        top_accounts=[AccountLine(text, Decimal(5))],
        recent_tickets=[TicketLine(text, url, "generic", text)],
    )


@given(st.text())
def test_escaped_text_is_one_line_with_every_markup_character_escaped(text):
    escaped = escape(text, limit=10_000)
    assert "\n" not in escaped and "\r" not in escaped
    assert unescaped_specials(escaped) == []


@given(st.text(min_size=1))
def test_hostile_text_in_the_block_stays_inside_its_own_lines(text):
    block = render_block(impact_with(text))
    assert block.startswith(BEGIN) and block.endswith(END)
    assert block.count(BEGIN) == 1 and block.count(END) == 1
    # Only the links we write ourselves: the ticket link and the way back to the problem.
    assert all(
        link.endswith(("|https://desk.example/t/1", "|https://vr.example/problems/1"))
        for link in links(block)
    )
    assert len(links(block)) == 2


def test_known_attacks_render_inert():
    attacks = "[~accountid:123] {code}x{code} [click|javascript:alert(1)] h1. big *bold* !img.png!"
    block = render_block(impact_with(attacks))
    line = next(line for line in block.splitlines() if "accountid" in line)
    assert "\\[\\~accountid\\:123\\]" in line and "\\{code\\}" in line
    assert "javascript\\:alert" in line


def test_a_ticket_url_that_is_not_http_is_not_linked():
    block = render_block(impact_with("Subject", url="javascript:alert(1)"))
    assert "javascript" not in block


def test_splice_replaces_only_the_block():
    old = render_block(impact_with("old"))
    description = f"Written by a person.\n\n{old}\n\nAnd after."
    new = render_block(impact_with("new"))
    result = splice(description, new)
    assert result == f"Written by a person.\n\n{new}\n\nAnd after."
    assert splice(None, new) == new
    assert splice("Only people text", new) == f"Only people text\n\n{new}"
