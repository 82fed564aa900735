"""A problem linked to an issue a person filed in another project than `[jira].project`:
with its webhooks lost, the reconcile pass still brings its status, so the fix ships and
agents get their notify lists within one reconcile interval, as for the project's own
issues."""

from __future__ import annotations

import pytest

from tests.shipping.test_close_the_loop import notify_list, problem, seed
from tests.shipping.test_version_catch_up import file_in_ops
from tests.support import token
from voice_router.tracker.reconcile import reconcile

pytestmark = pytest.mark.usefixtures("jira_openapi_check")


def linked_to_ops(loop):  # type: ignore[no-untyped-def]
    p = seed(loop)
    loop.sandbox.state.add_project("OPS")
    ops = file_in_ops(loop.sandbox)
    linked = loop.client.post(
        f"/api/v1/problems/{p.id}/jira", json={"key": ops}, headers=token(loop.runtime, "pm")
    )
    assert linked.status_code == 200, linked.get_json()
    reconcile(loop.runtime.engine, loop.runtime.settings)  # the pass before the fix
    return p, ops


def test_a_lost_done_of_another_projects_issue_ships_at_the_next_reconcile(make_loop):
    """Before: the pass searched `project = "PROD"` only, so the problem stayed
    in_progress for good and no agent was told."""
    loop = make_loop()
    p, ops = linked_to_ops(loop)

    loop.sandbox.transition(ops, "Done", resolution="Done", send=False)  # its webhook lost
    assert problem(loop).status != "shipped"
    reconcile(loop.runtime.engine, loop.runtime.settings)

    assert problem(loop).status == "shipped"
    data = notify_list(loop, p.id)
    assert data["shipped"] is True
    told = {r["customer_email"] for r in data["recipients"]}
    assert told == {"maria@acme-corp.com", "dev@globex.io"}


def test_a_lost_reopen_of_another_projects_issue_is_caught_up_too(make_loop):
    loop = make_loop()
    _, ops = linked_to_ops(loop)
    loop.sandbox.transition(ops, "Done", resolution="Done")
    assert problem(loop).status == "shipped"

    loop.sandbox.transition(ops, "To Do", send=False)  # reopened; its webhook lost
    reconcile(loop.runtime.engine, loop.runtime.settings)

    assert problem(loop).status != "shipped"


def test_an_install_with_no_other_projects_issue_keeps_its_search_in_its_project(make_loop):
    loop = make_loop()
    seed(loop)
    reconcile(loop.runtime.engine, loop.runtime.settings)
    searches = [c.query for c in loop.sandbox.calls if "/search" in c.path]
    assert searches and all("project" in q for q in searches)
