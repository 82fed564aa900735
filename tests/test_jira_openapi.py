"""The OpenAPI check on Jira requests (tests/jira_openapi.py): what it lets through, what it
catches, and that every test module talking to a Jira sandbox uses it."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import requests

from jira_sandbox import Call, JiraSandbox
from jira_sandbox.traffic import tap
from tests.jira_openapi import contract, fail_on_violations, violations

TESTS = Path(__file__).parent
CHECK = re.compile(r"""pytestmark\s*=.*usefixtures\(\s*["']jira_openapi_check["']""", re.S)
SANDBOX_USE = re.compile(r"(?<![-\w])(JiraSandbox|sandbox|make_loop)\b")
# Test modules that talk to a sandbox but do not opt in, and why.
UNCHECKED = {
    # Deliberately send what Jira refuses or removed, to see the sandbox refuse it.
    "jira_sandbox/test_sandbox_issues.py": "sends the library's list form of `update`",
    "jira_sandbox/test_sandbox_search.py": "calls the removed /search on Cloud",
    "jira_sandbox/test_sandbox_openapi.py": "calls every served route, removed /search too",
    # The jira library's own bodies break the description (see test_library_quirks_*).
    "jira_sandbox/test_sandbox_workflow.py": "library sends integer transition ids, comment: null",
    # This module: it makes invalid requests on purpose.
    "test_jira_openapi.py": "makes invalid requests on purpose",
}


def call(method: str, path: str, body: Any = None, query: str = "", **extra: Any) -> Call:
    raw = b"" if body is None else json.dumps(body).encode()
    return Call(method, path, query, 200, raw, "application/json" if raw else "", **extra)


def problems(*calls: Call) -> list[str]:
    return violations(list(calls))


def test_requests_voice_router_makes_pass() -> None:
    fields = {"project": {"key": "PROD"}, "issuetype": {"name": "Bug"}, "summary": "Crash"}

    assert (
        problems(
            call("GET", "/rest/api/2/serverInfo"),
            call("POST", "/rest/api/2/issue", {"fields": fields}),
            call("GET", "/rest/api/2/issue/PROD-1", query="fields=description%2Cstatus"),
            call("PUT", "/rest/api/2/issue/PROD-1", {"fields": {"summary": "New"}}),
            call("PUT", "/rest/api/2/issue/PROD-1", {"fields": {}}, query="notifyUsers=false"),
            call("POST", "/rest/api/2/issue/PROD-1/comment", {"body": "A note"}),
            call(
                "POST",
                "/rest/api/2/issue/PROD-1/remotelink",
                {"object": {"url": "u", "title": "t"}},
            ),
            call(
                "GET", "/rest/api/2/search/jql", query="jql=labels%3Dvr&maxResults=100&fields=a,b"
            ),
            call("POST", "/rest/api/3/issue/10001/transitions", {"transition": {"id": "31"}}),
        )
        == []
    )


@pytest.mark.parametrize(
    ("request_", "expected"),
    [
        (call("GET", "/rest/api/2/nonsense"), "path is not an operation"),
        (call("PATCH", "/rest/api/2/issue/PROD-1", {}), "method is not allowed"),
        (call("GET", "/rest/applinks/latest/listApplicationlinks"), "path is not"),
        (call("GET", "/rest/api/2/search", query="jql=x"), "is deprecated"),
        (call("GET", "/rest/api/2/project"), "/rest/api/3/project is deprecated"),
        (call("GET", "/rest/api/2/issue/P-1", query="field=summary"), "'field' is not a param"),
        (call("PUT", "/rest/api/2/issue/P-1", {}, query="notifyUsers=no"), "not a boolean"),
        (call("GET", "/rest/api/2/search/jql", query="maxResults=all"), "not an integer"),
        (call("GET", "/rest/api/3/groupuserpicker"), "'query' is missing"),
        (call("PUT", "/rest/api/2/issue/P-1"), "request body is required"),
        (call("GET", "/rest/api/2/issue/P-1", {"x": 1}), "operation takes none"),
        (
            call("POST", "/rest/api/2/issue/P-1/transitions", {"transition": {"id": 31}}),
            "body['transition']['id']: 31 is not of type 'string'",
        ),
        (
            call("POST", "/rest/api/2/issue/P-1/comment", {"body": "x", "id": "1"}),
            "body['id']: Tried to write read-only property",
        ),
        (
            call("POST", "/rest/api/2/search/jql", {"jql": "x", "expand": None}),
            "body['expand']: None for not nullable",
        ),
        (
            call("PUT", "/rest/api/2/issue/P-1", {"update": {"labels": ["a"]}}),
            "body['update']['labels'][0]",
        ),
    ],
    ids=lambda v: v if isinstance(v, str) else f"{v.method} {v.path}",
)
def test_what_the_description_does_not_allow_is_caught(request_: Call, expected: str) -> None:
    found = problems(request_)

    assert any(expected in p for p in found), found


def test_a_context_path_is_not_part_of_the_operation() -> None:
    good = call("GET", "/ex/jira/abc/rest/api/2/myself", base_path="/ex/jira/abc")

    assert problems(good) == []


def test_the_classic_search_is_allowed_on_data_center_only() -> None:
    classic = {"jql": "project = PROD", "startAt": 0, "maxResults": 50}

    assert problems(call("POST", "/rest/api/2/search", classic, deployment="datacenter")) == []
    assert problems(call("GET", "/rest/api/2/search", deployment="datacenter")) == []
    assert problems(call("POST", "/rest/api/2/search", classic)) != []


def test_literal_path_segments_win_over_parameters() -> None:
    operation = contract().operation("GET", "/rest/api/3/issue/createmeta")

    assert operation is not None
    assert operation.template == "/rest/api/3/issue/createmeta"


def test_the_fixture_fails_a_test_that_sent_an_invalid_request() -> None:
    with JiraSandbox() as sandbox, tap() as calls:
        requests.put(
            f"{sandbox.url}/rest/api/2/issue/PROD-1",
            json={"update": {"labels": ["no-operation"]}},
            auth=("bot@example.com", "t0k"),
            timeout=5,
        )

    with pytest.raises(pytest.fail.Exception, match=r"body\['update'\]"):
        fail_on_violations(list(calls))


def test_the_tap_sees_every_sandbox_but_only_while_open() -> None:
    with JiraSandbox() as one, JiraSandbox() as other:
        with tap() as calls:
            requests.get(f"{one.url}/rest/api/2/serverInfo", timeout=5)
            requests.get(f"{other.url}/rest/api/3/serverInfo", timeout=5)
        requests.get(f"{one.url}/rest/api/2/serverInfo", timeout=5)

    assert [c.path for c in calls] == ["/rest/api/2/serverInfo", "/rest/api/3/serverInfo"]


def test_library_quirks_that_break_the_description_are_caught() -> None:
    """What the `jira` library (3.10.x) sends for some helpers: a caller must avoid them or
    send the request itself (found by running tests/jira_sandbox under the check)."""
    link = {"type": {"name": "Duplicate"}, "inwardIssue": {"key": "A-1"}, "comment": None}

    assert problems(call("POST", "/rest/api/2/issueLink", link))  # create_issue_link
    assert problems(call("POST", "/rest/api/2/issue/A-1/transitions", {"transition": {"id": 31}}))
    assert problems(call("GET", "/rest/applinks/latest/listApplicationlinks"))  # add_remote_link


def test_every_test_module_that_talks_to_a_sandbox_checks_its_requests() -> None:
    unchecked = set()
    for path in sorted(TESTS.rglob("test_*.py")):
        source = path.read_text()
        if SANDBOX_USE.search(source) and not CHECK.search(source):
            unchecked.add(path.relative_to(TESTS).as_posix())

    assert unchecked == set(UNCHECKED)
