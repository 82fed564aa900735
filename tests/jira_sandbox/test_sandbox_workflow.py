"""Comments, remote links, issue links, transitions and versions through the `jira` library."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from jira import JIRA, JIRAError

from jira_sandbox import JiraSandbox

Bug = Callable[..., dict[str, Any]]


def test_comments_are_added_and_listed(jira: JIRA, sandbox: JiraSandbox, bug: Bug) -> None:
    issue = jira.create_issue(fields=bug())

    added = jira.add_comment(issue.key, "Acme: blocks their month-end close")

    assert added.body == "Acme: blocks their month-end close"
    assert added.self.endswith(f"/rest/api/2/issue/{issue.id}/comment/{added.id}")
    assert [c.body for c in jira.comments(issue.key)] == ["Acme: blocks their month-end close"]
    assert sandbox.comments(issue.key)[0]["author"]["emailAddress"] == "bot@example.com"


def test_empty_comment_is_rejected(jira: JIRA, bug: Bug) -> None:
    issue = jira.create_issue(fields=bug())

    with pytest.raises(JIRAError) as caught:
        jira.add_comment(issue.key, "  ")

    assert caught.value.status_code == 400


def test_remote_link_with_global_id_is_upserted(jira: JIRA, sandbox: JiraSandbox, bug: Bug) -> None:
    issue = jira.create_issue(fields=bug())
    target = {"url": "http://vr.local/problems/7", "title": "Problem 7 (3 customers)"}

    # add_remote_link first GETs /rest/applinks/latest/listApplicationlinks, which the
    # sandbox (like Jira for non-admins) refuses; the library only warns.
    with pytest.warns(Warning, match="applicationlinks"):
        first = jira.add_remote_link(issue.key, target, globalId="voice-router:problem:7")
        again = jira.add_remote_link(
            issue.key,
            {**target, "title": "Problem 7 (4 customers)"},
            globalId="voice-router:problem:7",
        )

    assert first.id == again.id
    links = jira.remote_links(issue.key)
    assert [(link.globalId, link.object.title) for link in links] == [
        ("voice-router:problem:7", "Problem 7 (4 customers)")
    ]
    assert sandbox.count_calls("POST", r"/rest/api/2/issue/PROD-1/remotelink") == 2


def test_simple_link_without_global_id_adds_a_new_link_each_time(
    jira: JIRA, sandbox: JiraSandbox, bug: Bug
) -> None:
    issue = jira.create_issue(fields=bug())
    target = {"url": "http://vr.local/problems/7", "title": "Problem 7"}

    jira.add_simple_link(issue.key, target)
    jira.add_simple_link(issue.key, target)

    assert len(sandbox.remote_links(issue.key)) == 2


def test_issue_link_shows_on_both_issues(jira: JIRA, bug: Bug) -> None:
    first = jira.create_issue(fields=bug("First"))
    second = jira.create_issue(fields=bug("Second"))

    answer = jira.create_issue_link("Relates", first.key, second.key)

    assert answer.status_code == 201
    assert jira.issue(first.key).fields.issuelinks[0].outwardIssue.key == second.key
    assert jira.issue(second.key).fields.issuelinks[0].inwardIssue.key == first.key


def test_unknown_link_type_is_a_404(jira: JIRA, bug: Bug) -> None:
    first = jira.create_issue(fields=bug("First"))

    with pytest.raises(JIRAError) as caught:
        jira.create_issue_link("Frobnicates", first.key, first.key)

    assert caught.value.status_code == 404


def test_transition_to_done_sets_resolution_and_reopen_clears_it(jira: JIRA, bug: Bug) -> None:
    issue = jira.create_issue(fields=bug())

    assert {t["name"] for t in jira.transitions(issue.key)} == {"In Progress", "Done", "Won't Do"}
    jira.transition_issue(issue.key, "Done")
    done = jira.issue(issue.key)
    jira.transition_issue(issue.key, "To Do")
    reopened = jira.issue(issue.key)

    assert done.fields.status.statusCategory.key == "done"
    assert done.fields.resolution.name == "Done"
    assert done.fields.resolutiondate is not None
    assert reopened.fields.status.statusCategory.key == "new"
    assert reopened.fields.resolution is None
    assert reopened.fields.resolutiondate is None


def test_transition_with_resolution_and_comment(jira: JIRA, sandbox: JiraSandbox, bug: Bug) -> None:
    issue = jira.create_issue(fields=bug())

    jira.transition_issue(
        issue.key, "31", fields={"resolution": {"name": "Fixed"}}, comment="Shipped in 1.2"
    )

    assert jira.issue(issue.key).fields.resolution.name == "Fixed"
    assert [c["body"] for c in sandbox.comments(issue.key)] == ["Shipped in 1.2"]


def test_transition_into_the_current_status_is_not_offered(jira: JIRA, bug: Bug) -> None:
    issue = jira.create_issue(fields=bug())

    with pytest.raises(JIRAError) as caught:
        jira.transition_issue(issue.key, "To Do")

    assert "Invalid transition name" in str(caught.value)


def test_unknown_transition_id_is_a_400(jira: JIRA, bug: Bug) -> None:
    issue = jira.create_issue(fields=bug())

    with pytest.raises(JIRAError) as caught:
        jira.transition_issue(issue.key, "99")

    assert caught.value.status_code == 400
    assert "not valid for this issue" in caught.value.response.json()["errorMessages"][0]


def test_person_transition_changes_state_without_a_webhook_target(
    jira: JIRA, sandbox: JiraSandbox, bug: Bug
) -> None:
    issue = jira.create_issue(fields=bug())

    sandbox.transition(issue.key, "Done", resolution="Won't Do")

    fetched = jira.issue(issue.key)
    assert fetched.fields.status.name == "Done"
    assert fetched.fields.resolution.name == "Won't Do"
    with pytest.raises(ValueError, match="already in Done"):
        sandbox.transition(issue.key, "Done")


def test_a_looped_transition_changes_the_resolution_and_keeps_the_status(
    jira: JIRA, sandbox: JiraSandbox, bug: Bug
) -> None:
    """Done as fixed, then, through a workflow's looped transition, Won't Do after all: the
    issue stays Done; its event's changelog names the resolution only."""
    issue = jira.create_issue(fields=bug())
    sandbox.transition(issue.key, "Done", resolution="Done")

    body = json.loads(sandbox.transition(issue.key, "Done", resolution="Won't Do", looped=True))

    fetched = jira.issue(issue.key)
    assert (fetched.fields.status.name, fetched.fields.resolution.name) == ("Done", "Won't Do")
    assert body["webhookEvent"] == "jira:issue_updated"
    assert [(i["field"], i["fromString"], i["toString"]) for i in body["changelog"]["items"]] == [
        ("resolution", "Done", "Won't Do")
    ]
    assert body["issue"]["fields"]["resolution"]["name"] == "Won't Do"


def test_versions_are_listed_and_settable_as_fix_version(
    jira: JIRA, sandbox: JiraSandbox, bug: Bug
) -> None:
    sandbox.create_version("1.2")
    issue = jira.create_issue(fields=bug(fixVersions=[{"name": "1.2"}]))

    sandbox.release_version("1.2")

    versions = jira.project_versions("PROD")
    assert [(v.name, v.released) for v in versions] == [("1.2", True)]
    fix = jira.issue(issue.key).fields.fixVersions[0]
    assert (fix.name, fix.released) == ("1.2", True)


def test_fix_versions_add_and_remove_operations(jira: JIRA, sandbox: JiraSandbox, bug: Bug) -> None:
    sandbox.create_version("1.2")
    sandbox.create_version("1.3")
    issue = jira.create_issue(fields=bug())

    issue.update(update={"fixVersions": [{"add": {"name": "1.2"}}, {"add": {"name": "1.3"}}]})
    issue.update(update={"fixVersions": [{"remove": {"name": "1.2"}}]})

    assert [v.name for v in issue.fields.fixVersions] == ["1.3"]
