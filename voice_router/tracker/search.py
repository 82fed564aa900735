"""Searching Jira, on whichever search the site has: Jira Cloud's enhanced search
(`/search/jql`, token paging, eventually consistent) or Data Center's classic `/search`
(`startAt` paging). Chosen by `serverInfo.deploymentType`, as the `jira` library does."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from integrations.jira.client import JiraClient
from voice_router.platform.clock import to_utc

PAGE = 100
LATEST = datetime.max.replace(tzinfo=UTC)


def search_all(
    client: JiraClient,
    jql: str,
    fields: str,
    progress: Callable[[int], None] | None = None,
    limit: int | None = None,
) -> list[dict[str, Any]]:
    """Every matching issue as raw JSON (at most `limit`), page after page; `progress`
    hears how many issues each page brought."""
    issues: list[dict[str, Any]] = []
    size = min(PAGE, limit) if limit else PAGE
    if client.deployment == "Cloud":
        token: str | None = None
        while True:
            page = client.search_jql(jql, fields, size, token)
            found = list(page.get("issues", []))
            issues.extend(found)
            if progress is not None:
                progress(len(found))
            token = page.get("nextPageToken")
            if not token or page.get("isLast", True) or (limit and len(issues) >= limit):
                break
    else:
        while True:
            page = client.search_classic(jql, fields, size, len(issues))
            found = list(page.get("issues", []))
            issues.extend(found)
            if progress is not None:
                progress(len(found))
            total = int(page.get("total", 0))
            if not found or len(issues) >= total or (limit and len(issues) >= limit):
                break
    return issues[:limit] if limit else issues


def labelled(client: JiraClient, project: str, label: str) -> list[dict[str, Any]]:
    """Issues of `project` carrying `label`, the oldest first (by `created`, then id)."""
    found = search_all(
        client, f'project = "{project}" AND labels = "{label}"', "labels,created,status"
    )
    return sorted(found, key=created_order)


def created_order(issue: dict[str, Any]) -> tuple[datetime, int]:
    """Jira writes `created` in the user's time zone ("2026-12-05T10:00:00.000+0100")."""
    raw = (issue.get("fields") or {}).get("created")
    try:
        created = to_utc(datetime.strptime(raw, "%Y-%m-%dT%H:%M:%S.%f%z"))  # type: ignore[arg-type]  # not a str: TypeError
    except (TypeError, ValueError):
        created = LATEST
    try:
        number = int(issue.get("id") or 0)
    except (TypeError, ValueError):
        number = 0
    return created, number
