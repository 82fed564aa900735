"""The sandbox against Atlassian's OpenAPI description (via tests/fixtures/specs/):
every served path and method exists in the spec, and every JSON answer uses only keys the
spec's response schema declares, so the emulator cannot drift from Jira Cloud's REST API."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from jira import JIRA

from jira_sandbox import JiraSandbox, create_app

EXTRACT = json.loads(
    (Path(__file__).parents[1] / "fixtures/specs/jira-platform-openapi.extract.json").read_text()
)
PATHS: dict[str, dict[str, dict[str, str | None]]] = EXTRACT["paths"]
SCHEMAS: dict[str, dict[str, Any]] = EXTRACT["schemas"]
ISSUE_FIELD_SCHEMAS = {
    "status": "StatusDetails",
    "resolution": "Resolution",
    "priority": "Priority",
    "issuetype": "IssueTypeDetails",
    "fixVersions": "Version",
    "comment": "PageOfComments",
    "issuelinks": "IssueLink",
    "reporter": "UserDetails",
    "creator": "UserDetails",
    "assignee": "UserDetails",
}


def spec_path(flask_rule: str) -> str:
    """`/rest/api/<any(..):api_version>/issue/<issue_ref>` -> `/rest/api/3/issue/{}`."""
    path = re.sub(r"<any\([^)]*\):api_version>", "3", flask_rule)
    return re.sub(r"<[^>]+>", "{}", path)


def normalised_spec() -> dict[str, dict[str, dict[str, str | None]]]:
    return {re.sub(r"\{[^}]+\}", "{}", p): methods for p, methods in PATHS.items()}


def served() -> list[tuple[str, str, str]]:
    """(method, spec-style path, endpoint) for every route of the app."""
    return [
        (method, spec_path(rule.rule), rule.endpoint)
        for rule in create_app().url_map.iter_rules()
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"})
    ]


def test_the_extract_comes_from_the_documented_spec_copy() -> None:
    assert EXTRACT["source"]["title"] == "The Jira Cloud platform REST API"
    assert EXTRACT["source"]["sha256"].startswith("0c8ffa92915d5644")
    assert len(PATHS) == 402


@pytest.mark.parametrize(("method", "path", "endpoint"), served())
def test_every_served_route_exists_in_the_spec(method: str, path: str, endpoint: str) -> None:
    spec = normalised_spec()

    assert path in spec, f"{endpoint}: {path} is not a Jira Cloud platform path"
    assert method.lower() in spec[path], f"{endpoint}: {method} {path} is not in the spec"


def check_keys(value: Any, schema: str | None, where: str) -> None:
    """Recursively: every object only uses properties its schema declares."""
    if schema is None or value is None:
        return
    if isinstance(value, list):
        for n, item in enumerate(value):
            check_keys(item, schema, f"{where}[{n}]")
        return
    shape = SCHEMAS[schema]
    if not isinstance(value, dict) or not shape["properties"]:
        return
    if not shape["additionalProperties"]:
        extra = set(value) - set(shape["properties"])
        assert not extra, f"{where}: {sorted(extra)} not in {schema}"
    for key, item in value.items():
        check_keys(item, shape["properties"].get(key), f"{where}.{key}")


def issues_in(body: Any) -> list[dict[str, Any]]:
    """The issue objects in an answer: the answer itself, or a search's `issues`."""
    if isinstance(body, dict) and "fields" in body:
        return [body]
    if isinstance(body, dict):
        return [i for i in body.get("issues", []) if "fields" in i]
    return []


def check_issue_fields(issue: dict[str, Any], where: str) -> None:
    for name, schema in ISSUE_FIELD_SCHEMAS.items():
        check_keys(issue.get("fields", {}).get(name), schema, f"{where}.fields.{name}")


@pytest.fixture
def populated(sandbox: JiraSandbox, jira: JIRA) -> Iterator[JiraSandbox]:
    sandbox.create_version("1.2")
    fields = {"project": {"key": "PROD"}, "issuetype": {"name": "Bug"}, "labels": ["vr"]}
    first = jira.create_issue(
        fields={**fields, "summary": "First", "fixVersions": [{"name": "1.2"}]}
    )
    second = jira.create_issue(fields={**fields, "summary": "Second"})
    jira.add_comment(first.key, "A note")
    jira.add_simple_link(first.key, {"url": "http://vr.local/p/1", "title": "Problem 1"})
    jira.create_issue_link("Relates", first.key, second.key)
    sandbox.transition(second.key, "Done")
    yield sandbox


# (method, path under /rest/api/2, JSON body); ids as populated above.
CASES: list[tuple[str, str, Any]] = [
    ("GET", "/serverInfo", None),
    ("GET", "/myself", None),
    ("GET", "/field", None),
    ("GET", "/project", None),
    ("GET", "/project/PROD", None),
    ("GET", "/project/PROD/versions", None),
    ("GET", "/version/10000", None),
    ("GET", "/issueLinkType", None),
    (
        "POST",
        "/issueLink",
        {
            "type": {"name": "Blocks"},
            "inwardIssue": {"key": "PROD-1"},
            "outwardIssue": {"key": "PROD-2"},
        },
    ),
    ("GET", "/resolution/10000", None),
    ("GET", "/status/10001", None),
    (
        "POST",
        "/issue",
        {"fields": {"project": {"key": "PROD"}, "issuetype": {"id": "10004"}, "summary": "Third"}},
    ),
    ("GET", "/issue/PROD-1", None),
    ("PUT", "/issue/PROD-1", {"fields": {"summary": "First, renamed"}}),
    ("GET", "/issue/PROD-1/comment", None),
    ("POST", "/issue/PROD-1/comment", {"body": "Another note"}),
    ("GET", "/issue/PROD-1/comment/10000", None),
    ("GET", "/issue/PROD-1/remotelink", None),
    ("POST", "/issue/PROD-1/remotelink", {"globalId": "g1", "object": {"url": "u", "title": "t"}}),
    ("GET", "/issue/PROD-1/remotelink/10000", None),
    ("GET", "/issue/PROD-1/transitions", None),
    ("POST", "/issue/PROD-1/transitions", {"transition": {"id": "21"}}),
    ("GET", "/search/jql?jql=project%20%3D%20PROD&fields=*all&maxResults=1", None),
    ("POST", "/search/jql", {"jql": "labels = vr", "fields": ["*all"], "maxResults": 1}),
    ("POST", "/search/approximate-count", {"jql": "project = PROD"}),
    ("GET", "/search?jql=project%20%3D%20PROD", None),
    ("POST", "/search", {"jql": "project = PROD"}),
    ("DELETE", "/issue/PROD-1/remotelink/10000", None),
    ("DELETE", "/issue/PROD-1/remotelink?globalId=g1", None),
    ("DELETE", "/issue/PROD-3", None),
]


def test_every_answer_fits_its_spec_schema(populated: JiraSandbox, auth: tuple[str, str]) -> None:
    spec = normalised_spec()
    adapter = create_app().url_map.bind("localhost")
    exercised = set()
    for method, path, body in CASES:
        url = f"{populated.url}/rest/api/2{path}"
        answer = requests.request(method, url, json=body, auth=auth, timeout=5)
        endpoint, _ = adapter.match(f"/rest/api/2{path.split('?')[0]}", method=method)
        rule = next(r for r in adapter.map.iter_rules(endpoint))
        exercised.add((method, endpoint))
        responses = spec[spec_path(rule.rule)][method.lower()]
        where = f"{method} {path}"
        if answer.status_code >= 400:
            assert answer.status_code == 410, f"{where}: {answer.status_code} {answer.text}"
            check_keys(answer.json(), "ErrorCollection", where)
            continue
        assert str(answer.status_code) in responses, f"{where}: {answer.status_code} not in spec"
        schema = responses[str(answer.status_code)]
        if not answer.content:
            assert schema is None, f"{where}: spec promises a {schema} body"
            continue
        check_keys(answer.json(), schema, where)
        for n, issue in enumerate(issues_in(answer.json())):
            check_issue_fields(issue, f"{where} issue {n}")
    assert exercised == {(m, e) for m, _, e in served()}


def test_issue_top_level_keys_are_issue_bean_properties(populated: JiraSandbox, jira: JIRA) -> None:
    issue_bean = set(SCHEMAS["IssueBean"]["properties"])

    for issue in populated.issues():
        assert set(issue) <= issue_bean
    assert set(jira.issue("PROD-1").raw) <= issue_bean


def test_error_answers_are_error_collections(sandbox: JiraSandbox, auth: tuple[str, str]) -> None:
    for url, expected in [
        (f"{sandbox.url}/rest/api/2/issue/PROD-9", 404),
        (f"{sandbox.url}/rest/api/2/myself", 401),
        (f"{sandbox.url}/rest/api/2/search/jql?jql=bogus%20%3D%201", 400),
    ]:
        answer = requests.get(url, auth=auth if expected != 401 else None, timeout=5)

        assert answer.status_code == expected
        check_keys(answer.json(), "ErrorCollection", url)
