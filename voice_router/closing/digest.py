"""One support agent's digest for one product problem: which of their customers to get back to.

Pure rendering, no I/O. The digest reads like a note from a colleague: it says what happened to
the problem (shipped, won't be fixed, came back), then names each customer and their account,
quotes what they wrote (the ticket subject, else the start of their first message) and links
their ticket, so the agent can answer each one personally.

Everything that came from a customer or a helpdesk is untrusted. Each piece is squeezed onto one
line (line breaks and other controls become spaces or go, and so do unseen format characters),
shortened, and for Slack has `&`, `<` and `>` escaped as Slack asks, so customer text can never
open a link or a mention (`<!channel>`, `<@U123>`). Only http(s) URLs become links; any other
ticket URL is left out.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import quote, urlsplit

from voice_router.closing.corrections import SUBJECT, Earlier, not_fixed_after_all, not_released
from voice_router.closing.fix_versions import in_versions
from voice_router.closing.text import one_line

OUTCOMES = ("shipped", "wont_fix", "regressed", "reopened", "unreleased")
# Kept as is when quoting a URL: the reserved set and `%` (existing escapes). Everything else
# (spaces, quotes, `<`, `>`, `|`, non-ASCII ...) is percent-encoded.
URL_SAFE = "!#$%&'()*+,/:;=?@[]~"
NAME_CHARS = 120
WORDS_CHARS = 300
LABEL_CHARS = 100
WHY_CHARS = 400
WHAT_CHANGED_CHARS = 2000


@dataclass(frozen=True)
class DigestLine:
    """One ticket of one customer, as the notify list has it."""

    customer_name: str | None
    customer_email: str
    account: str | None
    their_words: str | None  # the ticket subject
    ticket_url: str | None
    source: str
    ticket_id: str
    customer_key: str = ""  # who the customer is (their id); else their e-mail says


@dataclass(frozen=True)
class CameBack:
    """A report made after the fix shipped, for a warning that it is back: the customer's
    words (contacts masked already), their account, the day."""

    words: str
    account: str | None
    date: str


@dataclass(frozen=True)
class Why:
    """Why a problem won't be fixed, as Jira has it (closing/why.py): the issue's resolution,
    and the latest comment a person made on it around then (who wrote it, their words)."""

    resolution: str | None = None
    author: str | None = None
    words: str | None = None


@dataclass(frozen=True)
class Digest:
    subject: str  # one line, no line breaks
    text: str  # plain text, for e-mail
    slack_text: str  # Slack mrkdwn, for an incoming webhook


def render_digest(
    agent_name: str | None,
    agent_email: str,
    problem_title: str,
    outcome: str,
    jira_key: str | None,
    jira_url: str | None,
    lines: list[DigestLine],
    what_changed: str | None = None,
    fix_version: str | None = None,
    came_back: list[CameBack] | None = None,
    why: Why | None = None,
    earlier: Earlier | None = None,
    fixed_before: bool = False,
) -> Digest:
    """The digest for one agent: one entry per customer (their tickets grouped), in the order
    the lines come; a shipped fix names `fix_version` (Jira's stored names) as the draft
    does, and what became of the `earlier` fix the agent heard of; a warning that it is
    back quotes what `came_back`, and a won't-fix says `why` (and, `fixed_before`, that the
    agent had heard the fix shipped: it won't be fixed after all).
    Raises ValueError for an unknown outcome or no lines at all."""
    if outcome not in OUTCOMES:
        raise ValueError(f"outcome must be one of {', '.join(OUTCOMES)}, got {outcome!r}")
    customers = _customers(lines)
    if not customers:
        raise ValueError("a digest needs at least one customer")
    facts = _Facts(
        agent=one_line(agent_name, NAME_CHARS) or one_line(agent_email, NAME_CHARS),
        agent_email=one_line(agent_email, NAME_CHARS),
        title=one_line(problem_title, WORDS_CHARS) or "this problem",
        outcome=outcome,
        jira_key=one_line(jira_key, LABEL_CHARS) or None,
        jira_url=safe_url(jira_url),
        what_changed=_paragraph(what_changed),
        customers=customers,
        in_version=in_versions(fix_version),
        came_back=[
            CameBack(one_line(c.words, WORDS_CHARS), one_line(c.account, NAME_CHARS), c.date)
            for c in came_back or []
            if one_line(c.words, WORDS_CHARS)
        ],
        why=_why_facts(why) if outcome == "wont_fix" else None,
        earlier=earlier if outcome == "shipped" else None,
        fixed_before=fixed_before and outcome == "wont_fix",
    )
    return Digest(
        subject=_subject(facts),
        text=_render(facts, PLAIN),
        slack_text=_render(facts, SLACK),
    )


def slack_escape(text: str) -> str:
    """Slack's escaping for text that must show literally: `&`, `<`, `>` and nothing else."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def safe_url(value: str | None) -> str | None:
    """An http(s) URL with every character that could end or break a link percent-encoded;
    None for anything else (`javascript:`, `mailto:`, no host, unencodable)."""
    if not value or not value.strip():
        return None
    url = value.strip()
    try:
        parts = urlsplit(url)
        host = parts.hostname
        quoted = quote(url, safe=URL_SAFE)
    except (ValueError, UnicodeError):
        return None
    if parts.scheme not in ("http", "https") or not host:
        return None
    return quoted


@dataclass(frozen=True)
class _Ticket:
    words: str  # "" when the ticket has no subject
    label: str  # "helpscout-main #1001"
    url: str | None


@dataclass
class _Customer:
    email: str
    name: str
    account: str
    tickets: list[_Ticket] = field(default_factory=list)


@dataclass(frozen=True)
class _Facts:
    agent: str
    agent_email: str
    title: str
    outcome: str
    jira_key: str | None
    jira_url: str | None
    what_changed: str
    customers: list[_Customer]
    in_version: str = ""  # ` in version 2.4.0`, or nothing
    came_back: list[CameBack] = field(default_factory=list)
    why: Why | None = None
    earlier: Earlier | None = None
    fixed_before: bool = False  # a won't-fix after the agent heard the fix shipped


@dataclass(frozen=True)
class _Style:
    """How one output writes untrusted text, emphasis and links."""

    esc: Callable[[str], str]
    strong: Callable[[str], str]
    link: Callable[[str, str], str]  # (url, already escaped label) -> link
    bullet: Callable[[int], str]
    indent: str


PLAIN = _Style(
    esc=lambda text: text,
    strong=lambda text: text,
    link=lambda url, label: f"{label}: {url}",
    bullet=lambda n: f"{n}. ",
    indent="   ",
)
SLACK = _Style(
    esc=slack_escape,
    strong=lambda text: f"*{text}*",
    link=lambda url, label: f"<{url.replace('&', '&amp;')}|{label}>",
    bullet=lambda n: "• ",
    indent="    ",
)


def _customers(lines: list[DigestLine]) -> list[_Customer]:
    """Lines grouped by customer (their key, else their e-mail, case-insensitive), first
    appearance first. Grouped by e-mail alone, every customer known without one (a helpdesk
    id only) was one person: Ann's ticket listed under Ben (fault audit)."""
    by_email: dict[str, _Customer] = {}
    for line in lines:
        email = one_line(line.customer_email, NAME_CHARS)
        key = line.customer_key or email.casefold()
        customer = by_email.setdefault(key, _Customer(email, "", ""))
        customer.name = customer.name or one_line(line.customer_name, NAME_CHARS)
        customer.account = customer.account or one_line(line.account, NAME_CHARS)
        label = f"{one_line(line.source, LABEL_CHARS)} #{one_line(line.ticket_id, LABEL_CHARS)}"
        ticket = _Ticket(one_line(line.their_words, WORDS_CHARS), label, safe_url(line.ticket_url))
        if ticket not in customer.tickets:
            customer.tickets.append(ticket)
    return list(by_email.values())


def _paragraph(value: str | None) -> str:
    """Free text from the product team: line breaks kept, other controls gone, shortened."""
    if not value:
        return ""
    rows = value.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    text = "\n".join(one_line(row, WHAT_CHANGED_CHARS) for row in rows).strip()
    return text if len(text) <= WHAT_CHANGED_CHARS else text[: WHAT_CHANGED_CHARS - 1] + "…"


def _how_many(facts: _Facts) -> str:
    count = len(facts.customers)
    return "One of your customers" if count == 1 else f"{count} of your customers"


def _subject(facts: _Facts) -> str:
    what = {
        "shipped": f"to tell: {facts.title} is fixed{facts.in_version}"
        + (SUBJECT if facts.earlier else ""),
        "wont_fix": f"to tell: {facts.title} won't be fixed"
        + (" after all" if facts.fixed_before else ""),
        "regressed": f"to warn: {facts.title} is back",
        "reopened": f"to update: {facts.title} was reopened in Jira",
        "unreleased": f"to update: {facts.title} has not shipped after all",
    }[facts.outcome]
    key = f" ({facts.jira_key})" if facts.jira_key else ""
    return f"{_how_many(facts)} {what}{key}"


def _jira(facts: _Facts, style: _Style) -> str:
    """` (PROD-12)` with a link where there is one, or nothing."""
    key = style.esc(facts.jira_key) if facts.jira_key else None
    if facts.jira_url:
        return f" ({style.link(facts.jira_url, key or 'Jira')})"
    return f" ({key})" if key else ""


def _news(facts: _Facts, style: _Style) -> list[str]:
    """What happened and why the agent should write, as a colleague would put it."""
    title = style.strong(f"“{style.esc(facts.title)}”")
    jira = _jira(facts, style)
    them = "these customers" if len(facts.customers) > 1 else "this customer"
    if facts.outcome == "shipped":
        news = f"Good news: the fix for {title} has shipped{style.esc(facts.in_version)}{jira}."
        again = f"If you told {them} of the earlier fix, let them know this one is out now. "
        if facts.earlier:  # the fix the agent heard of before did not hold
            news += f" {style.esc(facts.earlier.said())}"
        ask = (
            f"{_how_many(facts)} told you about it, so the word should come from you. "
            f"{again if facts.earlier else ''}Here is who to get back to, and what they wrote:"
        )
        label = "What changed"
    elif facts.outcome == "wont_fix" and facts.fixed_before:
        news, ask = not_fixed_after_all(style.esc, facts.in_version, title, jira, them)
        label = "Why"
    elif facts.outcome == "wont_fix":
        news = f"The product team has decided that {title} will not be fixed{jira}."
        ask = (
            f"Not the answer {them} hoped for, but they took the time to report it, and a "
            "straight answer lets you close the loop honestly. Here is who to tell, and what "
            "they wrote:"
        )
        label = "Why"
    elif facts.outcome == "reopened":
        news = (
            f"Heads-up: {title} was reopened in Jira{jira}. The fix that shipped is being "
            "looked at again; nobody has reported it back."
        )
        ask = (
            f"You were asked to tell {them} it was fixed. If you did, you may want to let "
            "them know it is being looked at again, or keep an eye out should they write. "
            "Here is who you were asked to tell, and what they wrote:"
        )
        label = "What we know"
    elif facts.outcome == "unreleased":
        news, ask = not_released(style.esc, facts.in_version, title, jira, them)
        label = "What we know"
    else:
        news = (
            f"Heads-up: {title} is back: it was reported again after the fix shipped"
            f"{style.esc(facts.in_version)}{jira}."
        )
        ask = (
            f"You were asked to tell {them} it was fixed. If you did, they may run into it "
            "again; a word from you now saves them the surprise. Here is who to warn, and "
            "what they wrote:"
        )
        label = "What we know"
    paragraphs = [news]
    if facts.came_back:
        paragraphs.append(_came_back(facts.came_back, style))
    if facts.why:
        paragraphs.append(_why(facts.why, style))
    if facts.what_changed:
        paragraphs.append(f"{label}: {style.esc(facts.what_changed)}")
    paragraphs.append(ask)
    return paragraphs


def _came_back(reports: list[CameBack], style: _Style) -> str:
    """What the reports since the ship say, a line each: `“…” — Initech, 2026-12-06`."""
    lines = ["What came back, in their words:"]
    for report in reports:
        where = ", ".join(style.esc(part) for part in (report.account, report.date) if part)
        lines.append(f"“{style.esc(report.words)}”" + (f" — {where}" if where else ""))
    return "\n".join(lines)


def _why_facts(why: Why | None) -> Why | None:
    """Jira's words on one line and shortened; None when there are none."""
    if why is None:
        return None
    resolution, words = one_line(why.resolution, LABEL_CHARS), one_line(why.words, WHY_CHARS)
    if not (resolution or words):
        return None
    return Why(resolution, one_line(why.author, NAME_CHARS), words)


def _why(why: Why, style: _Style) -> str:
    """`Why: it was closed in Jira as “Won't Do”. Pat Lee wrote on the issue: “…”`"""
    said = []
    if why.resolution:
        said.append(f"it was closed in Jira as “{style.esc(why.resolution)}”.")
    if why.words:
        who = style.esc(why.author) if why.author else "Someone"
        said.append(f"{who} wrote on the issue: “{style.esc(why.words)}”")
    return "Why: " + " ".join(said)


def _who(customer: _Customer, style: _Style) -> str:
    """`Maria Lopez at Acme Corp (maria@acme.example)`, as much of it as is known. A customer
    a helpdesk knows by an id alone was an empty name (`• **` in Slack): said as such."""
    name = customer.name or customer.email
    who = style.strong(style.esc(name)) if name else "A customer"
    if customer.account:
        who += f" at {style.esc(customer.account)}"
    if customer.name and customer.email:
        who += f" ({style.esc(customer.email)})"
    return who if name else f"{who} (no name or e-mail on file: see their ticket)"


def _ticket(ticket: _Ticket, style: _Style) -> str:
    label = style.esc(ticket.label)
    where = style.link(ticket.url, label) if ticket.url else label
    return f"“{style.esc(ticket.words)}” — {where}" if ticket.words else where


def _render(facts: _Facts, style: _Style) -> str:
    news, *rest = _news(facts, style)
    if style is SLACK:  # a webhook posts to a shared channel: say whom this is for
        agent = style.esc(facts.agent)
        if facts.agent_email and facts.agent_email != facts.agent:
            agent += f" ({style.esc(facts.agent_email)})"
        blocks = [f"{style.strong(f'For {agent}:')} {news}" if agent else news]
    else:
        blocks = [f"Hi {facts.agent}," if facts.agent else "Hi,", news]
    blocks += rest
    entries = []
    for number, customer in enumerate(facts.customers, start=1):
        rows = [style.bullet(number) + _who(customer, style)]
        rows += [style.indent + _ticket(ticket, style) for ticket in customer.tickets]
        entries.append("\n".join(rows))
    blocks.append(("\n" if style is SLACK else "\n\n").join(entries))
    linked = [ticket.url is not None for c in facts.customers for ticket in c.tickets]
    if all(linked):
        blocks.append("Each ticket is linked, so you can reply right in the conversation.")
    elif any(linked):
        blocks.append("Where a ticket is linked, you can reply right in the conversation.")
    if style is PLAIN:
        blocks.append("Thanks for closing the loop,\nvoice-router")
    return "\n\n".join(blocks) + "\n"
