"""Merging (through a preview of the combined counts) and unmerging; pm and up."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from werkzeug.wrappers import Response

from voice_router.closing import shipping
from voice_router.models import MAX_ID, Problem
from voice_router.platform.db import reading
from voice_router.platform.errors import BadRequest, Conflict, NotFound
from voice_router.problems import merging
from voice_router.web.auth import require_role
from voice_router.web.context import messages_later, runtime, sync_later
from voice_router.web.params import query_int
from voice_router.web.ui.access import current_caller, signed_in
from voice_router.web.ui.breakdown import merge_preview, merge_targets
from voice_router.web.ui.forms import MergeForm
from voice_router.web.ui.pages import bp


@bp.get("/problems/<int:problem_id>/merge")
@require_role("pm", signed_in)
def merge_preview_page(problem_id: int) -> ResponseReturnValue:
    """Choose a target (`?into=`), then see both problems and the combined counts; nothing
    is written until the confirm form posts."""
    into = query_int("into", None, 1, MAX_ID, "a problem id")
    with reading(runtime().engine) as session:
        preview = merge_preview(session, problem_id, into) if into is not None else None
        targets = merge_targets(session, problem_id)
        this = preview.merged if preview else session.get(Problem, problem_id)
        if this is None:
            raise NotFound(f"no problem {problem_id}")
    form = MergeForm(formdata=None, into=into)
    return render_template(
        "ui/merge.html",
        caller=current_caller(),
        this=this,
        preview=preview,
        targets=targets,
        form=form,
    )


@bp.post("/problems/<int:problem_id>/merge")
@require_role("pm", signed_in)
def merge(problem_id: int) -> ResponseReturnValue:
    form = MergeForm()
    if not form.validate_on_submit() or form.into.data is None:
        raise BadRequest("Choose the problem to merge into.")
    into = form.into.data
    try:
        changed = merging.merge(runtime().engine, problem_id, into)
        owed = shipping.owe_after_merge(runtime().engine, runtime().settings, problem_id)
    except (BadRequest, Conflict) as exc:
        return _answer(problem_id, f"Not merged: {exc.message}", "error")
    sync_later(changed)
    if owed:
        messages_later()
    return _answer(into, "Merged. The counts below include the merged problem.")


@bp.post("/problems/<int:problem_id>/unmerge")
@require_role("pm", signed_in)
def unmerge(problem_id: int) -> ResponseReturnValue:
    try:
        changed = merging.unmerge(runtime().engine, problem_id)
    except (BadRequest, Conflict) as exc:
        return _answer(problem_id, f"Not unmerged: {exc.message}", "error")
    sync_later(changed)
    return _answer(problem_id, "Unmerged: both problems count on their own again.")


def _answer(problem_id: int, text: str, kind: str = "success") -> Response:
    """303 to a problem's page, with `text` at its top."""
    flash(text, kind)
    return redirect(url_for("ui.problem", problem_id=problem_id), code=303)
