"""Whom the agents were asked to tell that a problem won't be fixed, for its page.

A won't-fix has no notify list in the API (no drafts, nothing to mark: DESIGN's notify
endpoint lists nobody), but each agent's won't-fix digest (outbound.py, digest.py) names
their customers and asks them to let them know, in their own words. The problem's page shows
the same customers and, for each, whether that ask reached an agent: a digest of the won't-fix
news sent to an agent they had reported it to by then, one on its way, one given up (maybe
after it arrived), or none (no digest channel configured, reported after the decision, merged
in after it).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, func, select

from voice_router.closing.notify import Recipient, maybe_sent, recipients
from voice_router.closing.told import DIGESTS
from voice_router.models import Outbound, PainPoint, Problem
from voice_router.platform.clock import iso, to_utc
from voice_router.problems import impact

NEWS = "wont_fix"
# How far the ask reached a customer's agent, as the page words it (ui/problem.html).
ASKED, MAYBE, ON_ITS_WAY, FAILED, AFTER, NOT_ASKED = (
    "asked",  # a digest of the news went to their agent after they reported
    "maybe",  # given up after it went out: it may have arrived
    "on_its_way",  # owed, not sent yet (or being retried)
    "failed",  # given up: it did not reach the agent
    "after",  # they first reported it after the decision
    "not_asked",  # no digest for their agent
)
TOLD = "told"  # marked told (mark-sent) since the decision
NO_AGENT = "no_agent"  # their ticket names no agent to ask


@dataclass(frozen=True)
class Affected:
    """A customer who reported a problem that won't be fixed, and whether an agent was asked
    to tell them: `state` one of the names above; for one asked, when (`at`, ISO) and whom
    (`agent`: the agent of their latest ticket then, maybe not the one it is now)."""

    recipient: Recipient
    state: str
    at: str | None = None
    agent: str | None = None


def wont_fix_list(session: Session, problem_id: int) -> list[Affected]:
    """The customers of this won't-fix problem (as its notify list would list them), each
    with how far the ask to tell them reached an agent."""
    problem = session.get(Problem, problem_id)
    if problem is None:
        return []
    decided = to_utc(problem.shipped_at) if problem.shipped_at else None
    listed = recipients(session, problem_id)
    rows = session.exec(
        select(Outbound).where(
            Outbound.problem_id == problem_id,
            col(Outbound.channel).in_(DIGESTS),
            Outbound.outcome == NEWS,
        )
    ).all()
    digests: dict[str, list[Outbound]] = {}
    for row in rows:
        digests.setdefault(row.target, []).append(row)
    first = _first_reports(session, problem_id)
    return [_affected(r, digests, first.get(r.customer_id, {}), decided) for r in listed]


def _first_reports(session: Session, problem_id: int) -> dict[int, dict[str, datetime]]:
    """customer -> agent -> when the customer first reported the problem to that agent."""
    group = impact.merge_group(session, problem_id)
    found = session.exec(
        select(PainPoint.customer_id, PainPoint.agent_email, func.min(PainPoint.reported_at))
        .where(*impact.active_in(group))
        .group_by(col(PainPoint.customer_id), col(PainPoint.agent_email))
    ).all()
    first: dict[int, dict[str, datetime]] = {}
    for customer, agent, at in found:
        if at is not None:
            first.setdefault(customer, {})[agent or ""] = to_utc(at)
    return first


def _affected(
    r: Recipient,
    digests: dict[str, list[Outbound]],
    first: dict[str, datetime],
    decided: datetime | None,
) -> Affected:
    """How far the ask about this customer got: a digest sent to an agent they had reported
    to by then is the ask (a digest names the customers of the agent's tickets)."""
    if r.notified:
        return Affected(r, TOLD)
    theirs = [(row, at) for agent, at in first.items() for row in digests.get(agent, [])]
    asked = sorted(
        (to_utc(row.sent_at), row.target)
        for row, at in theirs
        if row.sent_at is not None and at <= to_utc(row.sent_at)
    )
    if asked:
        return Affected(r, ASKED, iso(asked[0][0]), asked[0][1])
    if any(maybe_sent(row) for row, _ in theirs):
        return Affected(r, MAYBE)
    if any(row.status in ("pending", "sending") for row, _ in theirs):
        return Affected(r, ON_ITS_WAY)
    if decided is not None and first and min(first.values()) > decided:
        return Affected(r, AFTER)
    if not r.agent_email:
        return Affected(r, NO_AGENT)
    if any(row.status == "failed" for row, _ in theirs):
        return Affected(r, FAILED)
    return Affected(r, NOT_ASKED)
