"""Per-request helpers shared by the route modules."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, cast

from flask import Blueprint, abort, current_app, g, request

from . import permissions
from .errors import JiraError
from .state import Account, Issue, SandboxState

EXTENSION = "jira_sandbox"
API_VERSIONS = ("2", "3", "latest")


def api_blueprint(name: str) -> Blueprint:
    """Routes registered once, served under /rest/api/2, /rest/api/3 and /rest/api/latest."""
    bp = Blueprint(name, __name__, url_prefix="/rest/api/<any('2','3','latest'):api_version>")

    @bp.url_value_preprocessor
    def _pop_version(endpoint: str | None, values: dict[str, Any] | None) -> None:
        g.api_version = (values or {}).pop("api_version", "2")
        if g.api_version == "3" and state().deployment == "datacenter":
            abort(404)  # Jira Data Center has REST v2 only

    return bp


def state() -> SandboxState:
    return cast(SandboxState, current_app.extensions[EXTENSION])


def api_version() -> str:
    """'3' for /rest/api/3, else '2' (latest is v2 on Jira Cloud)."""
    return "3" if g.get("api_version") == "3" else "2"


def api_base() -> str:
    site = request.root_url.rstrip("/") + current_app.config["SANDBOX_BASE_PATH"]
    return f"{site}/rest/api/{g.get('api_version', '2')}"


def json_body() -> Any:
    if not request.get_data():
        return {}
    if not request.is_json:
        raise JiraError(415, "Unsupported Media Type: send Content-Type: application/json")
    body = request.get_json(silent=True)
    if body is None:
        raise JiraError(400, "Unexpected character in the request body: it is not valid JSON.")
    return body


def json_object() -> dict[str, Any]:
    """The request body as a JSON object, refused as Jira refuses any other JSON value."""
    body = json_body()
    if not isinstance(body, dict):
        raise JiraError(400, "Can not deserialize instance of java.util.LinkedHashMap")
    return body


def flag(name: str, default: bool = False) -> bool:
    value = request.args.get(name)
    return default if value is None else value.lower() == "true"


def actor() -> Account:
    """The authenticated user (the API user for anonymous requests)."""
    return g.get("actor") or state().bot


def visible_issue(ref: str) -> Issue:
    """The issue, if the caller may browse its project; else Jira's 404."""
    s = state()
    issue = s.get_issue(ref)
    may(issue, permissions.BROWSE)
    return issue


@contextmanager
def locked_issue(ref: str, *needed: str) -> Iterator[tuple[SandboxState, Issue]]:
    """Under the sandbox's lock: its state and the issue `ref`, which the caller may browse
    and holds `needed` on (else Jira's refusal)."""
    s = state()
    with s.lock:
        issue = visible_issue(ref)
        if needed:
            may(issue, *needed)
        yield s, issue


def may(issue: Issue, *needed: str, status: int = 0) -> None:
    """Raise Jira's refusal unless the caller holds `needed` in the issue's project."""
    s = state()
    project = s.projects[issue.project_id].key
    s.permissions.require(actor().account_id, project, *needed, key=issue.key, status=status)
