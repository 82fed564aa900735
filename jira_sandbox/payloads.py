"""Webhook bodies shaped like the captured Jira Cloud deliveries in tests/fixtures/jira/.

Webhooks always carry the REST v2 representation (string descriptions, `/rest/api/2/` URLs).
"""

from __future__ import annotations

import json
from typing import Any

from . import render
from .issue_json import issue_json
from .state import Account, Comment, Issue, SandboxState, Version

ISSUE_EVENTS = ("jira:issue_created", "jira:issue_updated", "jira:issue_deleted")
VERSION_EVENTS = (
    "jira:version_created",
    "jira:version_updated",
    "jira:version_released",
    "jira:version_unreleased",
    "jira:version_deleted",
)
COMMENT_EVENTS = ("comment_created",)


def api_base(state: SandboxState) -> str:
    return f"{state.base_url}/rest/api/2"


def encode(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload, separators=(",", ":")).encode()


def _timestamp(state: SandboxState) -> int:
    return int(state.now().timestamp() * 1000)


def issue_event(
    state: SandboxState,
    name: str,
    issue: Issue,
    actor: Account,
    items: list[dict[str, Any]] | None = None,
    type_name: str | None = None,
) -> dict[str, Any]:
    if name not in ISSUE_EVENTS:
        raise ValueError(f"not an issue event: {name}")
    api = api_base(state)
    payload: dict[str, Any] = {"timestamp": _timestamp(state), "webhookEvent": name}
    if type_name is not None:
        payload["issue_event_type_name"] = type_name
    payload["user"] = render.user(api, actor)
    payload["issue"] = issue_json(api, state, issue)
    if name != "jira:issue_deleted":
        payload["changelog"] = {"id": str(state.next_id("changelog")), "items": items or []}
    return payload


def version_event(state: SandboxState, name: str, version: Version) -> dict[str, Any]:
    if name not in VERSION_EVENTS:
        raise ValueError(f"not a version event: {name}")
    return {
        "timestamp": _timestamp(state),
        "webhookEvent": name,
        "version": render.version(api_base(state), version),
    }


def comment_event(state: SandboxState, name: str, issue: Issue, comment: Comment) -> dict[str, Any]:
    """Like comment_created__zulip.json: the comment plus a trimmed issue."""
    api = api_base(state)
    full = issue_json(api, state, issue)["fields"]
    trimmed = {k: full[k] for k in ("summary", "issuetype", "project", "assignee", "priority")}
    trimmed["status"] = full["status"]
    return {
        "timestamp": _timestamp(state),
        "webhookEvent": name,
        "comment": render.comment(api, state, comment),
        "issue": {
            "id": str(issue.id),
            "self": f"{api}/issue/{issue.id}",
            "key": issue.key,
            "fields": trimmed,
        },
    }
