"""The OpenAPI document covers every /api/ route, and a schemathesis run against the live
app finds no 5xx and no response that breaks the schema."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.support import generic_delivery, post_signed
from voice_router.platform.tokens import create_token


@pytest.fixture
def live(client, runtime):
    for i, tag in enumerate(["pain-sso-login", "pain-sso-login", "pain-export", "pain-pdf"]):
        body = generic_delivery(f"T{i}", f"p{i}@acme.com", [tag], company="Acme", mrr=10)
        assert post_signed(client, "generic", body).status_code == 202
    return client.application, create_token(runtime.engine, "admin", "Schemathesis")


CHECKS = [
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
    content_type_conformance,
]


def test_api_has_no_5xx_and_answers_match_the_schema(live):
    app, token = live
    schema = schemathesis.openapi.from_wsgi("/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 10
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=20,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def exercise(case):
            case.headers = {**(case.headers or {}), "Authorization": f"Bearer {token}"}
            case.call_and_validate(checks=CHECKS)

        exercise()


def test_every_api_route_is_in_the_document(client):
    document = client.get("/openapi.json").get_json()
    app = client.application
    routes = {
        rule.rule.replace("<int:problem_id>", "{problem_id}")
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/api/")
    }
    assert routes == set(document["paths"])
    assert document["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            assert "200" in operation["responses"] or "201" in operation["responses"], (
                path,
                method,
            )
            assert "401" in operation["responses"], (path, method)
