"""Search: Cloud's enhanced search and approximate count (the classic search answers 410
there, as on Jira Cloud since 2025); Data Center's classic search (the only one it has)."""

from __future__ import annotations

from typing import Any

from flask import request

from . import search
from .context import actor, api_base, api_blueprint, json_body, state
from .errors import SEARCH_REMOVED, JiraError

bp = api_blueprint("jira_search")


def _cloud_only() -> None:
    if state().deployment != "cloud":
        raise JiraError(404, "null for uri: " + request.url)


def _ids(values: Any) -> list[int]:
    if not values:
        return []
    if not isinstance(values, list) or len(values) > 50:
        raise JiraError(400, "reconcileIssues accepts at most 50 issue ids.")
    try:
        return [int(v) for v in values]
    except (TypeError, ValueError):
        raise JiraError(400, "reconcileIssues must be issue ids.") from None


@bp.get("/search/jql")
def search_get() -> dict[str, Any]:
    _cloud_only()
    args = request.args
    return search.search(
        state(),
        api_base(),
        actor(),
        jql=args.get("jql", ""),
        next_page_token=args.get("nextPageToken"),
        max_results=args.get("maxResults"),
        fields=args.getlist("fields"),
        reconcile=_ids([p for v in args.getlist("reconcileIssues") for p in v.split(",") if p]),
    )


@bp.post("/search/jql")
def search_post() -> dict[str, Any]:
    _cloud_only()
    body = json_body()
    if not isinstance(body, dict):
        raise JiraError(400, "Can not deserialize instance of SearchAndReconcileRequestBean")
    fields = body.get("fields")
    return search.search(
        state(),
        api_base(),
        actor(),
        jql=body.get("jql") or "",
        next_page_token=body.get("nextPageToken"),
        max_results=body.get("maxResults"),
        fields=[fields] if isinstance(fields, str) else fields,
        reconcile=_ids(body.get("reconcileIssues")),
    )


@bp.post("/search/approximate-count")
def approximate_count() -> dict[str, int]:
    _cloud_only()
    body = json_body()
    jql = body.get("jql") if isinstance(body, dict) else None
    return {"count": search.approximate_count(state(), actor(), jql or "")}


@bp.route("/search", methods=["GET", "POST"])
def classic_search() -> dict[str, Any]:
    if state().deployment == "cloud":
        raise JiraError(410, SEARCH_REMOVED)
    if request.method == "GET":
        args = request.args
        query: dict[str, Any] = {
            "jql": args.get("jql", ""),
            "startAt": args.get("startAt"),
            "maxResults": args.get("maxResults"),
            "fields": args.getlist("fields"),
        }
    else:
        body = json_body()
        if not isinstance(body, dict):
            raise JiraError(400, "Can not deserialize instance of SearchRequestBean")
        fields = body.get("fields")
        query = {**body, "fields": [fields] if isinstance(fields, str) else fields}
    return search.classic(
        state(),
        api_base(),
        actor(),
        jql=query.get("jql") or "",
        start_at=query.get("startAt"),
        max_results=query.get("maxResults"),
        fields=query.get("fields"),
    )
