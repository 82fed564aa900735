"""Auto-merge (`auto_merge_above`, voice_router/problems/auto_merge.py): after an inbox drain a job
merges the surest suggestions, marks them, lists them on the survivor's page, and a person
can undo them; below the threshold, or with the setting off, nothing is merged."""

from __future__ import annotations

import dataclasses

import pytest
from sqlmodel import Session

from tests.test_suggestions import ids, report
from tests.ui.ui_support import form_post, sign_in
from voice_router.models import Problem
from voice_router.problems import auto_merge
from voice_router.problems.suggestions import suggest

THRESHOLD = 0.8


@pytest.fixture
def settings(make_settings):
    return make_settings(auto_merge_above=THRESHOLD)


def report_pair(client) -> None:
    """Two tags for one problem from the same three people, and an unrelated problem."""
    people = ("ana@acme.example", "bo@globex.example", "cy@initech.example")
    for n, email in enumerate(people):
        report(client, f"A{n}", "pain-sso-login-loop", email=email, subject="SSO login loops")
    for n, email in enumerate(people[:2]):
        report(client, f"B{n}", "pain-login-loop-sso", email=email, subject="Login loop with SSO")
    report(client, "C1", "pain-invoice-pdf-missing", email="dee@tyrell.example")


def problem(runtime, key: str) -> Problem:
    with Session(runtime.engine) as session:
        return session.get(Problem, ids(runtime)[key])


def test_a_sure_duplicate_is_merged_marked_listed_and_undone(client, runtime):
    report_pair(client)  # each delivery is drained by a job; the last one merges

    merged, survivor = problem(runtime, "login-loop-sso"), problem(runtime, "sso-login-loop")
    assert (merged.merged_into_id, merged.merged_by) == (survivor.id, "auto")
    assert (survivor.customers, survivor.tickets) == (3, 5)
    assert problem(runtime, "invoice-pdf-missing").merged_into_id is None

    sign_in(client, runtime, "pm")
    page = client.get(f"/problems/{survivor.id}").text
    listed = page.split("Merged automatically", 1)[1].split("</ul>", 1)[0]
    assert "Login loop SSO" in listed and "Undo: unmerge Login loop SSO" in listed

    form_post(client, f"/problems/{survivor.id}", f"/problems/{merged.id}/unmerge")
    undone = problem(runtime, "login-loop-sso")
    assert (undone.merged_into_id, undone.merged_by) == (None, "auto-undone")
    assert problem(runtime, "sso-login-loop").tickets == 3
    report(client, "B9", "pain-login-loop-sso", email="cy@initech.example", subject="SSO loop")
    assert problem(runtime, "login-loop-sso").merged_into_id is None  # a person said no


def test_only_a_score_at_or_above_the_threshold_merges(client, runtime):
    off = dataclasses.replace(runtime.settings, auto_merge_above=0.0)
    runtime.settings = off  # the drains below merge nothing
    report_pair(client)
    key_ids = ids(runtime)
    with Session(runtime.engine) as session:
        [best] = [s for s in suggest(session, key_ids["sso-login-loop"]) if s.score >= THRESHOLD]
    assert problem(runtime, "login-loop-sso").merged_into_id is None
    touched = list(key_ids.values())

    assert best.score < 0.999, best.score
    above = dataclasses.replace(off, auto_merge_above=best.score + 0.001)
    assert auto_merge.run(runtime.engine, above, touched) == []
    assert auto_merge.run(runtime.engine, off, touched) == []
    assert problem(runtime, "login-loop-sso").merged_into_id is None

    at = dataclasses.replace(off, auto_merge_above=best.score)
    assert sorted(auto_merge.run(runtime.engine, at, touched)) == sorted(
        [key_ids["sso-login-loop"], key_ids["login-loop-sso"]]
    )
    assert problem(runtime, "login-loop-sso").merged_by == "auto"
