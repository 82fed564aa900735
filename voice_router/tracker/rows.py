"""A problem's Jira columns: small writes, each its own transaction, and the names voice-router
puts on issues (the remote link's global id; the per-problem label is spelled in
problems/issue_labels.py, which closing reads too)."""

from __future__ import annotations

import logging

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from voice_router.models import Problem
from voice_router.platform.db import session_scope, update_row
from voice_router.platform.masking import scrub_text

log = logging.getLogger(__name__)

TEXT_LIMIT = 32767  # Jira's limit for a description or a comment, in characters


def remote_link_id(base_url: str, problem_id: int) -> str:
    """The remote link's `globalId`: Jira updates the link with this id rather than adding a
    second one, so a retried POST is harmless."""
    return f"system={base_url.rstrip('/')}&id={problem_id}"


def remote_link_problem(base_url: str, global_id: object) -> int | None:
    """The problem a remote link's `globalId` names, if it is one of this install's."""
    prefix = remote_link_id(base_url, 0)[:-1]
    text = str(global_id or "")
    rest = text[len(prefix) :]
    return int(rest) if text.startswith(prefix) and rest.isdigit() else None


def problem_url(base_url: str, problem_id: int) -> str:
    return f"{base_url.rstrip('/')}/problems/{problem_id}"


def load(engine: Engine, problem_id: int) -> Problem | None:
    with Session(engine, expire_on_commit=False) as session:
        return session.get(Problem, problem_id)


def store(engine: Engine, problem_id: int, **values: object) -> None:
    update_row(engine, Problem, problem_id, **values)


def store_for_issue(engine: Engine, problem_id: int, key: str, **values: object) -> bool:
    """Write `values` only while the problem still points at `key` (a person may have linked
    another issue while this sync talked to Jira). True when written."""
    with session_scope(engine) as session:
        done = session.execute(
            sa.update(Problem)
            .where(col(Problem.id) == problem_id, col(Problem.jira_key) == key)
            .values(**values)
        ).rowcount  # type: ignore[attr-defined]  # DML gets a CursorResult, typed as Result
    return bool(done)


def store_if_no_issue(engine: Engine, problem_id: int, **values: object) -> bool:
    """Write `values` only while the problem has no issue: a merge may have handed it the
    merged problem's, or a person linked one, while a create or a search was on its way.
    True when written."""
    with session_scope(engine) as session:
        done = session.execute(
            sa.update(Problem)
            .where(col(Problem.id) == problem_id, col(Problem.jira_key).is_(None))
            .values(**values)
        ).rowcount  # type: ignore[attr-defined]  # DML gets a CursorResult, typed as Result
    return bool(done)


def record_error(engine: Engine, problem_id: int, message: str) -> None:
    """Keep Jira's error on the problem, masked as a log line is (`masking.scrub_text`):
    every agent reads it in the API and the UI, and Jira's text, or a proxy's in front of
    it, may echo the request's credentials."""
    store(engine, problem_id, jira_error=scrub_text(message, limit=2000)[:2000])


def holder_of(session: Session, key: str, other_than: int | None = None) -> Problem | None:
    """The problem that holds issue `key`, if any (other than `other_than`)."""
    query = select(Problem).where(col(Problem.jira_key) == key)
    if other_than is not None:
        query = query.where(col(Problem.id) != other_than)
    return session.exec(query).first()


def detach_keys(problem: Problem) -> list[str]:
    return (problem.jira_detach_keys or "").split()


def with_detach(problem: Problem, key: str) -> str:
    keys = [k for k in detach_keys(problem) if k != key] + [key]
    while len(" ".join(keys)) > 500:  # the column's size; never reached in practice
        keys.pop(0)
    return " ".join(keys)
