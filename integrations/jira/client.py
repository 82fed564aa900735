"""One short method per Jira endpoint over the `jira` library, errors mapped to JiraError.

The library is built with `max_retries=0`: its own backoff retries POSTs on 503 and can
retry before Retry-After has passed; retries are decided by voice_router.jira_sync instead.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

import requests
from jira import JIRA, JIRAError

from integrations.jira.errors import (
    JiraBadRequest,
    JiraError,
    JiraNotFound,
    JiraRateLimited,
    JiraUnauthorized,
    JiraUnavailable,
)

T = TypeVar("T")


@dataclass(frozen=True)
class IssueRef:
    key: str
    url: str
    status: str | None = None
    description: str | None = None


def _message(exc: JIRAError) -> str:
    text = exc.text or ""
    response = exc.response
    if response is not None:
        try:
            data = response.json()
        except ValueError:
            data = None
        if isinstance(data, dict):
            parts = list(data.get("errorMessages") or [])
            parts += [f"{k}: {v}" for k, v in (data.get("errors") or {}).items()]
            if parts:
                text = "; ".join(str(p) for p in parts)
    return text or f"HTTP {exc.status_code}"


def _retry_after(exc: JIRAError) -> float:
    raw = exc.response.headers.get("Retry-After") if exc.response is not None else None
    try:
        return max(0.0, float(raw)) if raw is not None else 10.0
    except ValueError:
        return 10.0


def translate(exc: Exception) -> JiraError:
    if isinstance(exc, JiraError):
        return exc
    if isinstance(exc, requests.Timeout):
        return JiraUnavailable(f"Jira did not answer in time ({exc.__class__.__name__})")
    if isinstance(exc, requests.ConnectionError):
        return JiraUnavailable("could not reach Jira (connection failed)")
    if isinstance(exc, JIRAError):
        status = exc.status_code or 0
        message = _message(exc)
        if status in (401, 403):
            return JiraUnauthorized(message, status)
        if status == 404:
            return JiraNotFound(message, status)
        if status == 429:
            return JiraRateLimited(message, _retry_after(exc))
        if status >= 500 or status == 0:
            return JiraUnavailable(message, status or None)
        return JiraBadRequest(message, status)
    raise exc


@contextmanager
def _translated(observe: Callable[[str], None] | None = None) -> Iterator[None]:
    """Map library errors to JiraError; tell `observe` each call's result ("ok" or a reason)."""
    try:
        yield
    except (JIRAError, requests.RequestException) as exc:
        error = translate(exc)
        if observe is not None:
            observe(error.reason)
        raise error from exc
    if observe is not None:
        observe("ok")


class JiraClient:
    """Built once per process: construction asks the server for its info."""

    def __init__(
        self,
        url: str,
        email: str,
        api_token: str,
        timeout: float = 10.0,
        observe: Callable[[str], None] | None = None,
    ) -> None:
        self.url = url.rstrip("/")
        self._observe = observe
        with _translated(observe):
            self._jira = JIRA(
                server=self.url, basic_auth=(email, api_token), timeout=timeout, max_retries=0
            )

    def browse_url(self, key: str) -> str:
        return f"{self.url}/browse/{key}"

    def _call(self, fn: Callable[[], T]) -> T:
        with _translated(self._observe):
            return fn()

    def search_keys(self, jql: str, limit: int = 50) -> list[str]:
        """Issue keys matching `jql`, through the enhanced search (`/search/jql`)."""
        result = self._call(
            lambda: self._jira.enhanced_search_issues(jql, maxResults=limit, fields="summary")
        )
        return [issue.key for issue in result]

    def search_updated(
        self, jql: str, progress: Callable[[int], None] | None = None
    ) -> list[dict[str, Any]]:
        """Every matching issue as raw JSON, following nextPageToken to the end; `progress`
        hears how many issues each page brought."""
        issues: list[dict[str, Any]] = []
        token: str | None = None
        while True:
            page = self._call(
                lambda t=token: self._jira.enhanced_search_issues(
                    jql,
                    nextPageToken=t,
                    maxResults=100,
                    json_result=True,
                    fields="status,resolution,fixVersions,labels,updated",
                )
            )
            found = page.get("issues", [])
            issues.extend(found)
            if progress is not None:
                progress(len(found))
            token = page.get("nextPageToken")
            if not token or page.get("isLast", True):
                return issues

    def create_issue(self, fields: dict[str, Any]) -> IssueRef:
        issue = self._call(lambda: self._jira.create_issue(fields=fields, prefetch=False))
        return IssueRef(issue.key, self.browse_url(issue.key))

    def get_issue(self, key: str) -> IssueRef:
        issue = self._call(lambda: self._jira.issue(key, fields="description,status"))
        status = getattr(getattr(issue.fields, "status", None), "name", None)
        description = getattr(issue.fields, "description", None)
        return IssueRef(issue.key, self.browse_url(issue.key), status, description)

    def update_fields(self, key: str, fields: dict[str, Any]) -> None:
        """PUT the fields without the library's reload GET (one call, not two)."""
        url = self._jira._get_url(f"issue/{key}")
        self._call(lambda: self._jira._session.put(url, data=json.dumps({"fields": fields})))

    def add_comment(self, key: str, body: str) -> str:
        comment = self._call(lambda: self._jira.add_comment(key, body))
        return str(comment.id)

    def find_comment(self, key: str, marker: str) -> str | None:
        """The id of the issue's first comment containing `marker`, if any."""
        comments = self._call(lambda: self._jira.comments(key))
        return next((str(c.id) for c in comments if marker in (c.body or "")), None)

    def add_link(self, key: str, url: str, title: str) -> None:
        self._call(lambda: self._jira.add_simple_link(key, {"url": url, "title": title}))
