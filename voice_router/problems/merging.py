"""Merging duplicate problems, undoing a merge, renaming, and business notes.

A merge only points the merged problem at its survivor; pain points never move, so an
unmerge restores the exact counts by recomputing from the same rows.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from voice_router.models import Note, Problem, to_cents
from voice_router.platform.db import session_scope
from voice_router.platform.errors import BadRequest, Conflict, NotFound
from voice_router.problems import handover, impact, impact_recount


def _problem(session: Session, problem_id: int) -> Problem:
    problem = session.get(Problem, problem_id)
    if problem is None:
        raise NotFound(f"no problem {problem_id}")
    return problem


def refusal(session: Session, problem: Problem, survivor: Problem) -> str | None:
    """Why `problem` may not be folded into `survivor`, or None: the rules `merge` enforces,
    also shown by the UI's merge preview before anyone confirms."""
    if problem.id == survivor.id:
        return "a problem cannot be merged into itself"
    if problem.merged_into_id is not None:
        return f"{_named(problem)} is already merged into problem {problem.merged_into_id}"
    if problem.id in impact.ancestors(session, [survivor.id]):
        return f"{_named(survivor)} is already merged into {_named(problem)}"
    if survivor.merged_into_id is not None:
        return f"{_named(survivor)} is itself merged; merge into its survivor instead"
    return None


def _named(problem: Problem) -> str:
    return f"problem {problem.id} ({problem.title})"


def survivor_first(session: Session, problem_id: int, other_id: int) -> tuple[int, int]:
    """(merged, survivor) for a suggested pair: the problem with more impact survives
    (more customers, then more tickets, then the older one)."""
    a, b = session.get(Problem, problem_id), session.get(Problem, other_id)
    if a is None or b is None:
        return problem_id, other_id

    def rank(p: Problem) -> tuple[int, int, int]:
        return (p.customers, p.tickets, -(p.id or 0))

    return (problem_id, other_id) if rank(b) >= rank(a) else (other_id, problem_id)


def _locked(session: Session, *problem_ids: int) -> list[Problem]:
    """The problems, read again under a row lock on PostgreSQL (in id order, as every writer
    of problem rows takes them), so a merge or unmerge of the same problems committed
    meanwhile is seen before the rules are checked: two crossed merges (A into B, B into A)
    both passed the check on rows read without a lock and made a cycle. SQLite's write
    transaction already holds the whole database."""
    if session.get_bind().dialect.name == "postgresql":
        statement = (
            select(Problem)
            .where(col(Problem.id).in_(sorted(set(problem_ids))))
            .order_by(col(Problem.id))
            .with_for_update(key_share=True)
            .execution_options(populate_existing=True)
        )
        session.exec(statement).all()
    return [_problem(session, problem_id) for problem_id in problem_ids]


def merge(engine: Engine, problem_id: int, into_id: int, merged_by: str | None = None) -> list[int]:
    """Fold `problem_id` into `into_id` (`merged_by`: "auto" for the auto-merge job, None
    for a person); returns the problems whose Jira issues need a sync. A survivor whose fix
    shipped owes the merged problem's customers their messages: the caller asks
    `closing.shipping.owe_after_merge`."""
    with session_scope(engine) as session:
        problem, survivor = _locked(session, problem_id, into_id)
        refused = refusal(session, problem, survivor)
        if refused is not None:
            # Merging a problem into itself asks for nothing that could ever be done; the rest
            # are refused for the problems' state now (409), which another merge may change.
            raise (BadRequest if problem.id == survivor.id else Conflict)(refused)
        problem.merged_into_id = into_id
        problem.merged_by = merged_by
        if survivor.jira_key is None and problem.jira_key is not None:
            handover.hand_over(session, problem, survivor)
        session.add(problem)
        session.add(survivor)
        session.flush()
        impact_recount.recompute(session, [problem_id, into_id])
    return [into_id, problem_id]


def unmerge(engine: Engine, problem_id: int) -> list[int]:
    with session_scope(engine) as session:
        # The problem and the group it leaves are locked together in id order, as a drain
        # locks them: the problem's row first and the group's after could deadlock with one.
        former = _problem(session, problem_id).merged_into_id
        group = impact.ancestors(session, [former]) if former is not None else set()
        problem, *_ = _locked(session, problem_id, *group)
        former = problem.merged_into_id
        if former is None:
            raise Conflict(f"problem {problem_id} is not merged")
        ancestors = impact.ancestors(session, [former])
        problem.merged_into_id = None
        problem.jira_merge_notice_for = None
        gave_back = handover.give_back(session, problem, ancestors)
        if problem.merged_by == "auto":  # a person said no: never merged automatically again
            problem.merged_by = "auto-undone"
        session.add(problem)
        session.flush()
        impact_recount.recompute(session, [problem_id, *ancestors])
    return [problem_id, former] + ([gave_back] if gave_back not in (None, former) else [])


def issue_owners(engine: Engine, problem_id: int) -> list[int]:
    """The problem and every problem it is merged into: a note on a merged problem is posted
    on its survivor's issue, whose sync it makes due."""
    with Session(engine) as session:
        return sorted(impact.ancestors(session, [problem_id]))


def add_note(engine: Engine, problem_id: int, body: Any, arr_at_risk: Any, author: str) -> Note:
    if not isinstance(body, str) or not body.strip():
        raise BadRequest("body must be non-empty text")
    if len(body) > 10000:
        raise BadRequest("body must be at most 10,000 characters")
    if "\x00" in body:
        raise BadRequest("body must not contain NUL characters")
    amount = None
    if arr_at_risk is not None:
        if isinstance(arr_at_risk, bool) or not isinstance(arr_at_risk, int | float | str):
            raise BadRequest("arr_at_risk must be a number")
        try:
            amount = Decimal(str(arr_at_risk))
        except InvalidOperation:
            raise BadRequest("arr_at_risk must be a number") from None
        if not amount.is_finite() or amount < 0 or amount >= Decimal("1e12"):
            raise BadRequest("arr_at_risk must be zero or more (and below 10^12)")
        amount = to_cents(amount)
    with session_scope(engine) as session:
        _problem(session, problem_id)
        note = Note(problem_id=problem_id, body=body.strip(), author=author, arr_at_risk=amount)
        session.add(note)
        session.flush()
        session.refresh(note)
    return note


def rename(engine: Engine, problem_id: int, title: Any, by: str | None = None) -> None:
    """A new title, a person's from now on; it reaches the summary of the issue
    voice-router created for the problem at its next sync, never a person's linked issue."""
    if not isinstance(title, str) or not title.strip():
        raise BadRequest("title must be non-empty text")
    title = " ".join(title.split())
    if len(title) > 300:
        raise BadRequest("title must be at most 300 characters")
    if not title.isprintable():
        raise BadRequest("title must not contain control characters")
    with session_scope(engine) as session:
        problem = _problem(session, problem_id)
        problem.title = title
        problem.renamed_by = (by or "?")[:100]
        session.add(problem)
