"""The check in tests/helpdesk_openapi.py refuses what Intercom's and Front's descriptions
refuse, so the write-back tests that opt in to it would catch a client drifting away."""

from __future__ import annotations

import json

import pytest

from tests.helpdesk_openapi import description

BEARER = {"Authorization": "Bearer t0k", "Content-Type": "application/json"}
ADMIN_NOTE = {"message_type": "note", "type": "admin", "admin_id": "991", "body": "<b>x</b>"}


def problems(kind: str, method: str, path: str, body: object = None, **headers: str) -> list:
    sent = b"" if body is None else json.dumps(body).encode()
    return description(kind).problems(method, path, {**BEARER, **headers}, sent)


def test_what_the_clients_send_passes() -> None:
    assert problems("intercom", "GET", "/me", **{"Intercom-Version": "2.14"}) == []
    assert problems("intercom", "POST", "/conversations/3001/reply", ADMIN_NOTE) == []
    assert problems("front", "POST", "/conversations/cnv_1/comments", {"body": "x"}) == []


@pytest.mark.parametrize(
    ("kind", "method", "path", "body", "headers", "complaint"),
    [
        ("front", "POST", "/conversations/cnv_1/comments", {"text": "x"}, {}, "'body'"),
        ("front", "POST", "/conversations/cnv_1/comments", {"body": 7}, {}, "not of type"),
        ("front", "POST", "/conversations/cnv_1/messages", {"body": "x"}, {}, "no such"),
        ("front", "PUT", "/conversations/cnv_1/comments", {"body": "x"}, {}, "no such"),
        (
            "intercom",
            "POST",
            "/conversations/3001/reply",
            {k: v for k, v in ADMIN_NOTE.items() if k != "admin_id"},
            {},
            "is not valid under any",
        ),
        (
            "intercom",
            "POST",
            "/conversations/3001/reply",
            {**ADMIN_NOTE, "message_type": "private"},
            {},
            "is not valid under any",
        ),
        ("intercom", "GET", "/me", None, {"Intercom-Version": "9.9"}, "header Intercom-Version"),
        ("intercom", "GET", "/me", {"x": 1}, {}, "takes none"),
        ("intercom", "GET", "/me", None, {"Authorization": "Basic eDp5"}, "no bearer"),
    ],
)
def test_what_the_descriptions_refuse_is_reported(
    kind: str, method: str, path: str, body: object, headers: dict, complaint: str
) -> None:
    found = problems(kind, method, path, body, **headers)

    assert any(complaint in problem for problem in found), found


def test_a_body_that_is_not_json_is_reported() -> None:
    found = description("front").problems(
        "POST", "/conversations/cnv_1/comments", BEARER, b"body=x"
    )

    assert found == ["POST /conversations/cnv_1/comments: the body is not JSON"]
