"""One problem's page and what agents do on it: notes, the notify list (CSV, mark sent),
and linking an existing Jira issue or unlinking it (pm)."""

from __future__ import annotations

import logging
from typing import Any

from flask import render_template, request
from flask.typing import ResponseReturnValue

from voice_router.closing import asked, notify, told
from voice_router.platform.db import reading
from voice_router.platform.errors import BadRequest, Conflict
from voice_router.problems import listing, merging
from voice_router.web import downloads
from voice_router.web.auth import require_role
from voice_router.web.context import runtime, sync_later
from voice_router.web.ui.access import caller_name, current_caller, signed_in
from voice_router.web.ui.answers import answer_at, back_to
from voice_router.web.ui.breakdown import accounts_for, merge_targets, merged_into_this
from voice_router.web.ui.forms import JiraLinkForm, NoteForm, RenameForm, add_error
from voice_router.web.ui.listing import STATUS_LABELS
from voice_router.web.ui.pages import bp
from voice_router.web.ui.sparkline import daily_new_tickets, sparkline
from voice_router.web.ui.suggested import suggestions_for
from voice_router.web.ui.wording import plural

log = logging.getLogger(__name__)


def _page(problem_id: int, status: int = 200, **forms: Any) -> ResponseReturnValue:
    caller = current_caller()
    with reading(runtime().engine) as session:
        detail = listing.problem_detail(session, problem_id)
        accounts, without_account = accounts_for(session, problem_id)
        notify_list = notify.notify_list(session, problem_id)
        wont_fix = None
        if notify_list["status"] == "wont_fix":  # no list to work through: who was asked
            wont_fix = asked.wont_fix_list(session, problem_id)
        trend = sparkline(daily_new_tickets(session, [problem_id])[problem_id])
        merged_here = merged_into_this(session, problem_id)
        survivor = None
        if detail["merged_into"] is not None:
            survivor = listing.problem_detail(session, detail["merged_into"], pain_point_limit=0)
        may_merge = caller is not None and caller.may("pm") and survivor is None
        targets = merge_targets(session, problem_id) if may_merge else []
        suggestions = suggestions_for(session, problem_id) if survivor is None else None
    page = render_template(
        "ui/problem.html",
        caller=caller,
        problem=detail,
        accounts=accounts,
        without_account=without_account,
        notify=notify_list,
        wont_fix=wont_fix,
        digests_configured=bool(told.channels(runtime().settings)),
        trend=trend,
        merged_here=merged_here,
        survivor=survivor,
        targets=targets,
        suggestions=suggestions,
        jira_configured=bool(runtime().settings.jira.url),
        note_form=forms.get("note_form") or NoteForm(formdata=None),
        jira_form=forms.get("jira_form") or JiraLinkForm(formdata=None),
        rename_form=forms.get("rename_form") or RenameForm(formdata=None, title=detail["title"]),
        status_labels=STATUS_LABELS,
    )
    return page, status


@bp.get("/problems/<int:problem_id>")
@require_role("agent", signed_in)
def problem(problem_id: int) -> ResponseReturnValue:
    return _page(problem_id)


@bp.post("/problems/<int:problem_id>/notes")
@require_role("agent", signed_in)
def add_note(problem_id: int) -> ResponseReturnValue:
    form = NoteForm()
    if not form.validate_on_submit():
        return _page(problem_id, 400, note_form=form)
    amount = form.arr_at_risk.data
    merging.add_note(
        runtime().engine,
        problem_id,
        form.body.data,
        str(amount) if amount is not None else None,
        caller_name(),
    )
    sync_later(merging.issue_owners(runtime().engine, problem_id))
    answer_at("notes", "Note added.")
    return back_to(problem_id, "notes")


@bp.post("/problems/<int:problem_id>/rename")
@require_role("pm", signed_in)
def rename(problem_id: int) -> ResponseReturnValue:
    """A PM names the problem as people know it; the title reaches the summary of the Jira
    issue voice-router created (never a person's linked issue) at its next sync."""
    form = RenameForm()
    if not form.validate_on_submit():
        return _page(problem_id, 400, rename_form=form)
    try:
        merging.rename(runtime().engine, problem_id, form.title.data, caller_name())
    except BadRequest as exc:
        add_error(form.title, exc.message)
        return _page(problem_id, 400, rename_form=form)
    sync_later([problem_id])
    answer_at("rename", "Renamed. The Jira issue voice-router created takes the new title.")
    return back_to(problem_id, "rename")


@bp.post("/problems/<int:problem_id>/jira")
@require_role("pm", signed_in)
def link_jira(problem_id: int) -> ResponseReturnValue:
    from integrations.jira.errors import JiraError
    from voice_router.tracker import links

    rt = runtime()
    form = JiraLinkForm()
    if not form.validate_on_submit():
        return _page(problem_id, 400, jira_form=form)
    if not rt.settings.jira.url:
        raise BadRequest("Jira is not configured ([jira].url is empty).")
    with reading(rt.engine) as session:
        listing.problem_detail(session, problem_id, pain_point_limit=0)  # 404 if missing
    key = (form.key.data or "").strip().upper()
    try:
        links.link_issue(rt.engine, rt.settings, problem_id, key)
    except Conflict as exc:
        add_error(form.key, exc.message)
        return _page(problem_id, 409, jira_form=form)
    except JiraError as exc:
        add_error(form.key, f"Jira says: {exc.message}")
        return _page(problem_id, 503 if exc.transient else 400, jira_form=form)
    sync_later([problem_id])
    answer_at("jira", f"Linked {key}.")
    return back_to(problem_id, "jira")


@bp.post("/problems/<int:problem_id>/jira/unlink")
@require_role("pm", signed_in)
def unlink_jira(problem_id: int) -> ResponseReturnValue:
    from voice_router.tracker import links

    try:
        key = links.unlink_issue(runtime().engine, problem_id)
    except (BadRequest, Conflict) as exc:
        answer_at("jira", f"Not unlinked: {exc.message}", "error")
        return back_to(problem_id, "jira")
    sync_later([problem_id])
    answer_at(
        "jira",
        f"Unlinked {key}: voice-router takes its impact block and "
        "label off it and creates no new issue by itself.",
    )
    return back_to(problem_id, "jira")


@bp.post("/problems/<int:problem_id>/notify/mark-sent")
@require_role("agent", signed_in)
def mark_sent(problem_id: int) -> ResponseReturnValue:
    emails = [e for e in request.form.getlist("customer_emails") if e.strip()]
    if not emails:
        answer_at("notify", "Nobody was marked: tick the customers you told first.", "error")
        return back_to(problem_id, "notify")
    result = notify.mark_sent(runtime().engine, problem_id, emails, caller_name())
    answer_at("notify", f"Marked {plural(len(result['marked']), 'customer')} as told.")
    if result["unknown"]:
        answer_at("notify", f"Not on this list: {', '.join(result['unknown'])}", "error")
    return back_to(problem_id, "notify")


@bp.get("/problems/<int:problem_id>/notify.csv")
@require_role("agent", signed_in)
def notify_csv(problem_id: int) -> ResponseReturnValue:
    return downloads.notify_csv(problem_id)
