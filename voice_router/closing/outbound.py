"""Sending what a shipped problem owes, once: claim the row, send, record.

A transient failure (429, 5xx, 408, a refused connection) goes back to pending with a backoff,
for about a day of failures (rate limits aside); a permanent one, or one after the request may
have gone out (a timeout, a connection closed before the answer: `ambiguous`), is recorded as
failed and not sent again, so nobody hears twice. `voice-router outbound failed` lists what
was given up, `voice-router outbound resend` sends it again at an operator's word. A message
left with nothing to say when its turn came (its customers forgotten, withdrawn or marked told
since it was owed) is not sent and not counted as sent: it is recorded `cancelled`, its
`last_error` saying why, and counted as `nothing_to_send`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from contextlib import closing
from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from voice_router.closing.corrections import earlier_of, went_out
from voice_router.closing.digest import CameBack, DigestLine, render_digest
from voice_router.closing.notes import note_text
from voice_router.closing.notify import (
    MAX_ATTEMPTS,
    MAYBE_SENT,
    Recipient,
    recipients,
    writeback_result,
)
from voice_router.closing.sending import TakenBack, going_out
from voice_router.closing.told import DIGESTS, WARNINGS, record_told, to_warn, told_of_fix
from voice_router.closing.why import why_not_fixed
from voice_router.models import Outbound, Problem
from voice_router.platform import metrics
from voice_router.platform.clock import utcnow
from voice_router.platform.db import session_scope, update_row
from voice_router.platform.settings import Settings
from voice_router.problems.quotes import since_the_ship

log = logging.getLogger(__name__)
MAX_WAIT_SECONDS = 3600  # the longest backoff, and the longest Retry-After honoured
NOTHING = "nothing to send"  # starts the last_error of a message that had nobody left to name


class NothingToSend(Exception):
    """The message has nobody left to name: nothing goes out (why: `str(exc)`)."""


@dataclass(frozen=True)
class Message:
    problem: Problem
    row: Outbound
    recipients: list[Recipient]
    told: frozenset[int] = frozenset()  # customers the agent heard of for this fix (told.py)
    warn: frozenset[int] = frozenset()  # for a warning (came back, reopened): about whom
    came_back: tuple[CameBack, ...] = ()  # for a warning that it came back: the new reports

    def digest_recipients(self) -> list[Recipient]:
        """Whom a digest names: the agent's customers not marked told, nor heard of; for a
        warning that the fix came back or its issue was reopened, the customers the agent
        was told of when it shipped (regression.py), whoever handles them now."""
        agent = self.row.target
        if self.row.outcome in WARNINGS:
            return [r for r in self.recipients if r.customer_id in self.warn]
        return [
            r
            for r in self.recipients
            if r.agent_email == agent and not r.notified and r.customer_id not in self.told
        ]


def _claim(engine: Engine, outbound_id: int) -> Message | None:
    """Take the row for this sender alone: one UPDATE from `pending` (and due) to `sending`,
    whose row count says who won. Two senders that read the row together (two workers'
    message lanes, a reconcile pass) cannot both take it: on PostgreSQL the second UPDATE
    waits for the first one's commit and then finds the row no longer pending; on SQLite
    the transaction holds the write lock from its start."""
    now = utcnow()
    with session_scope(engine) as session:
        taken = session.execute(
            sa.update(Outbound)
            .where(
                col(Outbound.id) == outbound_id,
                col(Outbound.status) == "pending",
                col(Outbound.next_attempt_at) <= now,
            )
            .values(
                status="sending",
                attempts=col(Outbound.attempts) + 1,
                next_attempt_at=now,
                request_at=None,
            )
            .execution_options(synchronize_session=False)
        )
        if taken.rowcount != 1:  # type: ignore[attr-defined]  # a CursorResult's
            return None  # gone, taken, sent, or waiting for its retry time
        row = session.get(Outbound, outbound_id)
        problem = session.get(Problem, row.problem_id) if row is not None else None
        if row is None or problem is None:
            return None
        listed = recipients(session, row.problem_id)
        told, warn = told_of_fix(session, row), to_warn(session, row)
        came_back = _came_back(session, problem) if row.outcome == "regressed" else ()
    return Message(problem, row, listed, told, warn, came_back)


def _came_back(session: Session, problem: Problem) -> tuple[CameBack, ...]:
    """The group's reports since its fix shipped, in the customers' words, as the
    regression comment on the Jira issue quotes them."""
    return tuple(CameBack(q.text, q.account, q.date) for q in since_the_ship(session, problem))


def deliver(engine: Engine, settings: Settings, outbound_id: int) -> str:
    message = _claim(engine, outbound_id)
    if message is None:
        return "skipped"
    try:
        result_id = _send(settings, message, lambda: going_out(engine, message.row))
    except NothingToSend as nothing:
        return _nothing(engine, message.row, str(nothing))
    except TakenBack:
        log.info("outbound.taken_back", extra={"outbound_id": outbound_id})
        return "skipped"
    except Exception as exc:
        return _failed(engine, message, exc)
    with session_scope(engine) as session:
        row = session.get(Outbound, outbound_id)
        if row is not None:
            row.status, row.sent_at, row.result_id, row.last_error = (
                "sent",
                utcnow(),
                result_id,
                None,
            )
            for name, value in went_out(row, message.problem.jira_fix_version).items():
                setattr(row, name, value)
            session.add(row)
            if message.row.channel in DIGESTS:
                record_told(session, row, (r.customer_id for r in message.digest_recipients()))
    log.info("outbound.sent", extra={"outbound_id": outbound_id, "channel": message.row.channel})
    metrics.notification(message.row.channel, "sent")
    return "sent"


def _nothing(engine: Engine, row: Outbound, why: str) -> str:
    """Nothing went out: the row is cancelled as forget cancels a note (a later ship owes it
    anew), not recorded sent, so nothing counts it as read: not the metrics, not `forget`'s
    count of messages that left, not a warning to the agent that the fix came back."""
    update_row(engine, Outbound, row.id, status="cancelled", last_error=f"{NOTHING}: {why}")
    log.info(
        "outbound.nothing_to_send",
        extra={"outbound_id": row.id, "channel": row.channel, "outcome": row.outcome},
    )
    metrics.notification(row.channel, "nothing_to_send")
    return "nothing_to_send"


def _failed(engine: Engine, message: Message, exc: Exception) -> str:
    """Record a failed try: transient ones are tried again after a backoff (30 s doubling,
    at most an hour, or the Retry-After asked for) until MAX_ATTEMPTS tries have failed,
    about a day; a rate limit is the other side working as designed and does not count
    towards that. A permanent failure, or one after which the message may have gone out
    (`ambiguous`: a timeout, a connection closed before the answer), is final."""
    row = message.row
    transient = bool(getattr(exc, "transient", False))
    ambiguous = bool(getattr(exc, "ambiguous", False))
    reason = getattr(exc, "reason", type(exc).__name__)
    error = f"{reason}: {getattr(exc, 'message', str(exc))}"[:2000]
    rate_limited = getattr(exc, "status", None) == 429 or reason == "rate_limited"
    attempts = row.attempts - 1 if rate_limited else row.attempts
    if transient and not ambiguous and attempts < MAX_ATTEMPTS:
        backoff = 30 * 2 ** max(0, min(attempts - 1, 12))
        wait = getattr(exc, "retry_after", None) or backoff
        update_row(
            engine,
            Outbound,
            row.id,
            status="pending",
            attempts=attempts,
            last_error=error,
            next_attempt_at=utcnow() + timedelta(seconds=min(float(wait), MAX_WAIT_SECONDS)),
        )
        log.info("outbound.retry", extra={"outbound_id": row.id, "reason": reason})
        metrics.notification(row.channel, "retry")
        return "retry"
    went: dict[str, str | None] = {}
    if ambiguous:
        error += f" (it may have gone through; {MAYBE_SENT})"
        went = went_out(row, message.problem.jira_fix_version)  # as if it went: it may have
    elif transient:
        error += f" (given up after {attempts} failed tries)"
    update_row(engine, Outbound, row.id, status="failed", last_error=error, **went)
    log.warning(
        "outbound.failed",
        extra={
            "outbound_id": row.id,
            "reason": reason,
            "outcome": row.outcome,
            "maybe_sent": ambiguous,
        },
    )
    metrics.notification(row.channel, "failed")
    return "failed"


def _send(settings: Settings, message: Message, going_out: Callable[[], None]) -> str | None:
    """Prepare the message and send it, calling `going_out` just before its request."""
    row = message.row
    if row.channel == "writeback":
        return _writeback(settings, message, going_out)
    if row.channel in ("slack", "email"):
        return _digest(settings, message, going_out)
    raise ValueError(f"unknown outbound channel {row.channel!r}")


def _writeback(settings: Settings, message: Message, going_out: Callable[[], None]) -> str | None:
    """Post the note; the result names the note, and the surviving ticket when the one
    reported had been merged into another (the notify list shows that one from then on)."""
    from integrations.registry import make_client

    source_name, _, ticket_id = message.row.target.partition(":")
    source = settings.sources[source_name]
    client = make_client(
        source.kind,
        source.api_base,
        source.api_token,
        settings.outbound_timeout_seconds,
        app_id=source.app_id,
        app_secret=source.app_secret,
    )
    with closing(client):
        text = note_text(
            settings,
            message.problem,
            message.recipients,
            source_name,
            ticket_id,
            client.literal,
            message.row.outcome,
            earlier_of(message.row),
        )
        if text is None:  # its customer was forgotten, or withdrew the report, since planned
            raise NothingToSend("no customer of this ticket is on the notify list any more")
        going_out()
        result = client.post_internal_note(ticket_id, text)
    if result.ticket_id is not None:
        log.info(
            "outbound.writeback.merged_ticket",
            extra={
                "outbound_id": message.row.id,
                "source": source_name,
                "ticket_id": ticket_id,
                "surviving_ticket_id": result.ticket_id,
            },
        )
    return writeback_result(result.note_id, result.ticket_id, result.ticket_url)


def _digest(settings: Settings, message: Message, going_out: Callable[[], None]) -> str | None:
    agent = message.row.target
    mine = message.digest_recipients()
    if not mine:
        raise NothingToSend(
            "none of the agent's customers is left to name (forgotten, report withdrawn, "
            "or told already)"
        )
    lines = [line for r in mine for line in _lines(r, agent)]
    problem = message.problem
    digest = render_digest(
        _agent_name(mine, agent),
        agent,
        problem.title,
        message.row.outcome,
        problem.jira_key,
        problem.jira_url,
        lines,
        fix_version=problem.jira_fix_version,
        came_back=list(message.came_back),
        why=why_not_fixed(settings, problem) if message.row.outcome == "wont_fix" else None,
        earlier=earlier_of(message.row),
        fixed_before=message.row.outcome == "wont_fix" and message.row.amends == "shipped",
    )
    going_out()
    if message.row.channel == "slack":
        from integrations.slack import post_message

        post_message(
            settings.notify.slack_webhook_url, digest.slack_text, settings.outbound_timeout_seconds
        )
    else:
        from integrations.email import send_mail

        notify = settings.notify
        send_mail(
            notify.smtp_url,
            notify.from_addr,
            agent,
            digest.subject,
            digest.text,
            timeout=settings.outbound_timeout_seconds,
        )
    return None


def _lines(r: Recipient, agent: str) -> list[DigestLine]:
    """The customer's ticket the digest links: the one listed; for a customer the agent was
    told of who wrote since to someone else (a warning), the agent's own tickets of theirs.
    Each in the customer's words: its subject, else their first message (a chat has no
    subject)."""
    listed = (r.subject or r.words, r.ticket_url, r.source, r.ticket_id)
    own = [
        (t.subject or t.words, t.ticket_url, t.source, t.ticket_id)
        for t in r.reports
        if t.agent_email == agent
    ]
    tickets = own if r.agent_email != agent and own else [listed]
    return [
        DigestLine(
            customer_name=r.customer_name,
            customer_email=r.customer_email or "",
            account=r.account,
            their_words=subject,
            ticket_url=url,
            source=source,
            ticket_id=ticket_id,
            customer_key=str(r.customer_id),
        )
        for subject, url, source, ticket_id in tickets
    ]


def _agent_name(mine: list[Recipient], agent: str) -> str | None:
    """The agent's name as a helpdesk gave it with one of these customers' tickets."""
    names = (t.agent_name for r in mine for t in r.reports if t.agent_email == agent)
    return next((name for name in names if name), None)


def deliver_due(
    engine: Engine,
    settings: Settings,
    outbound_ids: list[int],
    stop_asked: Callable[[], bool] = lambda: False,
) -> dict[str, int]:
    """Send these messages one after the other, until `stop_asked` (the process stops:
    the rest stay pending, none left half sent)."""
    counts: dict[str, int] = {}
    for outbound_id in outbound_ids:
        if stop_asked():
            break
        outcome = deliver(engine, settings, outbound_id)
        counts[outcome] = counts.get(outcome, 0) + 1
    return counts


def outbound_ids_for(engine: Engine, problem_id: int) -> list[int]:
    with Session(engine) as session:
        return list(
            session.exec(
                select(Outbound.id).where(
                    Outbound.problem_id == problem_id, Outbound.status == "pending"
                )
            ).all()
        )


def given_up(engine: Engine) -> list[Outbound]:
    """Messages given up for good (status `failed`), oldest first, for an operator to read."""
    with Session(engine) as session:
        return list(
            session.exec(
                select(Outbound).where(Outbound.status == "failed").order_by(col(Outbound.id))
            ).all()
        )


def resend(engine: Engine, outbound_ids: list[int] | None) -> int:
    """Put failed messages (these, or all with None) back to pending, due now and with their
    tries counted afresh: an operator's word that sending them again is right, even those
    that may have gone out. Returns how many."""
    where = [col(Outbound.status) == "failed"]
    if outbound_ids is not None:
        where.append(col(Outbound.id).in_(outbound_ids))
    with session_scope(engine) as session:
        done = session.execute(
            sa.update(Outbound)
            .where(*where)
            .values(status="pending", attempts=0, next_attempt_at=utcnow())
            .execution_options(synchronize_session=False)
        )
        count = int(done.rowcount)  # type: ignore[attr-defined]  # a CursorResult's
    log.info("outbound.resend", extra={"count": count})
    return count
