"""Issues through the real `jira` library: create, read, edit, delete, validation errors."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import requests
from jira import JIRA, JIRAError

from jira_sandbox import JiraSandbox


def test_construction_detects_cloud_with_one_server_info_call(
    sandbox: JiraSandbox, auth: tuple[str, str]
) -> None:
    client = JIRA(server=sandbox.url, basic_auth=auth, max_retries=0, timeout=5)

    assert client._is_cloud
    assert [(c.method, c.path) for c in sandbox.calls] == [("GET", "/rest/api/2/serverInfo")]


def test_create_returns_the_issue_with_workflow_fields(
    bug: Callable[..., dict[str, Any]], jira: JIRA, sandbox: JiraSandbox
) -> None:
    issue = jira.create_issue(
        fields=bug(description="Seen by *3* customers", labels=["voice-router"])
    )

    assert issue.key == "PROD-1"
    assert issue.fields.summary == "Checkout crashes on save"
    assert issue.fields.description == "Seen by *3* customers"
    assert issue.fields.labels == ["voice-router"]
    assert issue.fields.status.name == "To Do"
    assert issue.fields.status.statusCategory.key == "new"
    assert issue.fields.resolution is None
    assert issue.fields.fixVersions == []
    assert issue.fields.issuetype.name == "Bug"
    assert issue.fields.project.key == "PROD"
    assert issue.fields.customfield_10050 is None
    assert sandbox.count_calls("POST", r"/rest/api/2/issue") == 1


def test_self_url_is_by_id_and_updates_go_there(
    bug: Callable[..., dict[str, Any]], jira: JIRA, sandbox: JiraSandbox
) -> None:
    issue = jira.create_issue(fields=bug())
    sandbox.reset_calls()

    issue.update(fields={"summary": "Checkout crashes when saving a card"})

    assert issue.self.endswith(f"/rest/api/2/issue/{issue.id}")
    assert sandbox.count_calls("PUT", rf"/rest/api/2/issue/{issue.id}") == 1
    assert issue.fields.summary == "Checkout crashes when saving a card"


def test_create_with_string_project_and_type_looks_both_up(
    jira: JIRA, sandbox: JiraSandbox
) -> None:
    issue = jira.create_issue(project="PROD", issuetype="Bug", summary="By name")

    assert issue.fields.issuetype.name == "Bug"
    assert sandbox.count_calls("GET", r"/rest/api/2/project/[^/]+") == 2


def test_custom_number_field_is_stored_and_found_by_name(
    bug: Callable[..., dict[str, Any]], jira: JIRA
) -> None:
    issue = jira.create_issue(fields=bug(customfield_10050=3))
    issue.update(fields={"customfield_10050": 7})

    assert issue.fields.customfield_10050 == 7
    field_ids = {f["name"]: f["id"] for f in jira.fields()}
    assert field_ids["Customer impact"] == "customfield_10050"


def test_labels_add_and_remove_operations(bug: Callable[..., dict[str, Any]], jira: JIRA) -> None:
    issue = jira.create_issue(fields=bug(labels=["voice-router", "vr-problem-1"]))

    issue.update(update={"labels": [{"add": "shipped"}, {"remove": "vr-problem-1"}]})

    assert issue.fields.labels == ["shipped", "voice-router"]


def test_list_kwarg_form_of_update_is_rejected_like_jira(
    bug: Callable[..., dict[str, Any]], jira: JIRA
) -> None:
    issue = jira.create_issue(fields=bug())

    with pytest.raises(JIRAError) as caught:
        issue.update(labels=["a", "b"])  # the library sends {"update": {"labels": ["a", "b"]}}

    assert caught.value.status_code == 400


def test_every_change_bumps_updated(
    bug: Callable[..., dict[str, Any]], jira: JIRA, sandbox: JiraSandbox
) -> None:
    issue = jira.create_issue(fields=bug())
    seen = [issue.fields.updated]

    issue.update(fields={"description": "more detail"})
    seen.append(issue.fields.updated)
    jira.add_comment(issue.key, "Acme is affected too")
    seen.append(jira.issue(issue.key).fields.updated)
    jira.add_simple_link(issue.key, {"url": "http://vr.local/problems/1", "title": "Problem 1"})
    seen.append(jira.issue(issue.key).fields.updated)

    assert seen == sorted(seen)
    assert len(set(seen)) == len(seen)


def test_edit_and_comment_in_one_request(
    bug: Callable[..., dict[str, Any]], jira: JIRA, sandbox: JiraSandbox
) -> None:
    issue = jira.create_issue(fields=bug())

    issue.update(
        fields={"summary": "Renamed"},
        update={"comment": [{"add": {"body": "Renamed after triage"}}]},
    )

    assert [c["body"] for c in sandbox.comments(issue.key)] == ["Renamed after triage"]


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"summary": "Two\nlines"}, "summary", "newline"),
        ({"summary": None}, "summary", "summary"),
        ({"summary": "x" * 256}, "summary", "255"),
        ({"project": {"key": "NOPE"}}, "project", "valid project"),
        ({"issuetype": {"name": "Saga"}}, "issuetype", "invalid"),
        ({"customfield_99999": 1}, "customfield_99999", "cannot be set"),
        ({"customfield_10050": "many"}, "customfield_10050", "number"),
        ({"labels": ["two words"]}, "labels", "spaces"),
        ({"fixVersions": [{"name": "9.9"}]}, "fixVersions", "not valid"),
        ({"status": {"name": "Done"}}, "status", "cannot be set"),
    ],
)
def test_invalid_creates_get_jira_field_errors(
    jira: JIRA,
    sandbox: JiraSandbox,
    bug: Callable[..., dict[str, Any]],
    overrides: dict[str, Any],
    field: str,
    message: str,
) -> None:
    fields = {k: v for k, v in {**bug(), **overrides}.items() if v is not None}

    with pytest.raises(JIRAError) as caught:
        jira.create_issue(fields=fields)

    assert caught.value.status_code == 400
    body = caught.value.response.json()
    assert set(body) == {"errorMessages", "errors"}
    assert message in body["errors"][field]
    assert sandbox.issues() == []


def test_missing_issue_is_a_jira_404(jira: JIRA) -> None:
    with pytest.raises(JIRAError) as caught:
        jira.issue("PROD-404")

    assert caught.value.status_code == 404
    assert caught.value.response.json() == {
        "errorMessages": ["Issue does not exist or you do not have permission to see it."],
        "errors": {},
    }


def test_delete_removes_the_issue(
    bug: Callable[..., dict[str, Any]], jira: JIRA, sandbox: JiraSandbox
) -> None:
    issue = jira.create_issue(fields=bug())

    issue.delete()

    assert sandbox.issues() == []
    with pytest.raises(KeyError):
        sandbox.issue(issue.key)


def test_fields_selection_on_get(
    bug: Callable[..., dict[str, Any]], sandbox: JiraSandbox, jira: JIRA
) -> None:
    issue = jira.create_issue(fields=bug(labels=["a"]))

    raw = jira.issue(issue.key, fields="summary,labels").raw

    assert set(raw["fields"]) == {"summary", "labels"}


def test_rest_v3_paths_serve_the_same_issue_with_v3_self_urls(
    bug: Callable[..., dict[str, Any]], jira: JIRA, sandbox: JiraSandbox, auth: tuple[str, str]
) -> None:
    issue = jira.create_issue(fields=bug())

    raw = requests.get(f"{sandbox.url}/rest/api/3/issue/{issue.key}", auth=auth, timeout=5)

    assert raw.status_code == 200
    assert raw.json()["self"].endswith(f"/rest/api/3/issue/{issue.id}")
    assert raw.json()["fields"]["summary"] == issue.fields.summary


def test_v3_rejects_a_plain_string_description(
    bug: Callable[..., dict[str, Any]], sandbox: JiraSandbox, auth: tuple[str, str]
) -> None:
    raw = requests.post(
        f"{sandbox.url}/rest/api/3/issue",
        json={"fields": bug(description="wiki text")},
        auth=auth,
        timeout=5,
    )

    assert raw.status_code == 400
    assert "Atlassian Document" in raw.json()["errors"]["description"]


def test_put_with_return_issue_answers_the_updated_issue(
    bug: Callable[..., dict[str, Any]], jira: JIRA, sandbox: JiraSandbox, auth: tuple[str, str]
) -> None:
    issue = jira.create_issue(fields=bug())

    raw = requests.put(
        f"{sandbox.url}/rest/api/2/issue/{issue.key}?returnIssue=true",
        json={"fields": {"summary": "Renamed"}},
        auth=auth,
        timeout=5,
    )

    assert raw.status_code == 200
    assert raw.json()["fields"]["summary"] == "Renamed"


def test_a_body_that_is_not_declared_json_is_refused(
    sandbox: JiraSandbox, auth: tuple[str, str]
) -> None:
    raw = requests.post(
        f"{sandbox.url}/rest/api/2/issue",
        data=b'{"fields": {}}',
        headers={"Content-Type": "text/plain"},
        auth=auth,
        timeout=5,
    )

    assert raw.status_code == 415
    assert sandbox.issues() == []
