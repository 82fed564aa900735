"""Admin webhooks with a JQL filter fire only for issues it matches; webhooks without a
secret go out unsigned."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from jira import JIRA
from pytest_httpserver import HTTPServer

from jira_sandbox import JiraSandbox

pytestmark = pytest.mark.usefixtures("jira_openapi_check")

Bug = Callable[..., dict[str, Any]]
HOOK = "/webhooks/jira"
FILTER = 'project = PROD AND labels = "voice-router"'


@pytest.fixture
def listening(httpserver: HTTPServer) -> str:
    httpserver.expect_request(HOOK, method="POST").respond_with_data("", status=202)
    return httpserver.url_for(HOOK)


def events(httpserver: HTTPServer) -> list[tuple[str, str | None]]:
    out = []
    for request, _ in httpserver.log:
        body = json.loads(request.get_data())
        out.append((body["webhookEvent"], (body.get("issue") or {}).get("key")))
    return out


def test_a_filtered_webhook_fires_only_for_matching_issues(
    sandbox: JiraSandbox, jira: JIRA, bug: Bug, listening: str, httpserver: HTTPServer
) -> None:
    ours = jira.create_issue(fields=bug("Ours", labels=["voice-router"]), prefetch=False).key
    theirs = jira.create_issue(fields=bug("Someone's own"), prefetch=False).key
    sandbox.register_webhook(listening, "s3cret", jql=FILTER)

    sandbox.transition(ours, "Done")
    sandbox.transition(theirs, "Done")

    assert events(httpserver) == [("jira:issue_updated", ours)]


def test_an_issue_enters_the_filter_when_it_gains_the_label(
    sandbox: JiraSandbox, jira: JIRA, bug: Bug, listening: str, httpserver: HTTPServer
) -> None:
    key = jira.create_issue(fields=bug("Adopted later"), prefetch=False).key
    sandbox.register_webhook(listening, "s3cret", jql=FILTER, api_changes=True)

    jira.issue(key).update(fields={"summary": "Still not ours"})
    jira.issue(key).update(update={"labels": [{"add": "voice-router"}]})
    assert sandbox.flush_webhooks()

    assert events(httpserver) == [("jira:issue_updated", key)]
    assert json.loads(httpserver.log[0][0].get_data())["changelog"]["items"][0]["field"] == (
        "labels"
    )


def test_comment_and_delete_events_follow_the_filter_but_version_events_do_not(
    sandbox: JiraSandbox, jira: JIRA, bug: Bug, listening: str, httpserver: HTTPServer
) -> None:
    theirs = jira.create_issue(fields=bug("Someone's own"), prefetch=False).key
    ours = jira.create_issue(fields=bug("Ours", labels=["voice-router"]), prefetch=False).key
    sandbox.register_webhook(
        listening,
        "s3cret",
        jql=FILTER,
        events=["jira:issue_deleted", "comment_created", "jira:version_released"],
        api_changes=True,
    )

    jira.add_comment(theirs, "not for us")
    jira.add_comment(ours, "for us")
    assert sandbox.flush_webhooks()
    sandbox.delete_issue(theirs)
    sandbox.delete_issue(ours)
    sandbox.create_version("2.0", send=False)
    sandbox.release_version("2.0")

    assert events(httpserver) == [
        ("comment_created", ours),
        ("jira:issue_deleted", ours),
        ("jira:version_released", None),
    ]


def test_an_invalid_filter_is_refused_at_registration(sandbox: JiraSandbox, listening: str) -> None:
    with pytest.raises(ValueError, match="JQL"):
        sandbox.register_webhook(listening, "s3cret", jql="project = NOPE")
    with pytest.raises(ValueError, match="JQL"):
        sandbox.register_webhook(listening, "s3cret", jql="labels = ")


def test_a_webhook_without_a_secret_is_sent_unsigned(
    sandbox: JiraSandbox, jira: JIRA, bug: Bug, listening: str, httpserver: HTTPServer
) -> None:
    key = jira.create_issue(fields=bug(), prefetch=False).key
    sandbox.register_webhook(listening)

    sandbox.transition(key, "In Progress")

    (request, _), *_ = httpserver.log
    assert "X-Hub-Signature" not in request.headers
    assert request.headers["X-Atlassian-Webhook-Identifier"]
