"""Signing in with an API token, and out again."""

from __future__ import annotations

import logging

from flask import flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from voice_router.web.ui.access import current_caller, safe_next, sign_in, sign_out
from voice_router.web.ui.forms import LoginForm, add_error
from voice_router.web.ui.pages import bp

log = logging.getLogger(__name__)


@bp.route("/login", methods=["GET", "POST"])
def login() -> ResponseReturnValue:
    form = LoginForm()
    if request.method == "GET":
        if current_caller() is not None:
            return redirect(safe_next(request.args.get("next")) or url_for("ui.problem_list"))
        form.next.data = request.args.get("next", "")
        return render_template("ui/login.html", form=form)
    status = 400
    if form.validate_on_submit():
        caller = sign_in((form.token.data or "").strip())
        if caller is not None:
            log.info("ui.signed_in", extra={"caller": caller.name, "role": caller.role})
            return redirect(safe_next(form.next.data) or url_for("ui.problem_list"), code=303)
        log.info("ui.sign_in_refused")
        add_error(form.token, "This token is unknown or revoked.")
        status = 401
    return render_template("ui/login.html", form=form), status


@bp.post("/logout")
def logout() -> ResponseReturnValue:
    sign_out()
    flash("You are signed out.", "info")
    return redirect(url_for("ui.login"), code=303)
