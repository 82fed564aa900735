"""Every request a write-back test sends to Intercom or Front, held against the helpdesk's
own OpenAPI description (extracts in tests/fixtures/specs/, see the README there).

A request fails the check when its method and path are no operation the extract holds, when
it lacks the bearer credential the description's security scheme asks for, when a header
parameter the operation declares (Intercom-Version) has a value its schema refuses, or when
its body is not JSON, is sent to an operation without a body, or does not validate against
the operation's request schema (OpenAPI 3.0 semantics, `openapi-schema-validator`).

A test module opts in with one line; the check runs over the loopback server's log when
each test ends:

    openapi_check = requests_match_openapi("front")
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Iterator
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from openapi_schema_validator import OAS30WriteValidator

SPECS = Path(__file__).parent / "fixtures" / "specs"
EXTRACTS = {
    "intercom": SPECS / "intercom-api-2.14.extract.json",
    "front": SPECS / "front-core-api.extract.json",
}


class HelpdeskOpenApi:
    def __init__(self, extract: dict[str, Any]) -> None:
        self.extract = extract
        self.operations: dict[str, dict[str, dict[str, Any]]] = extract["operations"]
        self.components = {"schemas": extract["schemas"]}
        self._templates = [(_pattern(t), t) for t in self.operations]

    def operation(self, method: str, path: str) -> dict[str, Any] | None:
        for pattern, template in self._templates:
            if pattern.fullmatch(path) and method.lower() in self.operations[template]:
                return self.operations[template][method.lower()]
        return None

    def problems(
        self, method: str, path: str, headers: Any, body: bytes
    ) -> list[str]:  # headers: any case-insensitive mapping
        where = f"{method} {path}"
        operation = self.operation(method, path)
        if operation is None:
            return [f"{where}: no such operation in {self.extract['info']}"]
        found = []
        bearer = any(s.get("scheme") == "bearer" for s in self.extract["security_schemes"].values())
        if bearer and not str(headers.get("Authorization", "")).startswith("Bearer "):
            found.append(f"{where}: no bearer credential")
        for parameter in operation["parameters"]:
            if parameter["in"] != "header":
                continue
            value = headers.get(parameter["name"])
            if value is None:
                if parameter["required"]:
                    found.append(f"{where}: missing header {parameter['name']}")
                continue
            found += [
                f"{where}: header {parameter['name']}: {error.message}"
                for error in self._validator(parameter["schema"]).iter_errors(value)
            ]
        schema = operation["body"]
        if schema is None:
            if body:
                found.append(f"{where}: sends a body to an operation that takes none")
            return found
        try:
            document = json.loads(body)
        except ValueError:
            return [*found, f"{where}: the body is not JSON"]
        found += [
            f"{where}: body {'/'.join(map(str, error.absolute_path)) or '(root)'}: {error.message}"
            for error in self._validator(schema).iter_errors(document)
        ]
        return found

    def _validator(self, schema: dict[str, Any]) -> OAS30WriteValidator:
        return OAS30WriteValidator({**schema, "components": self.components})


def _pattern(template: str) -> re.Pattern[str]:
    parts = re.split(r"(\{[^}]+\})", template)
    return re.compile("".join("[^/]+" if p.startswith("{") else re.escape(p) for p in parts))


@cache
def description(kind: str) -> HelpdeskOpenApi:
    return HelpdeskOpenApi(json.loads(EXTRACTS[kind].read_text()))


def problems_in(kind: str, log: Iterable[tuple[Any, Any]]) -> list[str]:
    """What is wrong with every request in a pytest-httpserver log."""
    spec = description(kind)
    found = []
    for request, _ in log:
        found += spec.problems(request.method, request.path, request.headers, request.get_data())
    return found


def requests_match_openapi(kind: str) -> Callable[..., Iterator[None]]:
    """An autouse fixture: when a test that used `httpserver` ends, every request it made
    must match `kind`'s OpenAPI description."""

    @pytest.fixture(autouse=True)
    def check(httpserver: Any) -> Iterator[None]:
        yield
        problems = problems_in(kind, httpserver.log)
        assert problems == [], f"requests outside {kind}'s OpenAPI description"

    return check
