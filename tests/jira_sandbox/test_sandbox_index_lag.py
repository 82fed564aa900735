"""The search index lags: creates, edits and deletes reach searches (enhanced and classic)
`index_lag` seconds late, except for `reconcileIssues` ids. The sandbox's clock is a test
clock here, so the lag is stepped through without sleeping."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests
from jira import JIRA

from jira_sandbox import JiraSandbox

pytestmark = pytest.mark.usefixtures("jira_openapi_check")

Bug = Callable[..., dict[str, Any]]
EMAIL, TOKEN = "bot@example.com", "t0k"
LABEL = 'labels = "voice-router"'


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def lagging(clock: Clock) -> Iterator[JiraSandbox]:
    with JiraSandbox(EMAIL, TOKEN, "PROD", clock=clock, index_lag=5) as running:
        yield running


@pytest.fixture
def client(lagging: JiraSandbox) -> JIRA:
    return JIRA(server=lagging.url, basic_auth=(EMAIL, TOKEN), max_retries=0, timeout=5)


def keys(client: JIRA, jql: str = LABEL, **options: Any) -> list[str]:
    return sorted(i.key for i in client.enhanced_search_issues(jql, **options))


def test_the_default_lag_is_zero(sandbox: JiraSandbox, jira: JIRA, bug: Bug) -> None:
    issue = jira.create_issue(fields=bug(labels=["voice-router"]), prefetch=False)

    assert sandbox.state.search_lag == 0
    assert keys(jira) == [issue.key]


def test_a_new_issue_is_found_only_once_the_lag_has_passed(
    client: JIRA, clock: Clock, bug: Bug
) -> None:
    issue = client.create_issue(fields=bug(labels=["voice-router"]), prefetch=False)

    at_once = keys(client)
    clock.advance(4.9)
    almost = keys(client)
    clock.advance(0.2)

    assert at_once == almost == []
    assert keys(client) == [issue.key]
    assert client.issue(issue.key).key == issue.key  # reading by key is never stale


def test_reconcile_issues_reads_those_ids_live(client: JIRA, bug: Bug) -> None:
    issue = client.create_issue(fields=bug(labels=["voice-router"]), prefetch=False)

    assert keys(client, reconcileIssues=[int(issue.id)]) == [issue.key]


def test_an_edit_is_searched_as_it_was_until_the_index_catches_up(
    client: JIRA, lagging: JiraSandbox, clock: Clock, bug: Bug
) -> None:
    issue = client.create_issue(fields=bug(labels=["voice-router"]), prefetch=False)
    clock.advance(10)
    client.issue(issue.key).update(fields={"labels": ["voice-router", "vr-problem-7"]})

    stale_match = keys(client, 'labels = "vr-problem-7"')
    stale_fields = client.enhanced_search_issues(LABEL, fields="labels")[0].fields.labels
    clock.advance(5)

    assert stale_match == []
    assert stale_fields == ["voice-router"]
    assert keys(client, 'labels = "vr-problem-7"') == [issue.key]


def test_a_deleted_issue_is_still_found_for_the_lag(
    client: JIRA, lagging: JiraSandbox, clock: Clock, bug: Bug
) -> None:
    issue = client.create_issue(fields=bug(labels=["voice-router"]), prefetch=False)
    clock.advance(10)
    lagging.delete_issue(issue.key)

    assert keys(client) == [issue.key]
    clock.advance(5)
    assert keys(client) == []


def test_the_lag_is_a_control_and_the_index_can_catch_up_at_once(
    sandbox: JiraSandbox, jira: JIRA, bug: Bug
) -> None:
    sandbox.set_index_lag(30)
    issue = jira.create_issue(fields=bug(labels=["voice-router"]), prefetch=False)
    hidden = keys(jira)
    count = jira.approximate_issue_count(LABEL)

    sandbox.catch_up_index()

    assert (hidden, count) == ([], 0)
    assert keys(jira) == [issue.key]


def test_the_classic_search_lags_too_on_data_center(clock: Clock, bug: Bug) -> None:
    with JiraSandbox(EMAIL, TOKEN, "PROD", clock=clock, index_lag=5, deployment="datacenter") as dc:
        client = JIRA(server=dc.url, token_auth=TOKEN, max_retries=0, timeout=5)
        issue = client.create_issue(fields=bug(labels=["voice-router"]), prefetch=False)

        hidden = [i.key for i in client.search_issues(LABEL)]
        clock.advance(5)
        found = [i.key for i in client.search_issues(LABEL)]
        total = requests.get(
            f"{dc.url}/rest/api/2/search",
            params={"jql": LABEL},
            headers={"Authorization": f"Bearer {TOKEN}"},
            timeout=5,
        ).json()["total"]

    assert hidden == []
    assert found == [issue.key]
    assert total == 1


@pytest.mark.parametrize("sandbox", [{"index_lag": 30}], indirect=True)
def test_a_test_asks_for_a_lagging_sandbox_in_one_line(
    sandbox: JiraSandbox, jira: JIRA, bug: Bug
) -> None:
    jira.create_issue(fields=bug(labels=["voice-router"]), prefetch=False)

    assert sandbox.state.search_lag == 30
    assert keys(jira) == []
