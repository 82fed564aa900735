"""Reading problems for the API: listing, one problem, and their JSON shape."""

from __future__ import annotations

from collections import namedtuple
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from voice_router.models import Note, PainPoint, Problem
from voice_router.platform.clock import iso
from voice_router.platform.errors import BadRequest, NotFound
from voice_router.problems import impact
from voice_router.problems.quotes import quotes_for

SORTS = {
    "impact": (
        col(Problem.customers).desc(),
        col(Problem.accounts).desc(),
        col(Problem.mrr).desc(),
        col(Problem.tickets).desc(),
        col(Problem.id),
    ),
    "mrr": (col(Problem.mrr).desc(), col(Problem.customers).desc(), col(Problem.id)),
    "recent": (col(Problem.last_seen).desc(), col(Problem.id).desc()),
}
# What the list shows, read as plain rows: building 100 ORM objects of every column cost
# more than the query.
LISTED: tuple[Any, ...] = (
    Problem.id,
    Problem.key,
    Problem.title,
    Problem.status,
    Problem.customers,
    Problem.accounts,
    Problem.mrr,
    Problem.tickets,
    Problem.first_seen,
    Problem.last_seen,
    Problem.merged_into_id,
    Problem.jira_key,
    Problem.jira_url,
    Problem.jira_status,
    Problem.jira_error,
    Problem.trend_day,
    Problem.trend_7d,
    Problem.trend_30d,
    Problem.recent,
)
# Each listed row as a named tuple: a Row reads a field by name through `__getattr__` (0.3
# µs), and the list of 100 problems reads 1,600 of them; the tuple costs 0.4 µs a row.
ListedRow = namedtuple(  # type: ignore[misc]  # fields named at run time, from LISTED
    "ListedRow", [attribute.key for attribute in LISTED]
)
STATUSES = ("open", "in_progress", "shipped", "wont_fix", "regressed")
MAX_LIMIT = 1000


def problem_json(problem: Problem | Any, trend: tuple[int, int]) -> dict[str, Any]:
    """A problem (or a row of `LISTED`) with its trends."""
    return {
        "id": problem.id,
        "key": problem.key,
        "title": problem.title,
        "status": problem.status,
        "customers": problem.customers,
        "accounts": problem.accounts,
        "mrr": float(problem.mrr),
        "tickets": problem.tickets,
        "first_seen": iso(problem.first_seen),
        "last_seen": iso(problem.last_seen),
        "trend_7d": trend[0],
        "trend_30d": trend[1],
        "merged_into": problem.merged_into_id,
        "jira": jira_json(problem),
    }


def jira_json(problem: Problem | Any) -> dict[str, Any] | None:
    if problem.jira_key is None and problem.jira_error is None:
        return None
    return {
        "key": problem.jira_key,
        "url": problem.jira_url,
        "status": problem.jira_status,
        "error": problem.jira_error,
    }


def note_json(note: Note) -> dict[str, Any]:
    return {
        "id": note.id,
        "body": note.body,
        "author": note.author,
        "arr_at_risk": float(note.arr_at_risk) if note.arr_at_risk is not None else None,
        "created_at": iso(note.created_at),
    }


def list_problems(
    session: Session,
    sort: str = "impact",
    status: str | None = None,
    q: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> list[dict[str, Any]]:
    if sort not in SORTS:
        raise BadRequest(f"sort must be one of {', '.join(SORTS)}")
    if status is not None and status not in STATUSES:
        raise BadRequest(f"status must be one of {', '.join(STATUSES)}")
    if not 1 <= limit <= MAX_LIMIT or offset < 0:
        raise BadRequest(f"limit must be 1..{MAX_LIMIT} and offset at least 0")
    statement = sa.select(*LISTED).where(col(Problem.merged_into_id).is_(None))
    if status:
        statement = statement.where(col(Problem.status) == status)
    if q and "\x00" in q:
        statement = statement.where(sa.false())  # no text holds NUL (PostgreSQL cannot)
    elif q:
        needle = f"%{q.strip().lower()}%"
        statement = statement.where(
            sa.or_(
                sa.func.lower(Problem.title).like(needle),
                col(Problem.key).like(needle.replace(" ", "-")),
            )
        )
    found = session.execute(statement.order_by(*SORTS[sort]).limit(limit).offset(offset))
    problems: list[Any] = [ListedRow._make(row) for row in found]
    trends = impact.trends_of_rows(session, problems)
    return [problem_json(p, trends[p.id]) for p in problems]


def problem_detail(
    session: Session, problem_id: int, pain_point_limit: int = 200
) -> dict[str, Any]:
    problem = session.get(Problem, problem_id)
    if problem is None:
        raise NotFound(f"no problem {problem_id}")
    data = problem_json(problem, impact.trends(session, [problem_id])[problem_id])
    group = impact.merge_group(session, problem_id)
    rows = session.exec(
        impact.group_reports(group)
        .order_by(col(PainPoint.last_event_at).desc())
        .limit(pain_point_limit)
    ).all()
    data["pain_points"] = [
        {
            "id": pp.id,
            "source": pp.source,
            "ticket_id": pp.ticket_id,
            "ticket_url": pp.ticket_url,
            "subject": pp.subject,
            "tag": pp.tag,
            "customer_email": customer.email,
            "customer_name": customer.name,
            "account": account.name or account.domain if account else None,
            "agent_email": pp.agent_email,
            "agent_name": pp.agent_name,
            "reported_at": iso(pp.reported_at),
            "last_event_at": iso(pp.last_event_at),
        }
        for pp, customer, account in rows
    ]
    notes = session.exec(
        select(Note).where(col(Note.problem_id).in_(group)).order_by(col(Note.id))
    ).all()
    data["notes"] = [note_json(n) for n in notes]
    data["quotes"] = [q.json() for q in quotes_for(session, group)]
    return data
