"""A problem linked to an issue a person filed in another project than `[jira].project`, its
fix version released or renamed in that project with the webhook lost: the reconcile pass
catches it up as it does the configured project's (one versions call per such project per
pass), so the fix ships and the drafts name the version Jira has. With the webhook, its signed
version event is looked up at once, as the configured project's are."""

from __future__ import annotations

import pytest

from tests.shipping.test_close_the_loop import notify_list, problem
from tests.shipping.test_other_project_catch_up import linked_to_ops
from tests.shipping.test_version_changes import drafts
from voice_router.tracker import releases
from voice_router.tracker.reconcile import reconcile

pytestmark = pytest.mark.usefixtures("jira_openapi_check")


def in_ops_version(loop, version: str):  # type: ignore[no-untyped-def]
    """The seeded problem linked to an OPS issue in OPS's `version`, Done in Jira."""
    p, ops = linked_to_ops(loop)
    loop.sandbox.create_version(version, project="OPS")
    loop.sandbox.edit(ops, {"fixVersions": [{"name": version}]})
    loop.sandbox.transition(ops, "Done", resolution="Done")
    return p, ops


def shipped_in_9(loop, problem_id: int) -> None:  # type: ignore[no-untyped-def]
    """The problem shipped, both its customers on the notify list, each draft naming 9.0."""
    assert problem(loop).status == "shipped"
    data = notify_list(loop, problem_id)
    assert data["shipped"] is True
    assert {r["customer_email"] for r in data["recipients"]} == {
        "maria@acme-corp.com",
        "dev@globex.io",
    }
    assert all("in version 9.0" in d for d in drafts(loop, problem_id))


def test_a_lost_release_in_another_project_ships_at_the_next_reconcile(make_loop):
    """Before: the release catch-up searched `project = "PROD"` only; the problem waited in
    in_progress for a webhook that never came, and no agent was told."""
    loop = make_loop(shipped_when="released")
    p, _ = in_ops_version(loop, "9.0")
    assert problem(loop).status == "in_progress"  # Done, its version not released yet

    loop.sandbox.release_version("9.0", project="OPS", send=False)  # its webhook lost
    reconcile(loop.runtime.engine, loop.runtime.settings)

    shipped_in_9(loop, p.id)


@pytest.mark.parametrize("shipped_when", ["done", "released"])
def test_a_lost_rename_in_another_project_reaches_the_drafts(make_loop, shipped_when):
    """Before: only PROD's versions were read, so the drafts named 9.0-rc for good."""
    loop = make_loop(shipped_when=shipped_when)
    p, _ = in_ops_version(loop, "9.0-rc")
    if shipped_when == "released":
        loop.sandbox.release_version("9.0-rc", project="OPS")  # its webhook ships it
    assert (problem(loop).status, problem(loop).jira_fix_version) == ("shipped", "9.0-rc")

    loop.sandbox.rename_version("9.0-rc", "9.0", project="OPS", send=False)  # webhook lost
    reconcile(loop.runtime.engine, loop.runtime.settings)

    assert (problem(loop).status, problem(loop).jira_fix_version) == ("shipped", "9.0")
    texts = drafts(loop, p.id)
    assert texts and all("in version 9.0," in d for d in texts)


def test_each_project_holding_an_issue_has_its_versions_read_once_a_pass(make_loop):
    loop = make_loop()
    in_ops_version(loop, "9.0")
    loop.sandbox.reset_calls()

    reconcile(loop.runtime.engine, loop.runtime.settings)

    reads = [c.path for c in loop.sandbox.calls if c.path.endswith("/versions")]
    assert sorted(path.rsplit("/", 2)[1] for path in reads) == ["OPS"]  # PROD's hold none


def test_a_linked_project_jira_will_not_show_any_more_is_skipped_not_fatal(
    make_loop, every_log_record
):
    """Its versions answer 404 once the permission to browse it is taken away: the pass goes
    on with the rest (the problem is left as it is) instead of failing on every pass."""
    loop = make_loop()
    in_ops_version(loop, "9.0")
    loop.sandbox.revoke("BROWSE_PROJECTS", project="OPS")

    reconcile(loop.runtime.engine, loop.runtime.settings)

    assert problem(loop).jira_fix_version == "9.0"
    skipped = [r for r in every_log_record if r.getMessage() == "reconcile.project_unreadable"]
    assert [getattr(r, "project", None) for r in skipped] == ["OPS"]


# -- the webhook of a linked project's version ------------------------------------------------


def test_a_release_in_a_linked_project_ships_by_its_webhook(make_loop):
    """Before: the signed `jira:version_released` of OPS was dropped as another project's,
    so the problem waited in in_progress for the next reconcile pass (five minutes by
    default) before any agent was told."""
    loop = make_loop(shipped_when="released")
    p, _ = in_ops_version(loop, "9.0")
    assert problem(loop).status == "in_progress"

    loop.sandbox.release_version("9.0", project="OPS")  # its webhook reaches us; no pass

    shipped_in_9(loop, p.id)


def test_a_rename_in_a_linked_project_reaches_the_drafts_by_its_webhook(make_loop):
    loop = make_loop()
    p, _ = in_ops_version(loop, "9.0-rc")
    assert (problem(loop).status, problem(loop).jira_fix_version) == ("shipped", "9.0-rc")

    loop.sandbox.rename_version("9.0-rc", "9.0", project="OPS")  # its webhook; no pass

    assert problem(loop).jira_fix_version == "9.0"
    assert all("in version 9.0," in d for d in drafts(loop, p.id))


def test_a_project_no_problem_is_linked_to_still_costs_no_jira_call(make_loop):
    """With a problem linked to an OPS issue, a version event of MKT (no problem's) is
    dropped: at most OPS's id is asked of Jira, once, and then nothing."""
    loop = make_loop(shipped_when="released")
    in_ops_version(loop, "9.0")
    loop.sandbox.state.add_project("MKT")
    loop.sandbox.create_version("1.0", project="MKT")
    loop.sandbox.create_version("1.1", project="MKT")
    loop.sandbox.reset_calls()

    loop.sandbox.release_version("1.0", project="MKT")
    asked = [(c.method, c.path) for c in loop.sandbox.calls]
    assert set(asked) <= {("GET", "/rest/api/2/project/PROD"), ("GET", "/rest/api/2/project/OPS")}
    loop.sandbox.reset_calls()
    loop.sandbox.release_version("1.1", project="MKT")
    assert loop.sandbox.calls == []
    assert not releases.any_due(loop.runtime.engine)
