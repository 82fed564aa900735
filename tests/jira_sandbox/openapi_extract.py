"""Builds `openapi_extract.json` from Atlassian's full Jira Cloud platform OpenAPI document.

The tests compare the sandbox with this extract, so they run without the 2.3 MB original.
Regenerate after updating the spec:

    python tests/jira_sandbox/openapi_extract.py path/to/jira-platform-openapi.json
"""

from __future__ import annotations

import hashlib
import json
import re
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).parent
EXTRACT = HERE / "openapi_extract.json"
METHODS = ("get", "put", "post", "delete", "patch")
ORIGIN = (
    "swagger-v3.v3.json from cfdude/mcp-jira @ 8bc790380468eeb42edc89b2e2ed656a7b97e395, "
    "as served at https://developer.atlassian.com/cloud/jira/platform/swagger-v3.v3.json; "
    "info.license Apache 2.0"
)
# Schemas kept: those reachable from the answers of these path families, plus the shapes of
# the issue fields the sandbox renders (IssueBean.fields is a free-form object in the spec).
PREFIXES = re.compile(
    r"^/rest/api/3/(issue|search|project|version|field|serverInfo|myself|issueLink|"
    r"issueLinkType|resolution|status|statuscategory|priority|issuetype|user)(/|$)"
)
FIELD_SCHEMAS = (
    "Comment",
    "ErrorCollection",
    "IssueLink",
    "IssueTypeDetails",
    "PageOfComments",
    "Priority",
    "Resolution",
    "StatusDetails",
    "UserDetails",
    "Version",
)


def _ref(schema: dict[str, Any] | None) -> str | None:
    """The component a property points at: direct, through a one-item allOf, or array items."""
    if not isinstance(schema, dict):
        return None
    if "$ref" in schema:
        return schema["$ref"].rsplit("/", 1)[-1]
    if len(schema.get("allOf", [])) == 1:
        return _ref(schema["allOf"][0])
    if schema.get("type") == "array":
        return _ref(schema.get("items"))
    return None


def _success(operation: dict[str, Any]) -> dict[str, str | None]:
    answers: dict[str, str | None] = {}
    for code, response in operation.get("responses", {}).items():
        if code.startswith("2"):
            content = response.get("content", {}).get("application/json", {})
            answers[code] = _ref(content.get("schema"))
    return answers


def build(spec_path: Path) -> dict[str, Any]:
    raw = spec_path.read_bytes()
    spec = json.loads(raw)
    paths = {
        path: {m: _success(op) for m, op in sorted(item.items()) if m in METHODS}
        for path, item in sorted(spec["paths"].items())
    }
    shapes = {
        name: {
            "additionalProperties": bool(schema.get("additionalProperties", False)),
            "properties": {p: _ref(s) for p, s in sorted(schema.get("properties", {}).items())},
        }
        for name, schema in spec["components"]["schemas"].items()
    }
    todo = list(FIELD_SCHEMAS) + [
        ref
        for path, operations in paths.items()
        if PREFIXES.match(path)
        for answers in operations.values()
        for ref in answers.values()
        if ref
    ]
    schemas: dict[str, Any] = {}
    while todo:
        name = todo.pop()
        if name in schemas or name not in shapes:
            continue
        schemas[name] = shapes[name]
        todo.extend(ref for ref in shapes[name]["properties"].values() if ref)
    return {
        "source": {
            "file": spec_path.name,
            "copy": ORIGIN,
            "title": spec["info"]["title"],
            "version": spec["info"]["version"],
            "sha256": hashlib.sha256(raw).hexdigest(),
        },
        "paths": paths,
        "schemas": schemas,
    }


def main(argv: list[str]) -> None:
    extract = build(Path(argv[1]))
    EXTRACT.write_text(json.dumps(extract, indent=1, sort_keys=True) + "\n")


if __name__ == "__main__":
    main(sys.argv)
