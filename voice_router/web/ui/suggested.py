"""Merge suggestions on the problem page, when `voice_router.problems.suggestions` is installed.

The page works without it: `suggestions_for` then returns None and the section is left out.
"""

from __future__ import annotations

import importlib
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
    try:
        module = importlib.import_module("voice_router.problems.suggestions")
    except ImportError as exc:
        if (
            exc.name != "voice_router.problems.suggestions"
        ):  # present, but something it needs is not
            log.warning("ui.suggestions_unavailable", extra={"error": str(exc)})
        return None
    suggest = getattr(module, "suggest", None)
    if suggest is None:
        return None
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
