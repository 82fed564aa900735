"""The reconcile pass's catch-up of fix versions whose webhooks were lost, when nothing is
to be caught up: a pass with nothing changed makes no search for a problem's issue, whatever
its fix version is called and wherever the issue lives; and an unrelease that leaves the
drafts naming a version no longer released is caught up under `shipped_when = "done"` too."""

from __future__ import annotations

import pytest
import requests
from sqlmodel import Session

from tests.jira_sync.conftest import EMAIL, TOKEN
from tests.shipping.test_close_the_loop import problem, seed
from tests.shipping.test_version_changes import drafts, labelled_searches, shipped_in
from tests.support import token
from voice_router.models import Problem
from voice_router.tracker.reconcile import reconcile

pytestmark = pytest.mark.usefixtures("jira_openapi_check")


def file_in_ops(sandbox) -> str:  # type: ignore[no-untyped-def]
    """An issue a person filed in project OPS; its key."""
    fields = {"project": {"key": "OPS"}, "issuetype": {"name": "Bug"}, "summary": "Login loop"}
    response = requests.post(
        f"{sandbox.url}/rest/api/2/issue", json={"fields": fields}, auth=(EMAIL, TOKEN), timeout=5
    )
    assert response.status_code == 201, response.text
    return str(response.json()["key"])


def passes(loop, times: int = 2) -> None:  # type: ignore[no-untyped-def]
    for _ in range(times):
        reconcile(loop.runtime.engine, loop.runtime.settings)


@pytest.mark.parametrize("shipped_when", ["done", "released"])
def test_a_version_name_holding_a_comma_is_not_searched_again_each_pass(make_loop, shipped_when):
    """The stored text ("2.4, hotfix, 2.5") was split on ", " and its pieces matched no
    version: the issue was read again by its label on every pass, to no effect."""
    loop = make_loop(shipped_when=shipped_when)
    p = seed(loop)
    released = shipped_when == "released"
    loop.sandbox.create_version("2.4, hotfix", released=released)
    loop.sandbox.create_version("2.5", released=released)
    loop.sandbox.edit(p.jira_key, {"fixVersions": [{"name": "2.4, hotfix"}, {"name": "2.5"}]})
    loop.sandbox.transition(p.jira_key, "Done", resolution="Done")
    assert (problem(loop).status, problem(loop).jira_fix_version) == ("shipped", "2.4, hotfix\n2.5")
    assert all("in versions 2.4, hotfix and 2.5," in d for d in drafts(loop, p.id))
    passes(loop)
    searches = labelled_searches(loop)

    passes(loop)
    assert labelled_searches(loop) == searches  # nothing changed: no issue read again

    loop.sandbox.rename_version("2.4, hotfix", "2.4.1", send=False)  # its webhook lost
    passes(loop)
    assert problem(loop).jira_fix_version == "2.4.1\n2.5"  # still caught up, once
    assert labelled_searches(loop) == searches + 1


@pytest.mark.parametrize("shipped_when", ["done", "released"])
def test_an_issue_in_another_project_is_searched_for_as_the_projects_own_are(
    make_loop, shipped_when
):
    """Searched for in its own project, never in the configured one (where it was searched
    for on every pass and never found). With nothing to catch up it is not searched again
    ("done"); Done and waiting for its version's release it is, once a pass, as an issue of
    the configured project is: that search is what finds a release whose webhook was lost
    (the rule changed on purpose: before, another project's issue was never looked at)."""
    loop = make_loop(shipped_when=shipped_when)
    p = seed(loop)
    loop.sandbox.state.add_project("OPS")
    loop.sandbox.create_version("9.0", project="OPS")
    ops = file_in_ops(loop.sandbox)
    linked = loop.client.post(
        f"/api/v1/problems/{p.id}/jira", json={"key": ops}, headers=token(loop.runtime, "pm")
    )
    assert linked.status_code == 200, linked.get_json()
    loop.sandbox.edit(ops, {"fixVersions": [{"name": "9.0"}]})
    loop.sandbox.transition(ops, "Done", resolution="Done")
    assert problem(loop).jira_fix_version == "9.0"
    assert problem(loop).status == ("shipped" if shipped_when == "done" else "in_progress")
    searches = labelled_searches(loop)

    passes(loop, 3)
    assert labelled_searches(loop) == searches + (3 if shipped_when == "released" else 0)
    looked_in = {c.query for c in loop.sandbox.calls if "labels+in" in c.query}
    assert all("project+%3D+%22OPS%22" in q for q in looked_in), looked_in


def test_a_lost_unrelease_of_the_only_released_version_reaches_the_drafts_under_done(make_loop):
    """The issue is in 2.4.0 and 2.3.9, 2.3.9 released: the drafts name the released one.
    2.3.9 unreleased with its webhook lost, each pass took "2.3.9" for all the issue's
    versions, unreleased, and the drafts said "the fix went out in version 2.3.9" for good."""
    loop = make_loop()
    p = shipped_in(loop, "2.4.0", "done")
    loop.sandbox.create_version("2.3.9", released=True)
    loop.sandbox.edit(p.jira_key, {"fixVersions": [{"name": "2.4.0"}, {"name": "2.3.9"}]})
    assert problem(loop).jira_fix_version == "2.3.9"
    passes(loop)
    searches = labelled_searches(loop)

    loop.sandbox.unrelease_version("2.3.9", send=False)  # its webhook lost
    passes(loop)

    assert problem(loop).status == "shipped"  # Done ships it, whatever the versions say
    assert problem(loop).jira_fix_version == "2.4.0\n2.3.9"
    assert all("in versions 2.4.0 and 2.3.9," in d for d in drafts(loop, p.id))
    assert labelled_searches(loop) == searches + 1  # caught up once, then quiet


def test_versions_stored_joined_by_commas_before_the_upgrade_are_read_again_once(make_loop):
    """Names stored before they were kept one a line ("2.4.0, 2.5.0") cannot be told apart
    again: the next pass reads the issue once, and the drafts name each version."""
    loop = make_loop()
    p = seed(loop)
    for name in ("2.4.0", "2.5.0"):
        loop.sandbox.create_version(name)
    loop.sandbox.edit(p.jira_key, {"fixVersions": [{"name": "2.4.0"}, {"name": "2.5.0"}]})
    loop.sandbox.transition(p.jira_key, "Done", resolution="Done")
    with Session(loop.runtime.engine) as session:  # as an older version stored it
        stored = session.get(Problem, p.id)
        assert stored is not None
        stored.jira_fix_version = "2.4.0, 2.5.0"
        session.add(stored)
        session.commit()
    assert all("in version 2.4.0, 2.5.0," in d for d in drafts(loop, p.id))
    searches = labelled_searches(loop)

    passes(loop)

    assert problem(loop).jira_fix_version == "2.4.0\n2.5.0"
    assert all("in versions 2.4.0 and 2.5.0," in d for d in drafts(loop, p.id))
    assert labelled_searches(loop) == searches + 1  # read again once, then quiet
