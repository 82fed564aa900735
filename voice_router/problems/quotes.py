"""The customer's voice: short quotes in their own words, for the problem page, the Jira block,
the weekly digest and the message drafts.

A quote comes from a ticket's first customer message where the helpdesk sent it, else from
its subject. It is one line, cut at a word near QUOTE_CHARS, greeting dropped, and e-mail
addresses and phone numbers masked, so a quote shown to product never carries a way to reach
a customer. Quotes are plain text here; each output escapes them its own way.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session, col

from voice_router.models import Account, PainPoint, Problem
from voice_router.platform.clock import to_utc
from voice_router.problems import impact

QUOTE_CHARS = 160
MAX_QUOTES = 3
_READ = 60  # pain points read to find MAX_QUOTES distinct quotes

_EMAIL = re.compile(r"[\w.%+-]+@[\w-]+(?:\.[\w-]+)+", re.UNICODE)
# A run of digits with phone punctuation, at least 7 digits (not an ISO date).
_PHONE = re.compile(r"(?<![\w/.-])\+?\(?\d[\d\s().\-/]{5,}\d(?![\w/])")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}|\d{1,2}[./-]\d{1,2}[./-]\d{2,4}")
_GREETING = re.compile(
    r"^(?:hi|hello|hey|dear|good (?:morning|afternoon|evening)|greetings)\b"
    r"[^.!?\n,]{0,40}[,!.:]?\s+",
    re.IGNORECASE,
)
EMAIL_MASK = "[e-mail]"
PHONE_MASK = "[phone]"


def mask_contacts(text: str) -> str:
    """`text` with e-mail addresses and phone numbers replaced by placeholders."""
    masked = _EMAIL.sub(EMAIL_MASK, text)
    return _PHONE.sub(_phone, masked)


def _phone(match: re.Match[str]) -> str:
    found = match.group(0)
    digits = sum(ch.isdigit() for ch in found)
    if digits < 7 or _DATE.fullmatch(found.strip()):
        return found
    return PHONE_MASK


def excerpt(text: str | None, limit: int = QUOTE_CHARS) -> str:
    """A quote from `text`: one line, greeting dropped, contacts masked, cut at a word."""
    if not text:
        return ""
    flat = " ".join("".join(ch if ch.isprintable() else " " for ch in text).split())
    flat = mask_contacts(_GREETING.sub("", flat, count=1)).strip()
    if len(flat) <= limit:
        return flat
    cut = flat[: limit - 1]
    space = cut.rfind(" ")
    if space > limit // 2:
        cut = cut[:space]
    return cut.rstrip(" ,;:-") + "…"


@dataclass(frozen=True)
class Quote:
    text: str
    account: str | None
    date: str  # YYYY-MM-DD, when the ticket was reported

    def json(self) -> dict[str, str | None]:
        return {"text": self.text, "account": self.account, "date": self.date}


def quote_of(first_message: str | None, subject: str | None) -> str:
    """What a ticket says in the customer's words: its first message, else its subject."""
    return excerpt(first_message) or excerpt(subject)


def quotes_for(
    session: Session, group: list[int], limit: int = MAX_QUOTES, since: datetime | None = None
) -> list[Quote]:
    """Up to `limit` quotes from the active tickets of a merge group (reported after `since`,
    when given): newest first, one per customer and text, different accounts before a second
    quote from one account."""
    after = () if since is None else (col(PainPoint.reported_at) > since,)
    rows = session.execute(
        sa.select(
            col(PainPoint.customer_id),
            col(PainPoint.first_message),
            col(PainPoint.subject),
            col(PainPoint.reported_at),
            col(Account.name),
            col(Account.domain),
        )
        .join(Account, col(Account.id) == PainPoint.account_id, isouter=True)
        .where(
            *impact.active_in(group),
            *after,
            col(PainPoint.first_message).is_not(None) | col(PainPoint.subject).is_not(None),
        )
        .order_by(col(PainPoint.reported_at).desc(), col(PainPoint.id).desc())
        .limit(_READ)
    ).all()
    candidates: list[Quote] = []
    customers: set[int] = set()
    texts: set[str] = set()
    for customer_id, message, subject, reported_at, name, domain in rows:
        text = quote_of(message, subject)
        if not text or customer_id in customers or text.casefold() in texts:
            continue
        customers.add(customer_id)
        texts.add(text.casefold())
        day = to_utc(reported_at).date().isoformat()
        candidates.append(Quote(text, name or domain, day))
    first: list[Quote] = []
    rest: list[Quote] = []
    accounts: set[str | None] = set()
    for quote in candidates:
        again = quote.account is not None and quote.account in accounts
        (rest if again else first).append(quote)
        accounts.add(quote.account)
    return (first + rest)[:limit]


def since_the_ship(session: Session, problem: Problem) -> list[Quote]:
    """What came back: quotes of the reports on the problem's merge group made after its
    fix shipped (all of them when it never did)."""
    since = to_utc(problem.shipped_at) if problem.shipped_at else None
    return quotes_for(session, impact.merge_group(session, problem.id), since=since)
