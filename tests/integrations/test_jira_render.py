"""The impact block: customer text can never become Jira markup, mentions, macros or links."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from integrations.jira.render import (
    BEGIN,
    END,
    AccountLine,
    Impact,
    QuoteLine,
    TicketLine,
    TooLong,
    escape,
    fit_comment,
    fit_description,
    has_block,
    jira_length,
    render_block,
    splice,
    unsplice,
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


def crowded(accounts: int = 40, tickets: int = 70) -> Impact:
    return Impact(
        problem_url="https://vr.example/problems/1",
        customers=90,
        accounts=accounts,
        mrr=Decimal(5000),
        tickets=tickets,
        trend_7d=3,
        trend_30d=9,
        first_seen=None,
        last_seen=None,
        arr_at_risk=Decimal(0),
        top_accounts=[AccountLine(f"Company {i}", Decimal(100 - i)) for i in range(5)],
        recent_tickets=[
            TicketLine(f"Ticket {i}", f"https://desk.example/t/{i}", "generic", str(i))
            for i in range(5)
        ],
    )


def test_lists_longer_than_shown_end_with_and_n_more():
    block = render_block(crowded())
    assert "* … and 35 more accounts" in block and "* … and 65 more tickets" in block
    assert "more" not in render_block(crowded(accounts=5, tickets=5))


def test_a_block_shortens_its_lists_to_fit_and_refuses_when_nothing_fits():
    full = render_block(crowded())
    short = render_block(crowded(), max_chars=jira_length(full) - 1)
    assert jira_length(short) < jira_length(full)
    assert "and 66 more tickets" in short  # one ticket fewer, counted
    smallest = render_block(crowded(), max_chars=500)
    assert smallest.startswith(BEGIN) and smallest.endswith(END)
    assert "and 70 more tickets" in smallest and "more accounts" in smallest  # tickets go first
    with pytest.raises(TooLong):
        render_block(crowded(), max_chars=100)


def test_quotes_are_escaped_and_the_last_to_go_when_the_block_must_shrink():
    quotes = [
        QuoteLine(f"{{color:red}}[x|javascript:1] quote {n}", "Acme *", "2026-11-20")
        for n in range(3)
    ]
    impact = replace(crowded(), quotes=quotes)
    full = render_block(impact)
    assert "*In their words*" in full
    quote = "“\\{color\\:red\\}\\[x\\|javascript\\:1\\] quote 0”"
    assert f"* {quote} — Acme \\*, 2026\\-11\\-20" in full
    assert links(full) == [link for link in links(full) if "javascript" not in link]
    small = render_block(impact, max_chars=jira_length(render_block(crowded(), max_chars=900)))
    assert small.count("quote ") == 3 and "and 70 more tickets" in small  # tickets went first
    assert "quote" not in render_block(impact, max_chars=500)  # then the rest, quotes last


def test_a_description_with_the_block_stays_within_the_limit():
    theirs = "é" * 31_500
    text = fit_description(theirs, crowded(), 32_767)
    assert jira_length(text) <= 32_767 and text.startswith(theirs) and text.endswith(END)
    with pytest.raises(TooLong):
        fit_description("x" * 32_700, crowded(), 32_767)


def test_length_is_counted_as_jira_counts_it():
    assert jira_length("a😀") == 3  # UTF-16 code units, as in Java
    comment = fit_comment("😀" * 20_000, 32_767)
    assert jira_length(comment) <= 32_767 and comment.endswith("…")
    assert fit_comment("short", 32_767) == "short"


def test_unsplice_takes_off_the_block_and_nothing_else():
    block = render_block(impact_with("x"))
    assert unsplice(f"Before.\n\n{block}\n\nAfter.") == "Before.\n\nAfter."
    assert unsplice(splice("Theirs", block)) == "Theirs"
    assert unsplice(block) == ""
    assert unsplice("No block here") == "No block here"
    assert has_block(splice(None, block)) and not has_block("Theirs")


def test_the_block_names_the_currency_of_every_amount():
    impact = replace(impact_with("Subject"), currency="EUR", arr_at_risk=Decimal(1200))
    impact = replace(impact, top_accounts=[AccountLine("Northwind", Decimal(300))])
    block = render_block(impact)
    assert "||MRR (EUR)||" in block and "ARR at risk (business notes): 1,200 EUR" in block
    assert "*Top accounts by MRR (EUR)*\n* Northwind — 300 EUR" in block


def test_a_problem_no_business_note_put_at_risk_says_none_named_not_zero():
    """A block saying "ARR at risk (business notes): 0 USD" read as if a PM had weighed the
    problem and found nothing at risk; with no note naming an amount, it says none was named."""
    block = render_block(replace(impact_with("Subject"), arr_at_risk=Decimal(0)))
    assert "ARR at risk (business notes): none named yet" in block
    assert "ARR at risk (business notes): 0" not in block
