"""Webhooks the sandbox sends: real HTTP POSTs, signed, shaped like the captured fixtures."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from jira import JIRA
from pytest_httpserver import HTTPServer
from werkzeug import Request

from jira_sandbox import JiraSandbox

pytestmark = pytest.mark.usefixtures("jira_openapi_check")

Bug = Callable[..., dict[str, Any]]
FIXTURES = Path(__file__).parents[1] / "fixtures" / "jira"
SECRET = "whsec-test"
HOOK = "/webhooks/jira"


def fixture(name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / name).read_text())


def received(httpserver: HTTPServer) -> list[Request]:
    return [request for request, _ in httpserver.log]


def body_of(request: Request) -> dict[str, Any]:
    return json.loads(request.get_data())


def signature_ok(request: Request, secret: str = SECRET) -> bool:
    expected = "sha256=" + hmac.new(secret.encode(), request.get_data(), hashlib.sha256).hexdigest()
    return hmac.compare_digest(request.headers["X-Hub-Signature"], expected)


@pytest.fixture
def hooked(sandbox: JiraSandbox, httpserver: HTTPServer) -> JiraSandbox:
    httpserver.expect_request(HOOK, method="POST").respond_with_data("", status=202)
    sandbox.register_webhook(httpserver.url_for(HOOK), SECRET)
    return sandbox


def test_person_moving_an_issue_to_done_sends_a_signed_issue_updated(
    hooked: JiraSandbox, jira: JIRA, httpserver: HTTPServer, bug: Bug
) -> None:
    issue = jira.create_issue(fields=bug(labels=["voice-router"]))

    hooked.transition(issue.key, "Done", resolution="Fixed")

    (request,) = received(httpserver)
    payload = body_of(request)
    assert signature_ok(request)
    assert request.headers["X-Atlassian-Webhook-Identifier"]
    assert payload["webhookEvent"] == "jira:issue_updated"
    assert payload["issue"]["key"] == issue.key
    assert payload["issue"]["self"].endswith(f"/rest/api/2/issue/{issue.id}")
    fields = payload["issue"]["fields"]
    assert fields["status"]["statusCategory"]["key"] == "done"
    assert fields["resolution"]["name"] == "Fixed"
    assert fields["labels"] == ["voice-router"]
    assert [
        (i["field"], i["fromString"], i["toString"]) for i in payload["changelog"]["items"]
    ] == [
        ("resolution", None, "Fixed"),
        ("status", "To Do", "Done"),
    ]
    assert hooked.deliveries[0].status == 202


def test_done_payload_has_the_shape_of_the_captured_fixture(
    hooked: JiraSandbox, jira: JIRA, httpserver: HTTPServer, bug: Bug
) -> None:
    captured = fixture("jira_issue_updated__status_done_resolution_set_mattermost.json")
    issue = jira.create_issue(fields=bug())

    payload = json.loads(hooked.transition(issue.key, "Done"))

    assert set(payload) == set(captured)
    assert set(payload["issue"]) >= {"id", "key", "self", "fields"}
    ours, theirs = payload["issue"]["fields"], captured["issue"]["fields"]
    for name in ("status", "resolution", "issuetype", "project", "priority", "fixVersions"):
        assert name in ours
    assert set(ours["status"]) <= set(theirs["status"])
    assert set(ours["status"]["statusCategory"]) == set(theirs["status"]["statusCategory"])
    assert set(ours["resolution"]) == set(theirs["resolution"])
    assert f"/rest/api/2/resolution/{ours['resolution']['id']}" in ours["resolution"]["self"]
    for item in payload["changelog"]["items"]:
        assert set(item) == set(captured["changelog"]["items"][0])
    assert set(payload["user"]) <= set(captured["user"]) | {"accountType"}


def test_reopen_clears_the_resolution_like_the_reopened_fixture(
    hooked: JiraSandbox, jira: JIRA, bug: Bug
) -> None:
    captured = fixture("jira_issue_updated__reopened_resolution_cleared_mattermost.json")
    issue = jira.create_issue(fields=bug())
    hooked.transition(issue.key, "Done")

    payload = json.loads(hooked.transition(issue.key, "To Do"))

    assert payload["issue"]["fields"]["resolution"] is None
    assert [(i["field"], i["to"], i["toString"]) for i in payload["changelog"]["items"]] == [
        ("resolution", None, None),
        ("status", "10001", "To Do"),
    ]
    assert [i["field"] for i in captured["changelog"]["items"]] == ["resolution", "status"]


def test_label_edit_by_a_person_reports_space_separated_labels(
    hooked: JiraSandbox, jira: JIRA, bug: Bug
) -> None:
    issue = jira.create_issue(fields=bug(labels=["bad", "test-label"]))

    payload = json.loads(
        hooked.edit(issue.key, update={"labels": [{"remove": "bad"}, {"add": "sad"}]})
    )

    (item,) = payload["changelog"]["items"]
    assert (item["field"], item["fromString"], item["toString"]) == (
        "labels",
        "bad test-label",
        "sad test-label",
    )


def test_release_version_sends_version_released_like_the_fixture(
    hooked: JiraSandbox, httpserver: HTTPServer
) -> None:
    captured = fixture("jira_version_released__putit.json")
    hooked.create_version("1.2")

    hooked.release_version("1.2")

    (request,) = received(httpserver)  # version_created is not subscribed by default
    payload = body_of(request)
    assert signature_ok(request)
    assert set(payload) == set(captured)
    assert payload["webhookEvent"] == "jira:version_released"
    assert set(payload["version"]) <= set(captured["version"]) | {"releaseDate"}
    assert payload["version"]["name"] == "1.2"
    assert payload["version"]["released"] is True


def test_delete_sends_issue_deleted_like_the_fixture(
    hooked: JiraSandbox, jira: JIRA, httpserver: HTTPServer, bug: Bug
) -> None:
    captured = fixture("jira_issue_deleted__mattermost.json")
    issue = jira.create_issue(fields=bug())

    hooked.delete_issue(issue.key)

    payload = body_of(received(httpserver)[0])
    assert set(payload) == set(captured)
    assert payload["issue"]["key"] == issue.key
    assert hooked.issues() == []


def test_payloads_can_be_replayed_as_duplicates_and_out_of_order(
    hooked: JiraSandbox, jira: JIRA, httpserver: HTTPServer, bug: Bug
) -> None:
    issue = jira.create_issue(fields=bug())
    done = hooked.transition(issue.key, "Done", send=False)
    reopened = hooked.transition(issue.key, "To Do", send=False)
    assert received(httpserver) == []

    hooked.send_webhook(reopened)
    first = hooked.send_webhook(done)
    retry = hooked.send_webhook(done, identifier=first.identifier, retry=1)

    requests = received(httpserver)
    events = [body_of(r)["changelog"]["items"][-1]["toString"] for r in requests]
    assert events == ["To Do", "Done", "Done"]
    ids = [r.headers["X-Atlassian-Webhook-Identifier"] for r in requests]
    assert ids[1] == ids[2] != ids[0]
    assert requests[2].headers["X-Atlassian-Webhook-Retry"] == "1"
    assert retry.ok


def test_webhook_payload_builds_bodies_for_the_current_state(
    hooked: JiraSandbox, jira: JIRA, httpserver: HTTPServer, bug: Bug
) -> None:
    issue = jira.create_issue(fields=bug())

    body = hooked.webhook_payload("jira:issue_updated", issue.key)

    assert json.loads(body)["issue"]["key"] == issue.key
    assert received(httpserver) == []


def test_wrong_secret_override_gives_a_bad_signature(
    hooked: JiraSandbox, jira: JIRA, httpserver: HTTPServer, bug: Bug
) -> None:
    issue = jira.create_issue(fields=bug())

    hooked.send_webhook(hooked.webhook_payload("jira:issue_updated", issue.key), secret="nope")

    assert not signature_ok(received(httpserver)[0])


def test_api_changes_are_delivered_in_the_background_when_asked(
    sandbox: JiraSandbox, jira: JIRA, httpserver: HTTPServer, bug: Bug
) -> None:
    httpserver.expect_request(HOOK, method="POST").respond_with_data("", status=202)
    sandbox.register_webhook(httpserver.url_for(HOOK), SECRET, api_changes=True)

    issue = jira.create_issue(fields=bug())
    issue.update(fields={"summary": "Renamed by voice-router"})
    assert sandbox.flush_webhooks(timeout=5)

    payloads = [body_of(r) for r in received(httpserver)]
    assert [p["webhookEvent"] for p in payloads] == ["jira:issue_created", "jira:issue_updated"]
    assert payloads[1]["user"]["emailAddress"] == "bot@example.com"
    assert payloads[1]["changelog"]["items"][0]["toString"] == "Renamed by voice-router"


def test_api_changes_are_not_delivered_by_default(
    hooked: JiraSandbox, jira: JIRA, httpserver: HTTPServer, bug: Bug
) -> None:
    jira.create_issue(fields=bug())

    assert hooked.flush_webhooks(timeout=5)
    assert received(httpserver) == []
    assert [e.name for e in hooked.events] == ["jira:issue_created"]


def test_only_subscribed_events_are_sent(
    sandbox: JiraSandbox, jira: JIRA, httpserver: HTTPServer, bug: Bug
) -> None:
    httpserver.expect_request(HOOK, method="POST").respond_with_data("", status=202)
    sandbox.register_webhook(httpserver.url_for(HOOK), SECRET, events=["jira:version_released"])
    issue = jira.create_issue(fields=bug())

    sandbox.transition(issue.key, "Done")

    assert received(httpserver) == []


def test_an_unreachable_target_is_recorded_not_raised(bug: Bug) -> None:
    with JiraSandbox() as sandbox:
        sandbox.register_webhook("http://127.0.0.1:9/nowhere", SECRET, timeout=1)
        client = JIRA(server=sandbox.url, basic_auth=("bot@example.com", "t0k"), max_retries=0)
        issue = client.create_issue(fields=bug())

        sandbox.transition(issue.key, "Done")

        (delivery,) = sandbox.deliveries
        assert delivery.status is None
        assert delivery.error
