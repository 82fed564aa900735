"""One short method per Jira endpoint, errors mapped to JiraError; no decisions here.

The `jira` library supplies the session (auth, headers, timeouts) and the `serverInfo` read
at construction (`deployment`: "Cloud", or "Server" for Data Center / Server). Requests are
sent through its session directly: several of its helpers send bodies or call paths that
are not in Atlassian's description (`create_issue_link`, `transition_issue`,
`add_remote_link`, `enhanced_search_issues(use_post=True)`), and its reload-after-write
doubles the calls. Built with `max_retries=0`: its own backoff retries POSTs on 503 and can
retry before Retry-After has passed; retries are decided by voice_router.tracker.sync instead.

Every call, the `serverInfo` read included, has an overall deadline, `timeout` seconds for
connecting, sending and reading the whole answer (integrations/http_exchange.py): requests'
own timeout bounds each read, so a Jira (or a proxy) that trickled its answer a byte every
few seconds held the caller for ever. A call cut off at the deadline is `JiraUnavailable`:
like a lost answer, it may have been acted on (a create goes through the search first).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import requests
from jira import JIRA, JIRAError

from integrations import http_exchange
from integrations.jira.errors import (
    JiraBadRequest,
    JiraError,
    JiraNotFound,
    JiraRateLimited,
    JiraUnauthorized,
    JiraUnavailable,
)

AUTH_KINDS = ("basic", "token")


@dataclass(frozen=True)
class IssueRef:
    """An issue as voice-router reads it (REST v2: rich text is a wiki-markup string)."""

    key: str
    url: str
    status: str | None = None
    description: str | None = None
    id: str | None = None
    labels: tuple[str, ...] = ()
    status_category: str | None = None
    created: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


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


def _unanswered(failed: http_exchange.Failed, timeout: float) -> JiraError:
    if failed.what == http_exchange.CONNECT:
        return JiraUnavailable("could not reach Jira (connection failed)")
    if failed.what == http_exchange.TIMEOUT:
        return JiraUnavailable(f"Jira did not answer in time (within {timeout:g} s)")
    if failed.what == http_exchange.LOST:
        return JiraUnavailable(f"the connection to Jira closed before an answer ({failed.cause})")
    return JiraBadRequest(f"could not send the request to Jira ({failed.cause})")


def translate(exc: Exception, timeout: float = 0.0) -> JiraError:
    if isinstance(exc, JiraError):
        return exc
    if isinstance(exc, http_exchange.Failed):
        return _unanswered(exc, timeout)
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
def _translated(
    observe: Callable[[str], None] | None = None, timeout: float = 0.0
) -> Iterator[None]:
    """Map library errors to JiraError; tell `observe` each call's result ("ok" or a reason)."""
    try:
        yield
    except (JIRAError, requests.RequestException, http_exchange.Failed) as exc:
        error = translate(exc, timeout)
        if observe is not None:
            observe(error.reason)
        raise error from exc
    if observe is not None:
        observe("ok")


def _issue_ref(browse: Callable[[str], str], raw: dict[str, Any]) -> IssueRef:
    fields = raw.get("fields") or {}
    status = fields.get("status") or {}
    description = fields.get("description")
    return IssueRef(
        key=raw["key"],
        url=browse(raw["key"]),
        status=status.get("name"),
        description=description if isinstance(description, str) else None,
        id=str(raw.get("id")) if raw.get("id") is not None else None,
        labels=tuple(fields.get("labels") or ()),
        status_category=(status.get("statusCategory") or {}).get("key"),
        created=fields.get("created"),
        extra=fields,
    )


class JiraClient:
    """Built once per process: construction asks the server for its info. `auth` is
    "basic" (e-mail + API token, Jira Cloud) or "token" (a personal access token sent as
    `Authorization: Bearer`, Jira Data Center / Server)."""

    def __init__(
        self,
        url: str,
        email: str,
        api_token: str,
        timeout: float = 10.0,
        observe: Callable[[str], None] | None = None,
        auth: str = "basic",
    ) -> None:
        if auth not in AUTH_KINDS:
            raise ValueError(f"auth must be one of {AUTH_KINDS}")
        self.url = url.rstrip("/")
        self.timeout = timeout
        self._observe = observe
        credentials: dict[str, Any] = (
            {"token_auth": api_token} if auth == "token" else {"basic_auth": (email, api_token)}
        )
        # No server call in the library's constructor: `serverInfo` is read below, within
        # the deadline, through the watched session.
        self._jira = JIRA(
            server=self.url, timeout=timeout, max_retries=0, get_server_info=False, **credentials
        )
        http_exchange.watch(self._jira._session)
        info = self._get("serverInfo")
        deployment = info.get("deploymentType") if isinstance(info, dict) else None
        self.deployment: str | None = deployment if isinstance(deployment, str) else None

    def browse_url(self, key: str) -> str:
        return f"{self.url}/browse/{key}"

    def _call(self, method: str, path: str, **options: Any) -> Any:
        """One request and its whole answer within `timeout` seconds; the JSON it holds."""
        url = self._jira._get_url(path)
        session = self._jira._session
        with _translated(self._observe, self.timeout):
            response = http_exchange.within(
                self.timeout, lambda: session.request(method, url, **options)
            )
            return response.json() if response.content else {}

    def _get(self, path: str, params: dict[str, Any] | None = None) -> Any:
        return self._call("GET", path, params=params)

    def _send(self, method: str, path: str, body: Any, params: dict[str, Any] | None = None) -> Any:
        return self._call(method.upper(), path, data=json.dumps(body), params=params)

    # -- search ------------------------------------------------------------------------

    def search_jql(
        self, jql: str, fields: str, max_results: int, next_page_token: str | None = None
    ) -> dict[str, Any]:
        """`GET /search/jql` (Jira Cloud's enhanced search): `issues`, `nextPageToken`."""
        params: dict[str, Any] = {"jql": jql, "fields": fields, "maxResults": max_results}
        if next_page_token:
            params["nextPageToken"] = next_page_token
        found: dict[str, Any] = self._get("search/jql", params)
        return found

    def search_classic(
        self, jql: str, fields: str, max_results: int, start_at: int = 0
    ) -> dict[str, Any]:
        """`GET /search` (Data Center / Server): `issues`, `startAt`, `total`."""
        params = {"jql": jql, "fields": fields, "maxResults": max_results, "startAt": start_at}
        found: dict[str, Any] = self._get("search", params)
        return found

    # -- issues ------------------------------------------------------------------------

    def create_issue(self, fields: dict[str, Any]) -> IssueRef:
        created = self._send("post", "issue", {"fields": fields})
        return IssueRef(created["key"], self.browse_url(created["key"]), id=created.get("id"))

    def get_issue(
        self, key: str, fields: str = "summary,description,status,labels,created"
    ) -> IssueRef:
        return _issue_ref(self.browse_url, self._get(f"issue/{key}", {"fields": fields}))

    def edit_issue(
        self,
        key: str,
        fields: dict[str, Any] | None = None,
        update: dict[str, Any] | None = None,
        notify: bool = True,
    ) -> None:
        """`PUT /issue/{key}` (204); `notify=False` adds `notifyUsers=false`."""
        body: dict[str, Any] = {}
        if fields:
            body["fields"] = fields
        if update:
            body["update"] = update
        self._send("put", f"issue/{key}", body, None if notify else {"notifyUsers": "false"})

    def project(self, project: str) -> dict[str, Any]:
        """`GET /project/{key}`: the project (id, key, name, ...)."""
        return dict(self._get(f"project/{project}"))

    def project_versions(self, project: str) -> list[dict[str, Any]]:
        """`GET /project/{key}/versions`: every version of the project (id, name, released)."""
        return list(self._get(f"project/{project}/versions"))

    # -- comments, links, transitions --------------------------------------------------

    def add_comment(self, key: str, body: str) -> str:
        return str(self._send("post", f"issue/{key}/comment", {"body": body})["id"])

    def comments(self, key: str) -> list[tuple[str, str]]:
        """(id, body) of the issue's comments, oldest first."""
        found = self._get(f"issue/{key}/comment", {"maxResults": 5000}).get("comments", [])
        return [(str(c["id"]), c.get("body") or "") for c in found]

    def latest_comments(self, key: str, count: int) -> list[dict[str, Any]]:
        """`GET /issue/{key}/comment?orderBy=-created`: the issue's newest `count` comments,
        newest first, as Jira gives them (author, body, created, visibility ...)."""
        params = {"orderBy": "-created", "maxResults": count}
        found = self._get(f"issue/{key}/comment", params).get("comments", [])
        return [c for c in found if isinstance(c, dict)]

    def myself(self) -> dict[str, Any]:
        """`GET /myself`: the account voice-router acts as (accountId; name and key on Data
        Center)."""
        return dict(self._get("myself"))

    def find_comment(self, key: str, marker: str) -> str | None:
        """The id of the issue's first comment containing `marker`, if any."""
        return next((cid for cid, body in self.comments(key) if marker in str(body)), None)

    def add_remote_link(self, key: str, global_id: str, url: str, title: str) -> None:
        """`POST /issue/{key}/remotelink`: Jira updates the link with the same `globalId`
        instead of adding a second one, so sending it again is harmless."""
        body = {"globalId": global_id, "object": {"url": url, "title": title}}
        self._send("post", f"issue/{key}/remotelink", body)

    def remote_links(self, key: str) -> list[dict[str, Any]]:
        return list(self._get(f"issue/{key}/remotelink"))

    def delete_remote_link(self, key: str, global_id: str) -> None:
        """`DELETE /issue/{key}/remotelink?globalId=...`."""
        self._call("DELETE", f"issue/{key}/remotelink", params={"globalId": global_id})

    def link_issues(self, link_type: str, inward_key: str, outward_key: str) -> None:
        """`POST /issueLink`. As Jira's UI then shows it, the *inward* issue gets the type's
        outward phrase: inward "duplicates" / "blocks" outward."""
        body = {
            "type": {"name": link_type},
            "inwardIssue": {"key": inward_key},
            "outwardIssue": {"key": outward_key},
        }
        self._send("post", "issueLink", body)

    def transitions(self, key: str) -> list[dict[str, Any]]:
        return list(self._get(f"issue/{key}/transitions").get("transitions", []))

    def transition(
        self, key: str, transition_id: str, fields: dict[str, Any] | None = None
    ) -> None:
        body: dict[str, Any] = {"transition": {"id": transition_id}}
        if fields:
            body["fields"] = fields
        self._send("post", f"issue/{key}/transitions", body)
