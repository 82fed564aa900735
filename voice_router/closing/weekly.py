""" "Name your top five": the weekly digest for product (`[notify].weekly_top`).

The top N open problems by impact, each on a few lines readable in thirty seconds: title,
customers and accounts, trend, ARR at risk, one quote in a customer's words, links to the
problem page and its Jira issue. Sent to Slack and/or by e-mail once per ISO week (UTC) and
channel: a `setting` row `weekly_top:<week>:<channel>` is claimed before sending and records
what went out, so restarts and concurrent workers never send a week twice. A transient
failure is tried again with backoff. A send interrupted by a crash or a stop (`sending` for
longer than SENDING_STALE) is taken up again when its request had not gone out yet (the state
records `request_at` just before it does), and given up when it had (it may have arrived;
nobody hears twice). Before, it was left `sending`, and that week's digest never went out.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, func, select

from integrations.notify_errors import NotifyError, NotifyTransient
from voice_router.closing.digest import safe_url, slack_escape
from voice_router.closing.notify import MAYBE_SENT
from voice_router.closing.sending import SENDING_STALE
from voice_router.closing.text import one_line
from voice_router.models import Note, Problem, Setting
from voice_router.platform.clock import to_utc, utcnow
from voice_router.platform.db import session_scope
from voice_router.platform.settings import Settings
from voice_router.platform.upsert import insert_ignore
from voice_router.problems import impact
from voice_router.problems.listing import SORTS
from voice_router.problems.quotes import quotes_for

log = logging.getLogger(__name__)
OPEN = ("open", "in_progress", "regressed")
MAX_ATTEMPTS = 6
MAX_TOP = 25


@dataclass(frozen=True)
class TopProblem:
    title: str
    customers: int
    accounts: int
    mrr: Decimal
    trend_7d: int
    arr_at_risk: Decimal
    quote: str | None
    quote_from: str | None  # "Acme Corp, 2026-12-01"
    url: str
    jira_key: str | None
    jira_url: str | None


def week_of(now: datetime) -> str:
    year, week, _ = to_utc(now).isocalendar()
    return f"{year}-W{week:02d}"


def top_problems(session: Session, settings: Settings, n: int) -> list[TopProblem]:
    rows = session.exec(
        select(Problem)
        .where(col(Problem.merged_into_id).is_(None), col(Problem.status).in_(OPEN))
        .where(Problem.customers > 0)
        .order_by(*SORTS["impact"])
        .limit(min(n, MAX_TOP))
    ).all()
    trends = impact.trends(session, [p.id for p in rows])
    children = impact.merge_children(session)
    base = settings.base_url.rstrip("/")
    found = []
    for problem in rows:
        group = impact.group_of(problem.id, children)
        arr = session.exec(
            select(func.coalesce(func.sum(Note.arr_at_risk), 0)).where(
                col(Note.problem_id).in_(group)
            )
        ).one()
        quotes = quotes_for(session, group, limit=1)
        found.append(
            TopProblem(
                title=problem.title,
                customers=problem.customers,
                accounts=problem.accounts,
                mrr=Decimal(problem.mrr),
                trend_7d=trends[problem.id][0],
                arr_at_risk=Decimal(arr or 0),
                quote=quotes[0].text if quotes else None,
                quote_from=", ".join(p for p in (quotes[0].account, quotes[0].date) if p)
                if quotes
                else None,
                url=f"{base}/problems/{problem.id}",
                jira_key=problem.jira_key,
                jira_url=problem.jira_url,
            )
        )
    return found


def _money(amount: Decimal, currency: str) -> str:
    return f"{amount:,.0f} {currency}"


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def _trend(value: int) -> str:
    if value > 0:
        return f"↑ {_count(value, 'more new ticket')} than the week before"
    if value < 0:
        return f"↓ {_count(-value, 'fewer new ticket')} than the week before"
    return "→ as many new tickets as the week before"


def render(week: str, top: list[TopProblem], slack: bool, currency: str = "USD") -> str:
    """The digest as Slack mrkdwn (`slack`) or plain text. Every title and quote is
    customer or staff text: one line, shortened, and Slack-escaped for Slack."""
    esc = slack_escape if slack else (lambda text: text)

    def link(url: str | None, label: str) -> str:
        safe = safe_url(url)
        if not safe:
            return esc(label)
        return f"<{safe.replace('&', '&amp;')}|{esc(label)}>" if slack else f"{label}: {safe}"

    heading = f"Top {len(top)} customer problems, week {week}"
    lines = [f"*{heading}*" if slack else heading, ""]
    for number, p in enumerate(top, start=1):
        title = one_line(p.title, 200)
        name = link(p.url, title) if slack else title
        lines.append(f"{number}. {'*' + name + '*' if slack else name}")
        arr = f" · ARR at risk {_money(p.arr_at_risk, currency)}" if p.arr_at_risk else ""
        counts = f"{_count(p.customers, 'customer')}, {_count(p.accounts, 'account')}"
        # No account's MRR known (free mail, none imported) reads "MRR 0", as if it were nil.
        mrr = f", MRR {_money(p.mrr, currency)}" if p.mrr else ""
        lines.append(f"   {counts}{mrr}{arr}")
        lines.append(f"   {_trend(p.trend_7d)}")
        if p.quote:
            where = f" — {esc(one_line(p.quote_from, 120))}" if p.quote_from else ""
            lines.append(f"   “{esc(one_line(p.quote, 200))}”{where}")
        links = [] if slack else [link(p.url, "Problem")]
        if p.jira_key:
            links.append(link(p.jira_url, one_line(p.jira_key, 50)))
        if links:
            lines.append("   " + " · ".join(links))
        lines.append("")
    if not top:
        lines.append("No open problems this week.")
    return "\n".join(lines).rstrip() + "\n"


def channels(settings: Settings) -> list[str]:
    """`slack`, and `email:<address>` for each address: each is sent (and recorded) alone."""
    notify = settings.notify
    found = ["slack"] if notify.slack_webhook_url else []
    if notify.smtp_url:
        found += [f"email:{address}" for address in dict.fromkeys(notify.weekly_to)]
    return found


def send_weekly(engine: Engine, settings: Settings, now: datetime | None = None) -> dict[str, int]:
    """Send this week's digest on every configured channel that has not had it."""
    counts: dict[str, int] = {}
    if settings.notify.weekly_top <= 0:
        return counts
    now = to_utc(now or utcnow())
    week = week_of(now)
    for channel in channels(settings):
        outcome = _send_channel(engine, settings, week, channel, now)
        counts[outcome] = counts.get(outcome, 0) + 1
    return counts


def _send_channel(
    engine: Engine, settings: Settings, week: str, channel: str, now: datetime
) -> str:
    key = f"weekly_top:{week}:{channel}"[:100]  # Setting.key
    claimed = _claim(engine, key, now)
    if claimed is None:
        return "done"
    with Session(engine) as session:
        top = top_problems(session, settings, settings.notify.weekly_top)
    going = claimed | {"request_at": now.isoformat()}  # from here on it may arrive
    if not _swap(engine, key, json.dumps(claimed), going):
        return "done"  # taken back meanwhile, as a sender that died (`_interrupted`)
    try:
        _deliver(settings, channel, week, top)
    except NotifyError as exc:
        attempts = claimed.get("attempts", 0) + 1
        # Not after a timeout or a connection lost once it went out: it may have been posted.
        transient = isinstance(exc, NotifyTransient) and not exc.ambiguous
        transient = transient and attempts < MAX_ATTEMPTS
        backoff = timedelta(minutes=5 * 2 ** (attempts - 1))
        state = {"status": "retry" if transient else "failed", "attempts": attempts}
        state |= {"next": (now + backoff).isoformat(), "error": exc.reason}
        _store(engine, key, state)
        log.warning(
            "weekly.send_failed", extra={"week": week, "channel": channel, "reason": exc.reason}
        )
        return "retry" if transient else "failed"
    _store(engine, key, {"status": "sent", "at": now.isoformat(), "problems": len(top)})
    log.info("weekly.sent", extra={"week": week, "channel": channel, "problems": len(top)})
    return "sent"


def _claim(engine: Engine, key: str, now: datetime) -> dict[str, Any] | None:
    """Take the week's send for this channel: the state claimed, or None when it was sent,
    failed for good, is being sent elsewhere, or waits for a retry."""
    with session_scope(engine) as session:
        sending = json.dumps({"status": "sending", "at": now.isoformat()})
        insert_ignore(session, Setting, {"key": key, "value": sending})
    with Session(engine) as session:
        row = session.get(Setting, key)
    if row is None:
        return None
    state: dict[str, Any] = json.loads(row.value)
    if row.value == sending:
        return state
    if state.get("status") == "sending":
        return _interrupted(engine, key, row.value, state, now)
    if state.get("status") != "retry" or datetime.fromisoformat(state["next"]) > now:
        return None
    claimed = {k: v for k, v in state.items() if k != "request_at"}
    claimed |= {"status": "sending", "at": now.isoformat()}
    return claimed if _swap(engine, key, row.value, claimed) else None


def _interrupted(
    engine: Engine, key: str, value: str, state: dict[str, Any], now: datetime
) -> dict[str, Any] | None:
    """A send begun longer ago than SENDING_STALE and never finished: its sender died. Before
    its request went out, it is taken (sent now); after, it may have arrived: failed."""
    if now - datetime.fromisoformat(state["at"]) < SENDING_STALE:
        return None  # being sent elsewhere
    if "request_at" not in state:
        claimed = state | {"status": "sending", "at": now.isoformat()}
        if not _swap(engine, key, value, claimed):
            return None
        log.info("weekly.resumed", extra={"key": key})
        return claimed
    failed = state | {"status": "failed", "error": f"interrupted while sending; {MAYBE_SENT}"}
    if _swap(engine, key, value, failed):
        log.warning("weekly.send_failed", extra={"key": key, "reason": "interrupted"})
    return None


def _swap(engine: Engine, key: str, was: str, state: dict[str, Any]) -> bool:
    """Store `state` if the stored value is still `was`: whether it was."""
    with session_scope(engine) as session:
        taken = session.execute(
            sa.update(Setting)
            .where(col(Setting.key) == key, col(Setting.value) == was)
            .values(value=json.dumps(state))
        ).rowcount  # type: ignore[attr-defined]  # DML gets a CursorResult, typed as Result
    return bool(taken)


def _store(engine: Engine, key: str, state: dict[str, Any]) -> None:
    with session_scope(engine) as session:
        session.execute(
            sa.update(Setting).where(col(Setting.key) == key).values(value=json.dumps(state))
        )


def _deliver(settings: Settings, channel: str, week: str, top: list[TopProblem]) -> None:
    notify = settings.notify
    if channel == "slack":
        from integrations.slack import post_message

        text = render(week, top, True, settings.currency)
        post_message(notify.slack_webhook_url, text, settings.outbound_timeout_seconds)
        return
    from integrations.email import send_mail

    address = channel.removeprefix("email:")
    subject = f"Top {len(top)} customer problems, week {week}"
    text = render(week, top, False, settings.currency)
    send_mail(
        notify.smtp_url,
        notify.from_addr,
        address,
        subject,
        text,
        timeout=settings.outbound_timeout_seconds,
    )
