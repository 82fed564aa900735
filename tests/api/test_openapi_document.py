"""The OpenAPI document is served; no page of the app loads a script from elsewhere (the
API documentation pages that would, from public CDNs, are off)."""

from __future__ import annotations

import re

import pytest

from voice_router.web.openapi import api_spec

FOREIGN_SCRIPT = re.compile(r"<script[^>]*\bsrc\s*=\s*[\"']?(?:https?:)?//", re.IGNORECASE)


def test_the_document_is_served_at_openapi_json(client):
    response = client.get("/openapi.json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    document = response.get_json()
    assert document == api_spec.spec and document["info"]["title"] == "voice-router API"
    assert "/api/v1/problems/{problem_id}" in document["paths"]
    assert client.get("/apidoc/openapi.json").get_json() == document


@pytest.mark.parametrize(
    "path",
    [
        "/apidoc/swagger/",
        "/apidoc/redoc/",
        "/apidoc/scalar/",
        "/apidoc/swagger/oauth2-redirect.html/",
    ],
)
def test_the_api_documentation_pages_are_off(client, path):
    response = client.get(path)
    assert response.status_code == 404
    assert "<script" not in response.text and "cdn" not in response.text.lower()


def test_no_page_loads_a_script_from_another_origin(client):
    paths = [
        rule.rule
        for rule in client.application.url_map.iter_rules()
        if "GET" in rule.methods and not rule.arguments
    ]
    assert "/openapi.json" in paths and "/login" in paths
    for path in paths:
        body = client.get(path).text
        assert not FOREIGN_SCRIPT.search(body), path
