"""In-memory state of the emulated Jira site. All access goes through `state.lock`."""

from __future__ import annotations

import hashlib
import itertools
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from . import catalog
from .errors import issue_not_found
from .index import SearchIndex
from .permissions import Permissions
from .traffic import Traffic

DEPLOYMENTS = ("cloud", "datacenter")


@dataclass
class Account:
    account_id: str
    email: str
    display_name: str
    api_token: str | None = None


@dataclass
class Project:
    id: int
    key: str
    name: str


@dataclass
class Version:
    id: int
    project_id: int
    name: str
    description: str = ""
    released: bool = False
    archived: bool = False
    release_date: date | None = None


@dataclass
class Comment:
    id: int
    issue_id: int
    body: Any
    author_id: str
    created: datetime
    updated: datetime


@dataclass
class RemoteLink:
    id: int
    issue_id: int
    object: dict[str, Any]
    global_id: str | None = None
    application: dict[str, Any] | None = None
    relationship: str | None = None


@dataclass
class IssueLink:
    id: int
    type_id: str
    inward_id: int
    outward_id: int


@dataclass
class Issue:
    id: int
    key: str
    project_id: int
    issuetype_id: str
    summary: str
    created: datetime
    updated: datetime
    reporter_id: str
    description: Any = None
    labels: list[str] = field(default_factory=list)
    priority_id: str = catalog.DEFAULT_PRIORITY.id
    status_id: str = catalog.INITIAL_STATUS.id
    status_changed: datetime | None = None
    resolution_id: str | None = None
    resolution_date: datetime | None = None
    fix_version_ids: list[int] = field(default_factory=list)
    assignee_id: str | None = None
    custom: dict[str, Any] = field(default_factory=dict)

    @property
    def status(self) -> catalog.Status:
        return catalog.status_by_id(self.status_id)


@dataclass(frozen=True)
class Event:
    """One change as Jira would announce it by webhook; `payload` is the exact body, `issue`
    a copy of the issue as the change left it (for webhook JQL filters)."""

    name: str
    payload: bytes
    via_api: bool
    issue_key: str | None = None
    issue: Issue | None = None


def _account_id(seed: str) -> str:
    return "712020:" + hashlib.sha1(seed.encode()).hexdigest()[:24]


def _utcnow() -> datetime:
    return datetime.now(UTC)


class SandboxState:
    def __init__(
        self,
        email: str = "bot@example.com",
        api_token: str = "t0k",
        projects: tuple[str, ...] = ("PROD",),
        *,
        clock: Callable[[], datetime] = _utcnow,
        base_url: str = "http://127.0.0.1",
        deployment: str = "cloud",
        index_lag: float = 0.0,
        server_version: str = "9.12.15",
    ) -> None:
        if deployment not in DEPLOYMENTS:
            raise ValueError(f"deployment must be one of {DEPLOYMENTS}")
        self.lock = threading.RLock()
        self.clock = clock
        self.base_url = base_url
        self.deployment = deployment
        self.server_version = server_version  # reported by serverInfo on Data Center
        self.bot = Account(_account_id(email), email, email.split("@")[0], api_token)
        self.human = Account(_account_id("pat@example.com"), "pat@example.com", "Pat Human")
        self.accounts = [self.bot, self.human]
        self.permissions = Permissions()
        self.index: SearchIndex[Issue] = SearchIndex(index_lag)
        self.projects: dict[int, Project] = {}
        self.issues: dict[int, Issue] = {}
        self.comments: list[Comment] = []
        self.remote_links: list[RemoteLink] = []
        self.issue_links: list[IssueLink] = []
        self.versions: dict[int, Version] = {}
        self.events: list[Event] = []
        self.listeners: list[Callable[[Event], None]] = []
        self.traffic = Traffic()
        self._counters: dict[str, itertools.count[int]] = {}
        self._issue_numbers: dict[int, itertools.count[int]] = {}
        self._last_now: datetime | None = None
        for key in projects:
            self.add_project(key)

    @property
    def search_lag(self) -> float:
        """Seconds the search index is behind the issues (see index.py)."""
        return self.index.lag

    @search_lag.setter
    def search_lag(self, seconds: float) -> None:
        self.index.set_lag(seconds)

    def reindex(self, issue: Issue, *, deleted: bool = False) -> None:
        """Hand the issue's new state (or its deletion) to the search index, as of the
        change's time (`updated`; a deletion: now)."""
        at = max(self.clock().astimezone(UTC), issue.updated) if deleted else issue.updated
        self.index.record(issue, at, deleted=deleted)

    def add_account(self, email: str, api_token: str | None, display_name: str = "") -> Account:
        """Another user; with an API token (or PAT) it can call the REST API."""
        with self.lock:
            account = Account(
                _account_id(email), email, display_name or email.split("@")[0], api_token
            )
            self.accounts.append(account)
            return account

    def next_id(self, kind: str, start: int = 10000) -> int:
        return next(self._counters.setdefault(kind, itertools.count(start)))

    def now(self) -> datetime:
        """The clock at millisecond precision, strictly increasing so every change bumps it."""
        with self.lock:
            now = self.clock().astimezone(UTC)
            now = now.replace(microsecond=now.microsecond // 1000 * 1000)
            if self._last_now is not None and now <= self._last_now:
                now = self._last_now + timedelta(milliseconds=1)
            self._last_now = now
            return now

    # -- lookups -------------------------------------------------------------------------

    def add_project(self, key: str, name: str | None = None) -> Project:
        with self.lock:
            project = Project(self.next_id("project"), key.upper(), name or key.title())
            self.projects[project.id] = project
            self._issue_numbers[project.id] = itertools.count(1)
            return project

    def project(self, ref: object) -> Project | None:
        text = str(ref)
        return next(
            (p for p in self.projects.values() if str(p.id) == text or p.key == text.upper()),
            None,
        )

    def next_issue_key(self, project: Project) -> str:
        return f"{project.key}-{next(self._issue_numbers[project.id])}"

    def find_issue(self, ref: object) -> Issue | None:
        text = str(ref)
        if text.isdigit():
            return self.issues.get(int(text))
        return next((i for i in self.issues.values() if i.key == text.upper()), None)

    def get_issue(self, ref: object) -> Issue:
        issue = self.find_issue(ref)
        if issue is None:
            raise issue_not_found()
        return issue

    def account(self, account_id: str | None) -> Account | None:
        return next((a for a in self.accounts if a.account_id == account_id), None)

    def project_versions(self, project_id: int) -> list[Version]:
        return [v for v in self.versions.values() if v.project_id == project_id]

    def find_version(self, ref: object, project_id: int | None = None) -> Version | None:
        """By id, or by name (within `project_id` when given)."""
        text = str(ref)
        for version in self.versions.values():
            if project_id is not None and version.project_id != project_id:
                continue
            if str(version.id) == text or version.name == text:
                return version
        return None

    def issue_comments(self, issue_id: int) -> list[Comment]:
        return [c for c in self.comments if c.issue_id == issue_id]

    def issue_remote_links(self, issue_id: int) -> list[RemoteLink]:
        return [r for r in self.remote_links if r.issue_id == issue_id]

    # -- events --------------------------------------------------------------------------

    def emit(self, event: Event) -> None:
        """Record a change; listeners run under the lock and must not block."""
        with self.lock:
            self.events.append(event)
            for listener in list(self.listeners):
                listener(event)
