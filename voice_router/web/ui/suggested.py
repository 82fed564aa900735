"""Merge suggestions on the problem page. A suggester that fails leaves the section out
(None) instead of taking the page down with it."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlmodel import Session

from voice_router.models import Problem
from voice_router.problems.merging import survivor_first

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ShownSuggestion:
    problem: Problem
    score: float
    reasons: tuple[str, ...]
    merged_id: int  # the merge preview folds this problem
    survivor_id: int  # into this one


def suggestions_for(session: Session, problem_id: int) -> list[ShownSuggestion] | None:
    from voice_router.problems.suggestions import suggest  # numpy: loaded on first use

    try:
        found = suggest(session, problem_id, limit=3)
    except Exception:  # a broken suggester must not take the problem page down with it
        log.exception("ui.suggestions_failed", extra={"problem_id": problem_id})
        return None
    shown = []
    for item in found:
        other = session.get(Problem, item.problem_id)
        if other is None or other.id == problem_id or other.merged_into_id is not None:
            continue
        merged_id, survivor_id = survivor_first(session, problem_id, other.id)
        reasons = tuple(str(r) for r in item.reasons)
        shown.append(ShownSuggestion(other, float(item.score), reasons, merged_id, survivor_id))
    return shown
