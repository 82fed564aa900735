"""Authentication, the request log, and injected failures: 429, 503, slowness, lost answers."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest
import requests
from jira import JIRA, JIRAError

from jira_sandbox import DROPPED, JiraSandbox

pytestmark = pytest.mark.usefixtures("jira_openapi_check")

Bug = Callable[..., dict[str, Any]]


def test_wrong_token_fails_construction_with_401(sandbox: JiraSandbox) -> None:
    with pytest.raises(JIRAError) as caught:
        JIRA(server=sandbox.url, basic_auth=("bot@example.com", "wrong"), max_retries=0, timeout=5)

    assert caught.value.status_code == 401
    assert caught.value.response.json()["errorMessages"]


@pytest.mark.parametrize(
    "auth", [None, ("bot@example.com", "wrong"), ("someone@example.com", "t0k")]
)
def test_requests_without_the_right_credentials_get_401(
    sandbox: JiraSandbox, auth: tuple[str, str] | None
) -> None:
    raw = requests.get(f"{sandbox.url}/rest/api/2/myself", auth=auth, timeout=5)

    assert raw.status_code == 401
    assert raw.json() == {
        "errorMessages": ["Client must be authenticated to access this resource."],
        "errors": {},
    }


def test_server_info_is_public_and_says_cloud(sandbox: JiraSandbox) -> None:
    raw = requests.get(f"{sandbox.url}/rest/api/2/serverInfo", timeout=5)

    assert raw.status_code == 200
    assert raw.json()["deploymentType"] == "Cloud"
    assert raw.json()["baseUrl"] == sandbox.url


def test_myself_is_the_api_user(jira: JIRA) -> None:
    assert jira.myself()["emailAddress"] == "bot@example.com"


def test_429_carries_retry_after_and_jira_error_shape(
    sandbox: JiraSandbox, auth: tuple[str, str]
) -> None:
    sandbox.fail_next("GET", r"/rest/api/2/myself", 429, retry_after=7)
    url = f"{sandbox.url}/rest/api/2/myself"

    limited = requests.get(url, auth=auth, timeout=5)
    after = requests.get(url, auth=auth, timeout=5)

    assert limited.status_code == 429
    assert limited.headers["Retry-After"] == "7"
    assert set(limited.json()) == {"errorMessages", "errors"}
    assert after.status_code == 200


def test_the_library_retries_a_429_with_retry_after_and_succeeds(
    sandbox: JiraSandbox, auth: tuple[str, str], bug: Bug
) -> None:
    client = JIRA(server=sandbox.url, basic_auth=auth, max_retries=1, timeout=5)
    sandbox.fail_next("POST", r"/rest/api/2/issue", 429, retry_after=0)

    issue = client.create_issue(fields=bug())  # the library sleeps 1-2 s before retrying

    assert issue.key == "PROD-1"
    assert [c.status for c in sandbox.calls if c.method == "POST"] == [429, 201]


def test_503_on_demand_for_a_number_of_requests(jira: JIRA, sandbox: JiraSandbox) -> None:
    sandbox.fail_next("GET", r"/rest/api/2/issue/.*", 503, times=2)

    for _ in range(2):
        with pytest.raises(JIRAError) as caught:
            jira.issue("PROD-1")
        assert caught.value.status_code == 503
    with pytest.raises(JIRAError) as caught:
        jira.issue("PROD-1")

    assert caught.value.status_code == 404


def test_failures_do_not_touch_state_and_a_custom_body_is_sent_verbatim(
    jira: JIRA, sandbox: JiraSandbox, bug: Bug
) -> None:
    sandbox.fail_next("POST", r"/rest/api/2/issue", 500, body={"message": "boom"})

    with pytest.raises(JIRAError) as caught:
        jira.create_issue(fields=bug())

    assert caught.value.response.json() == {"message": "boom"}
    assert sandbox.issues() == []


def test_delay_provokes_a_client_timeout_and_the_work_still_happens(
    sandbox: JiraSandbox, auth: tuple[str, str], bug: Bug
) -> None:
    client = JIRA(server=sandbox.url, basic_auth=auth, max_retries=0, timeout=0.3)
    sandbox.delay_next("POST", r"/rest/api/2/issue", seconds=1.0)

    with pytest.raises(requests.exceptions.ReadTimeout):
        client.create_issue(fields=bug())

    for _ in range(40):
        if sandbox.issues():
            break
        time.sleep(0.05)
    assert [i["key"] for i in sandbox.issues()] == ["PROD-1"]


def test_drop_after_commit_creates_the_issue_but_the_client_sees_no_answer(
    jira: JIRA, sandbox: JiraSandbox, bug: Bug
) -> None:
    sandbox.drop_after_commit_next("POST", r"/rest/api/2/issue")

    with pytest.raises(requests.exceptions.ConnectionError):
        jira.create_issue(fields=bug(labels=["vr-problem-9"]))

    assert [i["key"] for i in sandbox.issues()] == ["PROD-1"]
    assert [c.status for c in sandbox.calls if c.method == "POST"] == [DROPPED]
    found = jira.search_issues('labels = "vr-problem-9"')  # how a client recovers the key
    assert [i.key for i in found] == ["PROD-1"]


def test_drop_after_commit_in_503_mode(jira: JIRA, sandbox: JiraSandbox, bug: Bug) -> None:
    sandbox.drop_after_commit_next("POST", r"/rest/api/2/issue", mode="503")

    with pytest.raises(JIRAError) as caught:
        jira.create_issue(fields=bug())

    assert caught.value.status_code == 503
    assert len(sandbox.issues()) == 1


def test_call_log_counts_by_method_and_path(jira: JIRA, sandbox: JiraSandbox, bug: Bug) -> None:
    issue = jira.create_issue(fields=bug())
    jira.add_comment(issue.key, "one")
    jira.add_comment(issue.key, "two")

    assert sandbox.count_calls("POST", r"/rest/api/2/issue/[^/]+/comment") == 2
    assert sandbox.count_calls("*", r"/rest/api/2/issue.*") == 4  # create, reload, 2 comments
    sandbox.reset_calls()
    assert sandbox.calls == []


def test_gateway_style_context_path(auth: tuple[str, str], bug: Bug) -> None:
    with JiraSandbox(base_path="/ex/jira/11111111-2222") as gateway:
        client = JIRA(server=gateway.url, basic_auth=auth, max_retries=0, timeout=5)
        issue = client.create_issue(fields=bug())

        assert gateway.url.endswith("/ex/jira/11111111-2222")
        assert issue.self.startswith(f"{gateway.url}/rest/api/2/issue/")
        assert gateway.count_calls("POST", r"/ex/jira/11111111-2222/rest/api/2/issue") == 1
