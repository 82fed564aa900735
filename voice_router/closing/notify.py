"""Who to tell when a problem ships, and telling them once.

The notify list is every customer who reported the problem (through merged problems too),
one entry per customer with their latest ticket and the agent who handled it: that agent
is the one asked to get back to them. A customer erased with `voice-router forget` (an
anonymous tombstone) still counts on the problem but is on no list: nobody is asked to
contact them. Outbound messages (an internal note on each ticket, one digest per agent)
are rows in `Outbound`, unique per problem and target, claimed before sending and
recorded after: at most once.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import or_
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from voice_router.closing import told
from voice_router.closing.drafts import draft_message, when_told
from voice_router.models import (
    Account,
    Customer,
    CustomerIdentity,
    CustomerNotice,
    Outbound,
    PainPoint,
    Problem,
)
from voice_router.platform.clock import iso, to_utc, utcnow
from voice_router.platform.db import session_scope
from voice_router.platform.errors import BadRequest, NotFound
from voice_router.platform.settings import Settings
from voice_router.problems import impact
from voice_router.problems.quotes import quote_of

log = logging.getLogger(__name__)
# Failed tries (rate limits aside) before a message is given up: with the backoff of 30 s
# doubling to an hour (outbound.py), the last of 30 comes about 23 hours after the first, so a
# helpdesk, Slack or SMTP outage of most of a day loses nothing.
MAX_ATTEMPTS = 30
# Said by the error of a message given up because it may have gone out (a timeout or a
# connection lost after the request went out, a sender that died while sending).
MAYBE_SENT = "not retried to avoid a duplicate"
RESULT_CHARS = 200  # Outbound.result_id


def writeback_result(
    note_id: str | None, ticket_id: str | None = None, ticket_url: str | None = None
) -> str | None:
    """What `Outbound.result_id` records for a sent note: the note's id; or, when the note
    went to the ticket the reported one had been merged into, a JSON object
    `{"note", "ticket", "url"}` that the notify list reads (`moved_tickets`)."""
    if ticket_id is None:
        return note_id[:RESULT_CHARS] if note_id else None
    for shown in (
        {"note": note_id, "ticket": ticket_id, "url": ticket_url},
        {"note": note_id, "ticket": ticket_id},
        {"ticket": ticket_id},
    ):
        text = json.dumps(shown, separators=(",", ":"))
        if len(text) <= RESULT_CHARS:
            return text
    return note_id[:RESULT_CHARS] if note_id else None  # an id this long is not a ticket's


def moved_ticket(result_id: str | None) -> tuple[str, str | None] | None:
    """(surviving ticket id, its URL) from a result that records a merged ticket."""
    if not result_id or not result_id.startswith("{"):
        return None
    try:
        data = json.loads(result_id)
    except ValueError:
        return None
    ticket = data.get("ticket") if isinstance(data, dict) else None
    if not isinstance(ticket, str) or not ticket:
        return None
    url = data.get("url")
    return ticket, url if isinstance(url, str) and url else None


def moved_tickets(session: Session, problem_ids: list[int]) -> dict[str, tuple[str, str | None]]:
    """`source:ticket` -> (surviving ticket, URL) for every note sent that found its ticket
    merged into another (its row may owe the ticket a later note since: told.rearm keeps
    the result)."""
    rows = session.exec(
        select(Outbound.target, Outbound.result_id).where(
            col(Outbound.problem_id).in_(sorted(problem_ids)),
            Outbound.channel == "writeback",
            col(Outbound.result_id).startswith("{"),
        )
    ).all()
    found = {}
    for target, result_id in rows:
        moved = moved_ticket(result_id)
        if moved is not None:
            found[target] = moved
    return found


@dataclass(frozen=True)
class Report:
    """One standing ticket of a customer on the problem, as reported (never a merged-into
    ticket's id): write-back notes are planned and written per ticket."""

    source: str
    ticket_id: str
    subject: str | None
    agent_email: str | None
    agent_name: str | None
    ticket_url: str | None = None
    words: str = ""  # a quote of the ticket in the customer's words (quotes.quote_of)


@dataclass(frozen=True)
class Recipient:
    customer_id: int
    customer_email: str | None
    customer_name: str | None
    account: str | None
    agent_email: str | None
    agent_name: str | None
    source: str
    ticket_id: str
    ticket_url: str | None
    subject: str | None
    reported_at: str | None
    notified: bool
    draft: str = ""  # a message for the agent to send (drafts.py)
    words: str = ""  # their listed ticket in their words: first message, else subject
    # Every standing ticket of theirs on the problem, latest first (the first is the one
    # listed); not in the API, which lists the customer once.
    reports: tuple[Report, ...] = ()

    def json(self) -> dict[str, Any]:
        return {
            "customer_email": self.customer_email,
            "customer_name": self.customer_name,
            "account": self.account,
            "agent_email": self.agent_email,
            "source": self.source,
            "ticket_id": self.ticket_id,
            "ticket_url": self.ticket_url,
            "reported_at": self.reported_at,
            "notified": self.notified,
            "draft": self.draft,
        }


def _problem(session: Session, problem_id: int) -> Problem:
    problem = session.get(Problem, problem_id)
    if problem is None:
        raise NotFound(f"no problem {problem_id}")
    return problem


# What a recipient is made of: plain columns, not ORM objects (a big problem's list reads a
# row per standing pain point, thousands of them).
REPORT_COLUMNS: tuple[Any, ...] = (
    PainPoint.customer_id,
    PainPoint.source,
    PainPoint.ticket_id,
    PainPoint.ticket_url,
    PainPoint.agent_email,
    PainPoint.agent_name,
    PainPoint.subject,
    PainPoint.first_message,
    PainPoint.reported_at,
    Customer.email,
    Customer.name,
    col(Account.name).label("account_name"),
    col(Account.domain).label("account_domain"),
)


def not_forgotten() -> Any:
    """Where-clause for customers that are not a `forget` tombstone: a tombstone has no
    e-mail, no name and no helpdesk identity left (privacy.forget), while every customer
    intake makes has an e-mail or a helpdesk id."""
    has_identity = (
        select(CustomerIdentity.id).where(CustomerIdentity.customer_id == Customer.id).exists()
    )
    return or_(col(Customer.email).is_not(None), col(Customer.name).is_not(None), has_identity)


def marks(session: Session, problem: Problem) -> tuple[set[int], dict[int, datetime]]:
    """The customers marked told of this problem's fix, from one read of the marks: those
    marked since it last shipped (a mark made before, an agent's slip before the ship or a
    fix that was reverted, hid the customer from the digest of the real fix: fault audit),
    and when each was marked told of a fix that has not held since (an earlier one than the
    fix that has shipped now, or, the problem not shipped now, the one that had; a mark made
    before any fix shipped, or while it was back, is of none)."""
    shipped_at = to_utc(problem.shipped_at) if problem.shipped_at else None
    notices = session.exec(
        select(
            CustomerNotice.customer_id,
            CustomerNotice.notified_at,
            CustomerNotice.fix_shipped_at,
        ).where(CustomerNotice.problem_id == problem.id)
    ).all()
    since = {c for c, at, _ in notices if shipped_at is None or to_utc(at) >= shipped_at}
    not_held = {
        c: to_utc(at)
        for c, at, fix in notices
        if fix is not None
        and (problem.status != "shipped" or (shipped_at is not None and to_utc(fix) < shipped_at))
    }
    return since, not_held


def recipients(session: Session, problem_id: int) -> list[Recipient]:
    problem = _problem(session, problem_id)
    group = impact.merge_group(session, problem_id)
    rows = session.execute(
        impact.group_report_rows(group, *REPORT_COLUMNS)
        .where(not_forgotten())
        .order_by(col(PainPoint.last_event_at).desc(), col(PainPoint.id).desc())
    ).all()
    moved = moved_tickets(session, group)
    shipped_at = to_utc(problem.shipped_at) if problem.shipped_at else None
    notified, not_held = marks(session, problem)
    now = utcnow()
    reports: dict[int, dict[tuple[str, str], Report]] = {}
    latest: dict[int, Recipient] = {}
    for pp in rows:
        theirs = reports.setdefault(pp.customer_id, {})
        words = quote_of(pp.first_message, pp.subject)
        if (pp.source, pp.ticket_id) not in theirs:
            theirs[(pp.source, pp.ticket_id)] = Report(
                pp.source,
                pp.ticket_id,
                pp.subject,
                pp.agent_email,
                pp.agent_name,
                pp.ticket_url,
                words,
            )
        if pp.customer_id in latest:
            continue
        ticket_id, ticket_url = moved.get(f"{pp.source}:{pp.ticket_id}", (None, None))
        latest[pp.customer_id] = Recipient(
            customer_id=pp.customer_id,
            customer_email=pp.email,
            customer_name=pp.name,
            account=pp.account_name or pp.account_domain,
            agent_email=pp.agent_email,
            agent_name=pp.agent_name,
            source=pp.source,
            ticket_id=ticket_id or pp.ticket_id,
            ticket_url=ticket_url if ticket_id else pp.ticket_url,
            subject=pp.subject,
            reported_at=iso(pp.reported_at),
            notified=pp.customer_id in notified,
            words=words,
            draft=draft_message(
                pp.name,
                words,
                problem.title,
                problem.status,
                problem.jira_fix_version,
                pp.agent_name,
                after_ship=shipped_at is not None and to_utc(pp.reported_at) > shipped_at,
                told_when=when_told(pp.reported_at, now),
                fix_told_when=(
                    when_told(not_held[pp.customer_id], now) if pp.customer_id in not_held else None
                ),
            ),
        )
    listed = [replace(r, reports=tuple(reports[r.customer_id].values())) for r in latest.values()]
    return sorted(listed, key=lambda r: (r.agent_email or "~", (r.customer_email or "").lower()))


def notify_list(session: Session, problem_id: int) -> dict[str, Any]:
    """Whether the fix shipped, the problem's status and its recipients (objects)."""
    problem = _problem(session, problem_id)
    shipped = problem.status in ("shipped", "regressed")
    listed = [] if problem.status == "wont_fix" else recipients(session, problem_id)
    return {"shipped": shipped, "status": problem.status, "recipients": listed}


def notify_json(session: Session, problem_id: int) -> dict[str, Any]:
    found = notify_list(session, problem_id)
    return {**found, "recipients": [r.json() for r in found["recipients"]]}


def mark_sent(engine: Engine, problem_id: int, emails: Any, by: str) -> dict[str, Any]:
    if not isinstance(emails, list) or not all(isinstance(e, str) for e in emails) or not emails:
        raise BadRequest("customer_emails must be a non-empty list of e-mail addresses")
    wanted = {e.strip().lower() for e in emails}
    with session_scope(engine) as session:
        problem = _problem(session, problem_id)
        # The fix they are told of; none before any shipped, and none once it came back
        # (they are told that: the regressed draft).
        shipped_at = problem.shipped_at if problem.status == "shipped" else None
        known = {r.customer_email: r for r in recipients(session, problem_id) if r.customer_email}
        marked = []
        for email in sorted(wanted & set(known)):
            recipient = known[email]
            if recipient.notified:
                continue
            notice = session.exec(
                select(CustomerNotice).where(
                    CustomerNotice.problem_id == problem_id,
                    CustomerNotice.customer_id == recipient.customer_id,
                )
            ).first() or CustomerNotice(problem_id=problem_id, customer_id=recipient.customer_id)
            notice.notified_at, notice.notified_by = utcnow(), by  # a mark before this ship
            notice.fix_shipped_at = shipped_at
            session.add(notice)
            marked.append(email)
    return {"marked": marked, "unknown": sorted(wanted - set(known))}


def plan_outbound(
    session: Session, settings: Settings, problem: Problem, outcome: str
) -> list[tuple[str, str]]:
    """(channel, target) for every message this outcome owes: a write-back note per ticket
    on sources with write-back on (shipped only), a digest per agent when notify is set.
    Only tickets and agents of customers on the list: nothing about a forgotten one."""
    planned: list[tuple[str, str]] = []
    listed = recipients(session, problem.id)
    if outcome == "shipped":
        tickets = {(r.source, r.ticket_id) for c in listed for r in c.reports}
        for source, ticket_id in sorted(tickets):
            if writes_notes(settings, source):
                planned.append(("writeback", f"{source}:{ticket_id}"))
    agents = sorted({r.agent_email for r in listed if r.agent_email})
    for channel in told.channels(settings):
        planned += [(channel, agent) for agent in agents]
    return planned


def writes_notes(settings: Settings, source: str) -> bool:
    """Whether notes go to this source's tickets: write-back on, with credentials."""
    config = settings.sources.get(source)
    return bool(config and config.writeback and config.has_api_credentials)


def maybe_sent(row: Outbound) -> bool:
    """Whether a message given up may have reached its reader all the same."""
    return row.status == "failed" and MAYBE_SENT in (row.last_error or "")
