"""Data Center mode: what Jira Data Center / Server 9.x-10.x answers, as the `jira` library
meets it with a personal access token."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
import requests
from jira import JIRA
from pytest_httpserver import HTTPServer

from jira_sandbox import JiraSandbox, sign

pytestmark = pytest.mark.usefixtures("jira_openapi_check")

Bug = Callable[..., dict[str, Any]]
EMAIL, PAT = "bot@example.com", "pat-0123456789"


@pytest.fixture
def dc() -> Iterator[JiraSandbox]:
    with JiraSandbox(EMAIL, PAT, "PROD", deployment="datacenter") as running:
        yield running


@pytest.fixture
def client(dc: JiraSandbox) -> JIRA:
    return JIRA(server=dc.url, token_auth=PAT, max_retries=0, timeout=5)


def bearer(token: str = PAT) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_server_info_says_server_with_a_version(dc: JiraSandbox, client: JIRA) -> None:
    info = requests.get(f"{dc.url}/rest/api/2/serverInfo", timeout=5).json()

    assert info["deploymentType"] == "Server"
    assert info["versionNumbers"] == [9, 12, 15]
    assert client.deploymentType == "Server"
    assert not client._is_cloud


def test_another_release_reports_its_own_version() -> None:
    with JiraSandbox(EMAIL, PAT, deployment="datacenter", server_version="10.3.4") as ten:
        info = requests.get(f"{ten.url}/rest/api/2/serverInfo", timeout=5).json()

    assert (info["version"], info["versionNumbers"]) == ("10.3.4", [10, 3, 4])


def test_the_library_searches_with_the_classic_search(
    dc: JiraSandbox, client: JIRA, bug: Bug
) -> None:
    created = [
        client.create_issue(fields=bug(f"P{n}", labels=["voice-router"]), prefetch=False).key
        for n in range(3)
    ]
    dc.reset_calls()

    found = client.search_issues('labels = "voice-router"', maxResults=2)

    assert len(found) == 2
    assert {i.key for i in found} <= set(created)
    assert dc.count_calls("GET", r"/rest/api/2/search") >= 1
    assert dc.count_calls("*", r".*/search/jql") == 0


def test_classic_search_pages_by_start_at_with_a_total(
    dc: JiraSandbox, client: JIRA, bug: Bug
) -> None:
    for n in range(3):
        client.create_issue(fields=bug(f"P{n}"), prefetch=False)

    page = requests.post(
        f"{dc.url}/rest/api/2/search",
        json={"jql": "project = PROD ORDER BY key ASC", "startAt": 1, "maxResults": 1},
        headers=bearer(),
        timeout=5,
    ).json()

    assert (page["startAt"], page["maxResults"], page["total"]) == (1, 1, 3)
    assert [i["key"] for i in page["issues"]] == ["PROD-2"]


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/rest/api/2/search/jql?jql=project%20%3D%20PROD"),
        ("POST", "/rest/api/2/search/approximate-count"),
        ("GET", "/rest/api/3/issue/PROD-1"),
        ("GET", "/rest/api/3/serverInfo"),
    ],
)
def test_cloud_only_endpoints_do_not_exist(dc: JiraSandbox, method: str, path: str) -> None:
    body = {"jql": "project = PROD"} if method == "POST" else None
    answer = requests.request(method, dc.url + path, json=body, headers=bearer(), timeout=5)

    assert answer.status_code == 404


def test_personal_access_tokens_and_basic_auth_are_accepted(dc: JiraSandbox) -> None:
    url = f"{dc.url}/rest/api/2/myself"

    assert requests.get(url, headers=bearer(), timeout=5).status_code == 200
    assert requests.get(url, auth=("bot", PAT), timeout=5).status_code == 200
    assert requests.get(url, headers=bearer("wrong"), timeout=5).status_code == 401


def test_cloud_refuses_a_bearer_api_token(sandbox: JiraSandbox) -> None:
    answer = requests.get(f"{sandbox.url}/rest/api/2/myself", headers=bearer("t0k"), timeout=5)

    assert answer.status_code == 401


def test_descriptions_and_comments_are_wiki_markup_strings(
    dc: JiraSandbox, client: JIRA, bug: Bug
) -> None:
    key = client.create_issue(
        fields=bug(description="h2. Impact\n* *12* customers"), prefetch=False
    ).key
    client.add_comment(key, "{quote}A business note{quote}")
    adf = {"type": "doc", "version": 1, "content": []}

    refused = requests.put(
        f"{dc.url}/rest/api/2/issue/{key}",
        json={"fields": {"description": adf}},
        headers=bearer(),
        timeout=5,
    )

    assert client.issue(key).fields.description == "h2. Impact\n* *12* customers"
    assert dc.comments(key)[0]["body"] == "{quote}A business note{quote}"
    assert refused.status_code == 400
    assert refused.json()["errors"] == {"description": "Operation value must be a string"}


def test_the_too_long_message_has_data_centers_number_format(
    dc: JiraSandbox, client: JIRA, bug: Bug
) -> None:
    key = client.create_issue(fields=bug(), prefetch=False).key

    answer = requests.post(
        f"{dc.url}/rest/api/2/issue/{key}/comment",
        json={"body": "x" * 40_000},
        headers=bearer(),
        timeout=5,
    )

    assert answer.json()["errors"] == {
        "comment": "The entered text is too long. It exceeds the allowed limit of 32767 characters."
    }


@pytest.mark.parametrize("secret", ["dc-secret", None], ids=["signed", "unsigned"])
def test_webhooks_with_and_without_a_secret(
    dc: JiraSandbox, client: JIRA, bug: Bug, httpserver: HTTPServer, secret: str | None
) -> None:
    httpserver.expect_request("/webhooks/jira").respond_with_data("", status=202)
    url = httpserver.url_for("/webhooks/jira") + "?token=url-secret"
    key = client.create_issue(fields=bug(), prefetch=False).key
    dc.register_webhook(url, secret)

    dc.transition(key, "Done")

    (request, _), *_ = httpserver.log
    assert request.args["token"] == "url-secret"
    if secret is None:
        assert "X-Hub-Signature" not in request.headers
    else:
        assert request.headers["X-Hub-Signature"] == sign(request.get_data(), secret)
