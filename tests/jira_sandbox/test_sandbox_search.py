"""Enhanced JQL search (`/search/jql`) through the `jira` library, and the removed `/search`."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests
from jira import JIRA, JIRAError

from jira_sandbox import JiraSandbox

Bug = Callable[..., dict[str, Any]]


def create_many(jira: JIRA, bug: Bug, count: int, **fields: Any) -> list[str]:
    return [
        jira.create_issue(fields=bug(f"Problem {n}", **fields), prefetch=False).key
        for n in range(count)
    ]


def test_fetch_all_pages_through_every_issue_once(
    jira: JIRA, sandbox: JiraSandbox, bug: Bug
) -> None:
    created = create_many(jira, bug, 120, labels=["voice-router"])
    sandbox.reset_calls()

    found = jira.search_issues('labels = "voice-router"', maxResults=False)

    assert sorted(i.key for i in found) == sorted(created)
    assert sandbox.count_calls("GET", r"/rest/api/2/search/jql") == 2  # 100 + 20


def test_next_page_tokens_chain_until_is_last(jira: JIRA, bug: Bug) -> None:
    created = create_many(jira, bug, 55, labels=["voice-router"])
    seen: list[str] = []
    token = None
    pages = []

    while True:
        page = jira.enhanced_search_issues(
            'project = PROD AND labels = "voice-router"',
            nextPageToken=token,
            maxResults=20,
            fields="summary",
            json_result=True,
        )
        pages.append((len(page["issues"]), page["isLast"]))
        seen += [i["key"] for i in page["issues"]]
        token = page.get("nextPageToken")
        if token is None:
            break

    assert pages == [(20, False), (20, False), (15, True)]
    assert sorted(seen) == sorted(created)
    assert "total" not in page


def test_default_search_returns_the_first_fifty_and_a_token(jira: JIRA, bug: Bug) -> None:
    create_many(jira, bug, 51)

    found = jira.search_issues("project = PROD")

    assert len(found) == 50
    assert found.nextPageToken


def test_post_search_matches_get_search(jira: JIRA, bug: Bug) -> None:
    create_many(jira, bug, 3, labels=["voice-router"])

    by_get = jira.search_issues('labels = "voice-router"')
    by_post = jira.search_issues('labels = "voice-router"', use_post=True)

    assert [i.key for i in by_get] == [i.key for i in by_post]


def test_without_fields_search_returns_ids_only(
    jira: JIRA, sandbox: JiraSandbox, bug: Bug, auth: tuple[str, str]
) -> None:
    issue = jira.create_issue(fields=bug())

    raw = requests.get(
        f"{sandbox.url}/rest/api/2/search/jql",
        params={"jql": "project = PROD"},
        auth=auth,
        timeout=5,
    )

    assert raw.json() == {"issues": [{"id": issue.id}], "isLast": True}


@pytest.fixture
def clock() -> Iterator[list[datetime]]:
    """A settable clock: `clock[0]` is now."""
    yield [datetime(2026, 3, 2, 9, 0, tzinfo=UTC)]


@pytest.fixture
def timed(clock: list[datetime]) -> Iterator[JiraSandbox]:
    with JiraSandbox(clock=lambda: clock[0]) as running:
        yield running


@pytest.fixture
def timed_jira(timed: JiraSandbox, auth: tuple[str, str]) -> JIRA:
    return JIRA(server=timed.url, basic_auth=auth, max_retries=0, timeout=5)


def test_updated_since_takes_minutes_and_epoch_millis(
    timed_jira: JIRA, clock: list[datetime], bug: Bug
) -> None:
    old = timed_jira.create_issue(fields=bug("Old", labels=["voice-router"]))
    clock[0] += timedelta(hours=2)
    new = timed_jira.create_issue(fields=bug("New", labels=["voice-router"]))
    since = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)

    by_minutes = timed_jira.search_issues(
        f'labels = "voice-router" AND updated >= "{since:%Y-%m-%d %H:%M}"'
    )
    by_millis = timed_jira.search_issues(
        f"labels = voice-router AND updated >= {int(since.timestamp() * 1000)}"
    )
    old.update(fields={"description": "touched"})
    after_touch = timed_jira.search_issues(f'updated >= "{since:%Y/%m/%d %H:%M}"')

    assert [i.key for i in by_minutes] == [new.key]
    assert [i.key for i in by_millis] == [new.key]
    assert {i.key for i in after_touch} == {old.key, new.key}


def test_order_by_updated_both_ways(timed_jira: JIRA, clock: list[datetime], bug: Bug) -> None:
    first = timed_jira.create_issue(fields=bug("First"))
    clock[0] += timedelta(minutes=5)
    second = timed_jira.create_issue(fields=bug("Second"))
    clock[0] += timedelta(minutes=5)
    first.update(fields={"summary": "First, edited last"})

    ascending = timed_jira.search_issues("project = PROD ORDER BY updated ASC")
    descending = timed_jira.search_issues("project = PROD ORDER BY updated DESC")

    assert [i.key for i in ascending] == [second.key, first.key]
    assert [i.key for i in descending] == [first.key, second.key]


def test_labels_keys_versions_and_status_clauses(
    jira: JIRA, sandbox: JiraSandbox, bug: Bug
) -> None:
    sandbox.create_version("1.2")
    a = jira.create_issue(fields=bug("A", labels=["vr-problem-1"], fixVersions=[{"name": "1.2"}]))
    b = jira.create_issue(fields=bug("B", labels=["vr-problem-2"]))
    c = jira.create_issue(fields=bug("C", labels=["other"]))
    sandbox.transition(b.key, "Done")

    def keys(jql: str) -> list[str]:
        return sorted(i.key for i in jira.search_issues(jql))

    assert keys('labels in ("vr-problem-1", "vr-problem-2")') == [a.key, b.key]
    assert keys(f"key in ({a.key}, {c.key})") == [a.key, c.key]
    assert keys('project = PROD AND fixVersion = "1.2"') == [a.key]
    assert keys("fixVersion in unreleasedVersions()") == [a.key]
    assert keys("statusCategory = Done") == [b.key]
    assert keys("project = PROD AND resolution is EMPTY") == [a.key, c.key]
    assert keys("labels = other OR (labels = vr-problem-1 AND NOT status = Done)") == [a.key, c.key]
    assert keys("labels != other") == [a.key, b.key]


@pytest.mark.parametrize(
    ("jql", "message"),
    [
        ("assignee = currentUser()", "sandbox does not support the field 'assignee'"),
        ("labels = currentUser()", "Unable to find JQL function 'currentUser()'"),
        ("frobnicator = 3", "Field 'frobnicator' does not exist"),
        ("labels ~ vr", "The operator '~' is not supported by the 'labels' field"),
        ("project = NOPE", "The value 'NOPE' does not exist for the field 'project'"),
        ('fixVersion = "9.9"', "does not exist for the field 'fixVersion'"),
        ("key = PROD-999", "An issue with key 'PROD-999' does not exist"),
        ('updated >= "yesterday"', "Date value 'yesterday' for field 'updated' is invalid"),
        ("project = PROD labels = x", "Expecting either 'OR' or 'AND'"),
        ('labels = "open', "has not been completed"),
        ("ORDER BY updated DESC", "Unbounded JQL queries are not allowed"),
        ("project = PROD ORDER BY labels", "does not support sorting"),
    ],
)
def test_unsupported_or_invalid_jql_is_a_jira_400(jira: JIRA, jql: str, message: str) -> None:
    with pytest.raises(JIRAError) as caught:
        jira.search_issues(jql)

    assert caught.value.status_code == 400
    body = caught.value.response.json()
    assert message in body["errorMessages"][0]
    assert body["errors"] == {}


def test_a_token_from_another_query_is_rejected(jira: JIRA, bug: Bug) -> None:
    create_many(jira, bug, 3)
    page = jira.enhanced_search_issues("project = PROD", maxResults=1, json_result=True)

    with pytest.raises(JIRAError) as caught:
        jira.enhanced_search_issues(
            "project = PROD AND labels is EMPTY",
            nextPageToken=page["nextPageToken"],
            json_result=True,
        )

    assert caught.value.status_code == 400


def test_approximate_count(jira: JIRA, bug: Bug) -> None:
    create_many(jira, bug, 4, labels=["voice-router"])

    assert jira.approximate_issue_count('labels = "voice-router"') == 4


@pytest.mark.parametrize("method", ["GET", "POST"])
@pytest.mark.parametrize("version", ["2", "3"])
def test_legacy_search_is_gone_like_on_cloud(
    sandbox: JiraSandbox, auth: tuple[str, str], method: str, version: str
) -> None:
    raw = requests.request(
        method,
        f"{sandbox.url}/rest/api/{version}/search",
        params={"jql": "project = PROD"},
        auth=auth,
        timeout=5,
    )

    assert raw.status_code == 410
    assert "search/jql" in raw.json()["errorMessages"][0]


def test_client_that_skips_server_info_falls_into_the_legacy_search(
    sandbox: JiraSandbox, auth: tuple[str, str]
) -> None:
    client = JIRA(
        server=sandbox.url, basic_auth=auth, max_retries=0, timeout=5, get_server_info=False
    )

    with pytest.raises(JIRAError) as caught:
        client.search_issues("project = PROD")

    assert caught.value.status_code == 410


def test_search_lag_hides_fresh_issues_unless_reconciled(
    jira: JIRA, sandbox: JiraSandbox, bug: Bug
) -> None:
    sandbox.state.search_lag = 60.0
    issue = jira.create_issue(fields=bug(labels=["voice-router"]))

    plain = jira.enhanced_search_issues('labels = "voice-router"')
    reconciled = jira.enhanced_search_issues(
        'labels = "voice-router"', reconcileIssues=[int(issue.id)]
    )

    assert list(plain) == []
    assert [i.key for i in reconciled] == [issue.key]
