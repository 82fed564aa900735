"""JQL search over the search index: Cloud's enhanced search (`/search/jql`: opaque
`nextPageToken` paging, no `total`) and the classic one (`/search`: `startAt`, `total`),
which Data Center still serves. Issues in projects the caller cannot browse are left out."""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any

from . import permissions as perm
from .errors import JiraError
from .issue_json import issue_json, parse_field_spec
from .jql_eval import compile_query
from .state import Account, Issue, SandboxState

MAX_PAGE_ALL_FIELDS = 100  # Jira returns fewer per page when many fields are requested
MAX_PAGE = 5000
MAX_CLASSIC_PAGE = 1000  # Data Center's jira.search.views.default.max
BAD_TOKEN = "The provided next page token is invalid or expired."


def _fingerprint(jql: str) -> str:
    return hashlib.sha256(jql.encode()).hexdigest()[:12]


def encode_token(jql: str, offset: int) -> str:
    raw = json.dumps({"o": offset, "q": _fingerprint(jql)}).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_token(jql: str, token: str) -> int:
    try:
        data = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
        offset = int(data["o"])
    except (ValueError, KeyError, TypeError):
        raise JiraError(400, BAD_TOKEN) from None
    if data.get("q") != _fingerprint(jql) or offset < 0:
        raise JiraError(400, BAD_TOKEN)
    return offset


def matching(
    state: SandboxState, jql: str, actor: Account | None = None, reconcile: list[int] | None = None
) -> list[Issue]:
    """The issues `jql` matches in the index (`reconcile` ids read live), browsable ones only."""
    predicate, order = compile_query(state, jql)
    visible = state.index.visible(state.issues, state.clock(), set(reconcile or []))
    if actor is not None:
        allowed = {
            p.id
            for p in state.projects.values()
            if state.permissions.has(actor.account_id, p.key, perm.BROWSE)
        }
        visible = [i for i in visible if i.project_id in allowed]
    return order([i for i in visible if predicate(i)])


def _limit(value: Any, default: int) -> int:
    try:
        return default if value in (None, "") else int(value)
    except (TypeError, ValueError):
        raise JiraError(400, "maxResults must be a number.") from None


def search(
    state: SandboxState,
    api: str,
    actor: Account | None,
    *,
    jql: str,
    next_page_token: str | None,
    max_results: Any,
    fields: list[str] | None,
    reconcile: list[int] | None = None,
) -> dict[str, Any]:
    spec = parse_field_spec(fields, "id")
    limit = _limit(max_results, 50)
    heavy = any(not s.startswith("-") and s not in ("id", "key") for s in spec)
    limit = max(0, min(limit, MAX_PAGE_ALL_FIELDS if heavy else MAX_PAGE))
    with state.lock:
        found = matching(state, jql, actor, reconcile)
        offset = decode_token(jql, next_page_token) if next_page_token else 0
        page = found[offset : offset + limit]
        body: dict[str, Any] = {"issues": [issue_json(api, state, i, spec) for i in page]}
    end = offset + len(page)
    if end < len(found) and limit > 0:
        body["nextPageToken"] = encode_token(jql, end)
    body["isLast"] = "nextPageToken" not in body
    return body


def classic(
    state: SandboxState,
    api: str,
    actor: Account | None,
    *,
    jql: str,
    start_at: Any,
    max_results: Any,
    fields: list[str] | None,
) -> dict[str, Any]:
    """Data Center's `/search`: `*navigable` fields by default, `startAt` paging, `total`."""
    spec = parse_field_spec(fields, "*navigable")
    limit = max(0, min(_limit(max_results, 50), MAX_CLASSIC_PAGE))
    try:
        start = max(0, int(start_at or 0))
    except (TypeError, ValueError):
        raise JiraError(400, "startAt must be a number.") from None
    with state.lock:
        found = matching(state, jql, actor)
        page = found[start : start + limit]
        issues = [issue_json(api, state, i, spec) for i in page]
    return {
        "expand": "schema,names",
        "startAt": start,
        "maxResults": limit,
        "total": len(found),
        "issues": issues,
    }


def approximate_count(state: SandboxState, actor: Account | None, jql: str) -> int:
    with state.lock:
        return len(matching(state, jql, actor))
