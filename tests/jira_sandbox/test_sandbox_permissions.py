"""Project permissions per user: each missing one gets Jira's answer; tests set them through
the sandbox's controls (`grant`, `revoke`, `set_permissions`, `add_user`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import requests
from jira import JIRA, JIRAError

from jira_sandbox import JiraSandbox

pytestmark = pytest.mark.usefixtures("jira_openapi_check")

Bug = Callable[..., dict[str, Any]]
NO_NOTIFY = (
    "To discard the user notification either admin or project admin permissions are required."
)


@pytest.fixture
def key(jira: JIRA, bug: Bug) -> str:
    return jira.create_issue(fields=bug(labels=["voice-router"]), prefetch=False).key


def call(
    sandbox: JiraSandbox, auth: Any, method: str, path: str, body: Any = None
) -> requests.Response:
    return requests.request(
        method, f"{sandbox.url}/rest/api/2{path}", json=body, auth=auth, timeout=5
    )


def test_by_default_the_api_user_may_do_everything_but_administer(sandbox: JiraSandbox) -> None:
    held = sandbox.permissions()

    assert {"BROWSE_PROJECTS", "CREATE_ISSUES", "EDIT_ISSUES", "ADD_COMMENTS"} <= held
    assert {"LINK_ISSUES", "TRANSITION_ISSUES", "DELETE_ISSUES"} <= held
    assert "ADMINISTER_PROJECTS" not in held


def test_without_create_issues_a_create_is_a_403(
    sandbox: JiraSandbox, jira: JIRA, bug: Bug
) -> None:
    sandbox.revoke("CREATE_ISSUES")

    with pytest.raises(JIRAError) as caught:
        jira.create_issue(fields=bug(), prefetch=False)

    assert caught.value.status_code == 403
    assert caught.value.response.json() == {
        "errorMessages": ["You do not have permission to create issues in this project."],
        "errors": {},
    }
    assert sandbox.issues() == []


def test_without_edit_issues_an_edit_is_a_403(sandbox: JiraSandbox, auth: Any, key: str) -> None:
    sandbox.revoke("EDIT_ISSUES", project="PROD")

    answer = call(sandbox, auth, "PUT", f"/issue/{key}", {"fields": {"summary": "Renamed"}})

    assert answer.status_code == 403
    assert answer.json()["errorMessages"] == [
        "You do not have permission to edit issues in this project."
    ]
    assert sandbox.issue(key)["fields"]["summary"] == "Checkout crashes on save"


def test_notify_users_false_needs_project_admin(sandbox: JiraSandbox, auth: Any, key: str) -> None:
    edit = {"fields": {"summary": "Quietly renamed"}}

    refused = call(sandbox, auth, "PUT", f"/issue/{key}?notifyUsers=false", edit)
    sandbox.grant("ADMINISTER_PROJECTS", project="PROD")
    allowed = call(sandbox, auth, "PUT", f"/issue/{key}?notifyUsers=false", edit)

    assert refused.status_code == 403
    assert refused.json() == {"errorMessages": [NO_NOTIFY], "errors": {}}
    assert allowed.status_code == 204
    assert sandbox.issue(key)["fields"]["summary"] == "Quietly renamed"


def test_a_jira_administrator_may_also_skip_notifications(
    sandbox: JiraSandbox, auth: Any, key: str
) -> None:
    sandbox.grant("ADMINISTER")

    answer = call(sandbox, auth, "PUT", f"/issue/{key}?notifyUsers=false", {"fields": {}})

    assert answer.status_code == 204


def test_without_add_comments_a_comment_is_a_403(
    sandbox: JiraSandbox, jira: JIRA, auth: Any, key: str
) -> None:
    sandbox.revoke("ADD_COMMENTS")

    with pytest.raises(JIRAError) as caught:
        jira.add_comment(key, "A business note")
    in_edit = call(
        sandbox, auth, "PUT", f"/issue/{key}", {"update": {"comment": [{"add": {"body": "x"}}]}}
    )

    assert caught.value.status_code == 403
    assert "You do not have the permission to comment on this issue." in caught.value.text
    assert in_edit.status_code == 403
    assert sandbox.comments(key) == []


def test_without_link_issues_a_remote_link_is_a_403(
    sandbox: JiraSandbox, jira: JIRA, key: str
) -> None:
    sandbox.revoke("LINK_ISSUES")

    with pytest.raises(JIRAError) as caught:
        jira.add_simple_link(key, {"url": "https://vr.example/problems/1", "title": "Problem 1"})

    assert caught.value.status_code == 403
    assert f"No Link Issue Permission for issue '{key}'." in caught.value.text
    assert sandbox.remote_links(key) == []


def test_without_link_issues_an_issue_link_is_a_404_as_documented(
    sandbox: JiraSandbox, jira: JIRA, auth: Any, bug: Bug, key: str
) -> None:
    other = jira.create_issue(fields=bug("Other"), prefetch=False).key
    sandbox.revoke("LINK_ISSUES")
    link = {
        "type": {"name": "Duplicate"},
        "inwardIssue": {"key": other},
        "outwardIssue": {"key": key},
    }

    answer = call(sandbox, auth, "POST", "/issueLink", link)

    assert answer.status_code == 404
    assert sandbox.issue(key)["fields"]["issuelinks"] == []


def test_without_transition_issues_no_transition_is_offered_or_done(
    sandbox: JiraSandbox, auth: Any, key: str
) -> None:
    sandbox.revoke("TRANSITION_ISSUES")

    offered = call(sandbox, auth, "GET", f"/issue/{key}/transitions").json()["transitions"]
    answer = call(sandbox, auth, "POST", f"/issue/{key}/transitions", {"transition": {"id": "31"}})

    assert offered == []
    assert answer.status_code == 400
    assert sandbox.issue(key)["fields"]["status"]["name"] == "To Do"


def test_without_browse_projects_issues_do_not_exist_for_the_user(
    sandbox: JiraSandbox, jira: JIRA, auth: Any, key: str
) -> None:
    sandbox.set_permissions({"CREATE_ISSUES"}, project="PROD")

    answer = call(sandbox, auth, "GET", f"/issue/{key}")
    found = jira.enhanced_search_issues('labels = "voice-router"')
    project = call(sandbox, auth, "GET", "/project/PROD")

    assert answer.status_code == 404
    assert answer.json()["errorMessages"] == [
        "Issue does not exist or you do not have permission to see it."
    ]
    assert list(found) == []
    assert project.status_code == 404


def test_permissions_are_per_user(sandbox: JiraSandbox, bug: Bug, key: str) -> None:
    sandbox.add_user("reader@example.com", api_token="r3ad")
    sandbox.set_permissions({"BROWSE_PROJECTS"}, user="reader@example.com")
    reader = ("reader@example.com", "r3ad")

    read = call(sandbox, reader, "GET", f"/issue/{key}")
    write = call(sandbox, reader, "POST", "/issue", {"fields": bug("By the reader")})
    bot_write = call(sandbox, ("bot@example.com", "t0k"), "POST", "/issue", {"fields": bug()})

    assert read.status_code == 200
    assert write.status_code == 403
    assert bot_write.status_code == 201


def test_a_project_grant_overrides_the_site_wide_one(sandbox: JiraSandbox) -> None:
    sandbox.state.add_project("OPS")
    sandbox.set_permissions({"BROWSE_PROJECTS"})
    sandbox.set_permissions({"BROWSE_PROJECTS", "EDIT_ISSUES"}, project="OPS")

    assert sandbox.permissions(project="OPS") == {"BROWSE_PROJECTS", "EDIT_ISSUES"}
    assert sandbox.permissions(project="PROD") == {"BROWSE_PROJECTS"}
    with pytest.raises(ValueError):
        sandbox.grant("EDIT_EVERYTHING")
