"""Rich text as Jira takes it: ADF on /rest/api/3, wiki-markup strings on /rest/api/2, valid
ADF only, at most 32,767 characters, and no field both in `fields` and in `update`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import requests

from jira_sandbox import JiraSandbox

pytestmark = pytest.mark.usefixtures("jira_openapi_check")

Bug = Callable[..., dict[str, Any]]
LIMIT = 32767
TOO_LONG = "The entered text is too long. It exceeds the allowed limit of 32,767 characters."


def doc(*paragraphs: str) -> dict[str, Any]:
    return {
        "type": "doc",
        "version": 1,
        "content": [
            {"type": "paragraph", "content": [{"type": "text", "text": text}]}
            for text in paragraphs
        ],
    }


class Api:
    def __init__(self, sandbox: JiraSandbox, auth: tuple[str, str], version: str) -> None:
        self.base = f"{sandbox.url}/rest/api/{version}"
        self.auth = auth

    def __call__(self, method: str, path: str, body: Any = None) -> requests.Response:
        return requests.request(method, self.base + path, json=body, auth=self.auth, timeout=5)


@pytest.fixture
def v2(sandbox: JiraSandbox, auth: tuple[str, str]) -> Api:
    return Api(sandbox, auth, "2")


@pytest.fixture
def v3(sandbox: JiraSandbox, auth: tuple[str, str]) -> Api:
    return Api(sandbox, auth, "3")


def create(api: Api, bug: Bug, **fields: Any) -> str:
    answer = api("POST", "/issue", {"fields": bug(**fields)})
    assert answer.status_code == 201, answer.text
    return answer.json()["key"]


def test_v3_refuses_a_plain_string_comment_with_jiras_error(v3: Api, bug: Bug) -> None:
    key = create(v3, bug)

    answer = v3("POST", f"/issue/{key}/comment", {"body": "Plain text"})

    assert answer.status_code == 400
    assert answer.json() == {
        "errorMessages": [],
        "errors": {"comment": "Comment body is not valid!"},
    }


def test_v3_takes_an_adf_comment(v3: Api, bug: Bug) -> None:
    key = create(v3, bug)

    answer = v3("POST", f"/issue/{key}/comment", {"body": doc("Looks fixed")})

    assert answer.status_code == 201
    assert answer.json()["body"] == doc("Looks fixed")


def test_v2_refuses_an_adf_comment(v2: Api, bug: Bug) -> None:
    key = create(v2, bug)

    answer = v2("POST", f"/issue/{key}/comment", {"body": doc("Rich")})

    assert answer.status_code == 400
    assert answer.json()["errors"] == {"comment": "Comment body is not valid!"}


def test_v3_refuses_a_string_description(v3: Api, bug: Bug) -> None:
    answer = v3("POST", "/issue", {"fields": bug(description="Steps: 1. save")})

    assert answer.status_code == 400
    assert answer.json()["errors"] == {
        "description": "Operation value must be an Atlassian Document (see the Atlassian "
        "Document Format)"
    }


def test_v2_refuses_an_adf_description(v2: Api, bug: Bug) -> None:
    key = create(v2, bug)

    answer = v2("PUT", f"/issue/{key}", {"fields": {"description": doc("Rich")}})

    assert answer.status_code == 400
    assert answer.json()["errors"] == {"description": "Operation value must be a string"}


@pytest.mark.parametrize(
    "broken",
    [
        {"type": "doc", "version": 2, "content": []},
        {"type": "doc", "version": 1, "content": [{"type": "text", "text": "not in a block"}]},
        {"type": "doc", "version": 1, "content": [{"type": "paragraph", "content": [{}]}]},
        doc("") | {"content": [{"type": "paragraph", "content": [{"type": "text", "text": ""}]}]},
        {"type": "doc", "version": 1, "content": [{"type": "heading", "content": []}]},
        {"type": "doc", "version": 1, "content": [{"type": "bulletList", "content": []}]},
        {"type": "doc", "version": 1, "content": [{"type": "marquee", "content": []}]},
    ],
    ids=["version", "inline-at-top", "typeless", "empty-text", "level", "empty-list", "unknown"],
)
def test_v3_refuses_invalid_adf(v3: Api, bug: Bug, broken: dict[str, Any]) -> None:
    answer = v3("POST", "/issue", {"fields": bug(description=broken)})

    assert answer.status_code == 400
    assert answer.json() == {"errorMessages": ["INVALID_INPUT"], "errors": {}}
    assert v3("POST", "/search/approximate-count", {"jql": "project = PROD"}).json() == {"count": 0}


def test_v3_takes_a_richer_valid_document(v3: Api, bug: Bug) -> None:
    rich = {
        "type": "doc",
        "version": 1,
        "content": [
            {
                "type": "heading",
                "attrs": {"level": 2},
                "content": [{"type": "text", "text": "Why"}],
            },
            {
                "type": "bulletList",
                "content": [
                    {
                        "type": "listItem",
                        "content": [
                            {
                                "type": "paragraph",
                                "content": [
                                    {
                                        "type": "text",
                                        "text": "Acme",
                                        "marks": [
                                            {"type": "link", "attrs": {"href": "https://a.test"}}
                                        ],
                                    },
                                    {"type": "hardBreak"},
                                    {
                                        "type": "text",
                                        "text": "$5,000 MRR",
                                        "marks": [{"type": "strong"}],
                                    },
                                ],
                            }
                        ],
                    }
                ],
            },
            {"type": "rule"},
        ],
    }

    assert v3("POST", "/issue", {"fields": bug(description=rich)}).status_code == 201


@pytest.mark.parametrize("version", ["2", "3"])
def test_descriptions_and_comments_over_32767_characters_are_refused(
    sandbox: JiraSandbox, auth: tuple[str, str], bug: Bug, version: str
) -> None:
    api = Api(sandbox, auth, version)
    text = "x" * 40_000
    value: Any = text if version == "2" else doc(text)
    key = create(api, bug)

    described = api("PUT", f"/issue/{key}", {"fields": {"description": value}})
    commented = api("POST", f"/issue/{key}/comment", {"body": value})

    assert described.status_code == 400
    assert described.json()["errors"] == {"description": TOO_LONG}
    assert commented.status_code == 400
    assert commented.json()["errors"] == {"comment": TOO_LONG}
    assert sandbox.comments(key) == []


def test_exactly_32767_characters_are_accepted(v2: Api, bug: Bug) -> None:
    key = create(v2, bug, description="d" * LIMIT)

    assert v2("POST", f"/issue/{key}/comment", {"body": "c" * LIMIT}).status_code == 201
    assert v2("PUT", f"/issue/{key}", {"fields": {"description": "e" * (LIMIT + 1)}}).json()[
        "errors"
    ] == {"description": TOO_LONG}


def test_an_over_long_comment_in_an_edit_is_refused_and_nothing_changes(
    v2: Api, sandbox: JiraSandbox, bug: Bug
) -> None:
    key = create(v2, bug)

    answer = v2(
        "PUT",
        f"/issue/{key}",
        {
            "fields": {"summary": "Renamed"},
            "update": {"comment": [{"add": {"body": "y" * 40_000}}]},
        },
    )

    assert answer.status_code == 400
    assert answer.json()["errors"] == {"comment": TOO_LONG}
    assert sandbox.issue(key)["fields"]["summary"] == "Checkout crashes on save"


@pytest.mark.parametrize("method", ["create", "edit", "transition"])
def test_a_field_in_both_fields_and_update_is_refused(
    v2: Api, sandbox: JiraSandbox, bug: Bug, method: str
) -> None:
    key = create(v2, bug, labels=["a"])
    fields = {"labels": ["b"]}
    update = {"labels": [{"add": "c"}]}

    if method == "create":
        answer = v2("POST", "/issue", {"fields": bug(**fields), "update": update})
    elif method == "edit":
        answer = v2("PUT", f"/issue/{key}", {"fields": fields, "update": update})
    else:
        body = {"transition": {"id": "21"}, "fields": fields, "update": update}
        answer = v2("POST", f"/issue/{key}/transitions", body)

    assert answer.status_code == 400
    assert list(answer.json()["errors"]) == ["labels"]
    assert sandbox.issue(key)["fields"]["labels"] == ["a"]
    assert sandbox.issue(key)["fields"]["status"]["name"] == "To Do"


def test_each_version_reads_rich_text_in_its_own_form(
    v2: Api, v3: Api, sandbox: JiraSandbox, bug: Bug
) -> None:
    from_v2 = create(v2, bug, description="First line\nSecond line")
    from_v3 = create(v3, bug, description=doc("Made in v3", "with two paragraphs"))
    v3("POST", f"/issue/{from_v2}/comment", {"body": doc("An ADF note")})

    assert v3("GET", f"/issue/{from_v2}").json()["fields"]["description"] == doc(
        "First line", "Second line"
    )
    assert v2("GET", f"/issue/{from_v3}").json()["fields"]["description"] == (
        "Made in v3\nwith two paragraphs"
    )
    assert v2("GET", f"/issue/{from_v2}/comment").json()["comments"][0]["body"] == "An ADF note"
    assert sandbox.issue(from_v3)["fields"]["description"] == "Made in v3\nwith two paragraphs"
