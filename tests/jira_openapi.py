"""Every request a Jira test makes, held against Atlassian's OpenAPI description.

The fixture `jira_openapi_check` taps every Jira sandbox in the process while a test runs
(fixtures' requests included) and, at teardown, fails the test when a request

* has a path and method that are not an operation of the Jira Cloud platform REST API
  (`/rest/api/2/...` and `/rest/api/latest/...` are checked as the same `/rest/api/3/...`
  operation: Atlassian publishes one description for both versions);
* uses a deprecated operation (except the classic search on Jira Data Center, where it is the
  only search there is: `DATA_CENTER_OPERATIONS`);
* names a query parameter the operation does not declare, misses a required one, or gives a
  boolean or integer parameter a value of another type;
* sends a body the operation does not take, or a JSON body that does not validate against the
  operation's request schema (OpenAPI 3.0 semantics: `nullable`, and `readOnly` properties
  refused in requests, by `openapi-schema-validator` over `jsonschema`).

The description is read from tests/fixtures/specs/jira-platform-openapi.extract.json (see the
README there). Opt in per test module:

    pytestmark = pytest.mark.usefixtures("jira_openapi_check")
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import pytest
from openapi_schema_validator import OAS30WriteValidator

from jira_sandbox.traffic import Call, tap

EXTRACT = Path(__file__).parent / "fixtures" / "specs" / "jira-platform-openapi.extract.json"
API_PREFIX = re.compile(r"^/rest/api/(?:2|3|latest)(?=/|$)")
DATA_CENTER_OPERATIONS = {("get", "/rest/api/3/search"), ("post", "/rest/api/3/search")}
BOOLEAN = {"true", "false"}


@dataclass(frozen=True)
class Operation:
    method: str
    template: str
    spec: dict[str, Any]


class JiraOpenApi:
    """The operations of the extract, matched by method and path template."""

    def __init__(self, extract: dict[str, Any]) -> None:
        self.operations: dict[str, dict[str, dict[str, Any]]] = extract["operations"]
        self.components = {"schemas": extract["request_schemas"]}
        self._templates = [(self._pattern(t), t) for t in self.operations]
        self._validators: dict[str, OAS30WriteValidator] = {}

    @staticmethod
    def _pattern(template: str) -> re.Pattern[str]:
        parts = re.split(r"(\{[^}]+\})", template)
        return re.compile("".join("[^/]+" if p.startswith("{") else re.escape(p) for p in parts))

    @staticmethod
    def spec_path(call: Call) -> str:
        path = call.path[len(call.base_path) :] if call.base_path else call.path
        return API_PREFIX.sub("/rest/api/3", path, count=1)

    def operation(self, method: str, path: str) -> Operation | None:
        """The operation for a spec-style path; literal segments win over `{parameters}`."""
        candidates = [t for pattern, t in self._templates if pattern.fullmatch(path)]
        candidates.sort(key=lambda t: (t.count("{"), -len(t)))
        for template in candidates:
            spec = self.operations[template].get(method.lower())
            if spec is not None:
                return Operation(method.lower(), template, spec)
        return None

    def problems(self, call: Call) -> list[str]:
        """What is wrong with one request; empty when the description allows it."""
        path = self.spec_path(call)
        where = f"{call.method} {call.path}"
        operation = self.operation(call.method, path)
        if operation is None:
            known = any(pattern.fullmatch(path) for pattern, _ in self._templates)
            what = "method is not allowed on" if known else "path is not"
            return [f"{where}: the {what} an operation of the Jira platform REST API"]
        problems: list[str] = []
        spec = operation.spec
        allowed_here = call.deployment == "datacenter" and (
            (operation.method, operation.template) in DATA_CENTER_OPERATIONS
        )
        if spec["deprecated"] and not allowed_here:
            problems.append(f"{where}: {operation.template} is deprecated")
        problems += [f"{where}: {p}" for p in self._query_problems(spec, call.query)]
        problems += [f"{where}: {p}" for p in self._body_problems(spec, call)]
        return problems

    @staticmethod
    def _query_problems(spec: dict[str, Any], query: str) -> list[str]:
        declared = {p["name"]: p for p in spec["parameters"] if p["in"] == "query"}
        given = parse_qsl(query, keep_blank_values=True)
        problems = [
            f"query parameter {name!r} is not a parameter of this operation"
            for name in dict.fromkeys(n for n, _ in given)
            if name not in declared
        ]
        problems += [
            f"required query parameter {name!r} is missing"
            for name, p in declared.items()
            if p["required"] and name not in {n for n, _ in given}
        ]
        for name, value in given:
            schema = declared.get(name, {}).get("schema", {})
            kind = schema.get("items", {}).get("type") if schema.get("type") == "array" else None
            kind = kind or schema.get("type")
            values = value.split(",") if schema.get("type") == "array" else [value]
            for item in values:
                if kind == "boolean" and item.lower() not in BOOLEAN:
                    problems.append(f"query parameter {name!r}={item!r} is not a boolean")
                if kind == "integer" and not re.fullmatch(r"-?\d+", item):
                    problems.append(f"query parameter {name!r}={item!r} is not an integer")
        return problems

    def _body_problems(self, spec: dict[str, Any], call: Call) -> list[str]:
        body = spec["body"]
        if not call.body:
            return ["the request body is required"] if body and body["required"] else []
        if body is None:
            return ["sends a JSON body, but the operation takes none"]
        try:
            instance = json.loads(call.body)
        except ValueError:
            return ["the body is not JSON"]
        validator = self._validator(body["schema"])
        found: dict[str, str] = {}  # one message per place in the body
        for error in sorted(validator.iter_errors(instance), key=lambda e: list(e.path)):
            where = "body" + "".join(f"[{p!r}]" for p in error.absolute_path)
            found.setdefault(where, f"{where}: {error.message}")
        return list(found.values())

    def _validator(self, schema: dict[str, Any]) -> OAS30WriteValidator:
        key = json.dumps(schema, sort_keys=True)
        if key not in self._validators:
            root = {"allOf": [schema], "components": self.components}
            self._validators[key] = OAS30WriteValidator(root)
        return self._validators[key]


@cache
def contract() -> JiraOpenApi:
    return JiraOpenApi(json.loads(EXTRACT.read_text()))


def violations(calls: list[Call]) -> list[str]:
    checker = contract()
    return [problem for call in calls for problem in checker.problems(call)]


@pytest.fixture
def jira_openapi_check() -> Iterator[list[Call]]:
    """Records every request the Jira sandboxes receive during the test; fails the test at
    teardown if any of them is not what Atlassian's OpenAPI description allows."""
    with tap() as calls:
        yield calls
    fail_on_violations(list(calls))


def fail_on_violations(calls: list[Call]) -> None:
    problems = list(dict.fromkeys(violations(calls)))
    if problems:
        pytest.fail(
            "Jira requests that Atlassian's OpenAPI description does not allow:\n  "
            + "\n  ".join(problems),
            pytrace=False,
        )
