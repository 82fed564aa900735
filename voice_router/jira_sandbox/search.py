"""Enhanced JQL search (`/search/jql`): opaque `nextPageToken` paging, no `total`."""

from __future__ import annotations

import base64
import hashlib
import json
from datetime import timedelta
from typing import Any

from .errors import JiraError
from .issue_json import issue_json, parse_field_spec
from .jql_eval import compile_query
from .state import Issue, SandboxState

MAX_PAGE_ALL_FIELDS = 100  # Jira returns fewer per page when many fields are requested
MAX_PAGE = 5000
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


def matching(state: SandboxState, jql: str, reconcile: list[int] | None = None) -> list[Issue]:
    predicate, order = compile_query(state, jql)
    visible = _indexed(state, set(reconcile or []))
    return order([i for i in visible if predicate(i)])


def _indexed(state: SandboxState, reconcile: set[int]) -> list[Issue]:
    """Issues the search index knows; with `search_lag`, fresh issues show up late."""
    if state.search_lag <= 0:
        return list(state.issues.values())
    cutoff = state.clock() - timedelta(seconds=state.search_lag)
    return [i for i in state.issues.values() if i.created <= cutoff or i.id in reconcile]


def search(
    state: SandboxState,
    api: str,
    *,
    jql: str,
    next_page_token: str | None,
    max_results: Any,
    fields: list[str] | None,
    reconcile: list[int] | None = None,
) -> dict[str, Any]:
    spec = parse_field_spec(fields, "id")
    try:
        limit = 50 if max_results in (None, "") else int(max_results)
    except (TypeError, ValueError):
        raise JiraError(400, "maxResults must be a number.") from None
    heavy = any(not s.startswith("-") and s not in ("id", "key") for s in spec)
    limit = max(0, min(limit, MAX_PAGE_ALL_FIELDS if heavy else MAX_PAGE))
    with state.lock:
        found = matching(state, jql, reconcile)
        offset = decode_token(jql, next_page_token) if next_page_token else 0
        page = found[offset : offset + limit]
        body: dict[str, Any] = {"issues": [issue_json(api, state, i, spec) for i in page]}
    end = offset + len(page)
    if end < len(found) and limit > 0:
        body["nextPageToken"] = encode_token(jql, end)
    body["isLast"] = "nextPageToken" not in body
    return body


def approximate_count(state: SandboxState, jql: str) -> int:
    with state.lock:
        return len(matching(state, jql))
