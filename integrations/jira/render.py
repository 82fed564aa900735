"""The bot-owned impact block in an issue description (Jira wiki markup, REST API v2).

The block sits between two marker lines; everything outside them belongs to people and is
never touched. Customer-supplied text is escaped so it cannot open markup, mentions, macros
or links.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal

BEGIN = "{anchor:voice-router-begin}"
END = "{anchor:voice-router-end}"
_HEADER = (
    "h4. Customer impact (kept current by voice-router; edits between the markers are replaced)"
)

# Characters that start wiki markup (text effects, links, macros, mentions, tables, emoticons,
# headings and lists at line start); each gets a backslash so Jira shows it literally.
_SPECIAL = re.compile(r"([\\{}\[\]|*_+\-^~?!#@:;()<>=&%$'\"`])")
_WHITESPACE = re.compile(r"\s+")


def escape(text: str | None, limit: int = 200) -> str:
    """Customer text made inert: one line, at most `limit` characters, markup escaped."""
    if not text:
        return ""
    flat = _WHITESPACE.sub(" ", text).strip()
    flat = "".join(ch for ch in flat if ch.isprintable())
    if len(flat) > limit:
        flat = flat[: limit - 1] + "…"
    return _SPECIAL.sub(r"\\\1", flat)


def money(amount: Decimal | float | None) -> str:
    """A whole amount with separators; its currency is named next to it (`currency`)."""
    return f"{Decimal(amount or 0):,.0f}"


@dataclass(frozen=True)
class AccountLine:
    name: str
    mrr: Decimal | None


@dataclass(frozen=True)
class TicketLine:
    subject: str | None
    url: str | None
    source: str
    ticket_id: str


@dataclass(frozen=True)
class QuoteLine:
    """A customer's own words (already trimmed, contacts masked), their account, a date."""

    text: str
    account: str | None
    date: str


@dataclass(frozen=True)
class Impact:
    problem_url: str
    customers: int
    accounts: int
    mrr: Decimal
    tickets: int
    trend_7d: int
    trend_30d: int
    first_seen: str | None
    last_seen: str | None
    arr_at_risk: Decimal
    top_accounts: list[AccountLine] = field(default_factory=list)
    recent_tickets: list[TicketLine] = field(default_factory=list)
    quotes: list[QuoteLine] = field(default_factory=list)
    currency: str = "USD"  # what MRR and ARR are in (the `currency` setting)


def _safe_url(url: str | None) -> str | None:
    if not url or not re.fullmatch(r"https?://[^\s\[\]|{}<>\"'`^\\]+", url):
        return None
    return url


class TooLong(ValueError):
    """Even the smallest block does not fit in the room the description leaves."""


def jira_length(text: str) -> int:
    """Length as Jira counts it (Java strings: UTF-16 code units)."""
    return len(text.encode("utf-16-le")) // 2


def _more(count: int, noun: str) -> str:
    return f"* … and {count} more {noun}"


def quote_item(quote: QuoteLine) -> str:
    """A list item with the quote, escaped, and where it is from: `* “…” — Acme, 2026-12-01`."""
    who = ", ".join(p for p in (escape(quote.account, 80), escape(quote.date, 10)) if p)
    return f"* “{escape(quote.text, 200)}”" + (f" — {who}" if who else "")


def _arr_line(impact: Impact) -> str:
    """What the business notes put at risk; with none named, said so rather than "0 USD",
    which read as if a note had put nothing at risk."""
    if not impact.arr_at_risk:
        return "ARR at risk (business notes): none named yet"
    return f"ARR at risk (business notes): {money(impact.arr_at_risk)} {impact.currency}"


def _lines(impact: Impact, accounts: int, tickets: int, quotes: int) -> list[str]:
    """The block with the first `accounts` top accounts, `tickets` recent tickets and
    `quotes` quotes; the rest of the accounts and tickets are counted in an "and N more"
    line."""
    lines = [
        BEGIN,
        _HEADER,
        f"||Customers||Accounts||MRR ({impact.currency})||Tickets||Trend 7 days||Trend 30 days||",
        f"|{impact.customers}|{impact.accounts}|{money(impact.mrr)}|{impact.tickets}"
        f"|{impact.trend_7d:+d}|{impact.trend_30d:+d}|",
        f"First seen {impact.first_seen or 'never'}; last seen {impact.last_seen or 'never'}.",
        _arr_line(impact),
    ]
    if impact.quotes[:quotes]:
        lines.append("*In their words*")
        lines += [quote_item(q) for q in impact.quotes[:quotes]]
    shown_accounts = impact.top_accounts[:accounts]
    if impact.top_accounts:
        lines.append(f"*Top accounts by MRR ({impact.currency})*")
        lines += [
            f"* {escape(a.name, 80)} — "
            f"{money(a.mrr) + ' ' + impact.currency if a.mrr is not None else 'MRR unknown'}"
            for a in shown_accounts
        ]
        hidden = max(impact.accounts, len(impact.top_accounts)) - len(shown_accounts)
        if hidden > 0:
            lines.append(_more(hidden, "accounts"))
    shown_tickets = impact.recent_tickets[:tickets]
    if impact.recent_tickets:
        lines.append("*Most recent tickets*")
        for t in shown_tickets:
            label = escape(t.subject, 120) or f"{t.source} ticket {escape(t.ticket_id, 40)}"
            url = _safe_url(t.url)
            lines.append(f"* [{label}|{url}]" if url else f"* {label}")
        hidden = max(impact.tickets, len(impact.recent_tickets)) - len(shown_tickets)
        if hidden > 0:
            lines.append(_more(hidden, "tickets"))
    lines.append(f"[Open this problem in voice-router|{impact.problem_url}]")
    lines.append(END)
    return lines


def render_block(impact: Impact, max_chars: int | None = None) -> str:
    """The block; with `max_chars`, lists are shortened (the rest counted as "and N more")
    until it fits, else TooLong."""
    accounts, tickets = len(impact.top_accounts), len(impact.recent_tickets)
    quotes = len(impact.quotes)
    while True:
        block = "\n".join(_lines(impact, accounts, tickets, quotes))
        if max_chars is None or jira_length(block) <= max_chars:
            return block
        if tickets > 0:
            tickets -= 1
        elif accounts > 0:
            accounts -= 1
        elif quotes > 0:
            quotes -= 1
        else:
            raise TooLong(f"the impact block needs {jira_length(block)} characters")


def fit_description(description: str | None, impact: Impact, limit: int) -> str:
    """`description` with the block spliced in, shortened to stay within `limit`."""
    text = splice(description, render_block(impact))
    if jira_length(text) <= limit:
        return text
    outside = jira_length(splice(description, ""))
    return splice(description, render_block(impact, max_chars=max(0, limit - outside)))


def fit_comment(text: str, limit: int) -> str:
    if jira_length(text) <= limit:
        return text
    cut = text[: max(0, limit - 1)]
    while jira_length(cut) > limit - 1:
        cut = cut[:-1]
    return cut + "…"


def splice(description: str | None, block: str) -> str:
    """Replace the bot-owned block in `description`, or append it; keep everything else."""
    text = description or ""
    start, end = text.find(BEGIN), text.find(END)
    if start != -1 and end > start:
        return text[:start] + block + text[end + len(END) :]
    return (text.rstrip() + "\n\n" + block) if text.strip() else block


def unsplice(description: str | None) -> str:
    """`description` without the bot-owned block (and the blank line that set it apart)."""
    text = description or ""
    start, end = text.find(BEGIN), text.find(END)
    if start == -1 or end < start:
        return text
    before, after = text[:start].rstrip(), text[end + len(END) :].lstrip("\n")
    return (before + "\n\n" + after).strip("\n") if before and after else (before or after)


def has_block(description: str | None) -> bool:
    text = description or ""
    start = text.find(BEGIN)
    return start != -1 and text.find(END) > start
