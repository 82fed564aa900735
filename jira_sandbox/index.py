"""The search index: what searches see, `lag` seconds behind the issues themselves.

Jira's searches run on an index that is eventually consistent with the issues ("recent
updates might not be immediately visible in the returned search results", Atlassian's
description of `search/jql`). The sandbox keeps, per issue, the versions written in the last
`lag` seconds plus the newest older one; a search matches and renders the newest version at
least `lag` seconds old. A new issue stays invisible until its first version is old enough, a
deleted one stays visible as it was, and `reconcileIssues` ids are read live (read-after-write,
as on Jira Cloud). With `lag == 0` nothing is recorded and searches read the issues directly.
"""

from __future__ import annotations

import copy
import threading
from datetime import UTC, datetime, timedelta
from typing import Generic, Protocol, TypeVar

LONG_AGO = datetime.min.replace(tzinfo=UTC)


class Identified(Protocol):
    """What the index needs of an issue: its id (so it need not import the state's Issue)."""

    @property
    def id(self) -> int: ...


Issue = TypeVar("Issue", bound=Identified)


class SearchIndex(Generic[Issue]):
    def __init__(self, lag: float = 0.0) -> None:
        self.lag = float(lag)
        self._lock = threading.Lock()
        self._versions: dict[int, list[tuple[datetime, Issue | None]]] = {}

    def record(self, issue: Issue, at: datetime, *, deleted: bool = False) -> None:
        """Note the issue as it is now (or its deletion), written at `at`."""
        if self.lag <= 0:
            return
        snapshot = None if deleted else copy.deepcopy(issue)
        with self._lock:
            versions = self._versions.setdefault(issue.id, [])
            versions.append((at, snapshot))
            self._prune(issue.id, at)

    def _prune(self, issue_id: int, now: datetime) -> None:
        versions = self._versions[issue_id]
        cutoff = now - timedelta(seconds=self.lag)
        settled = [n for n, (at, _) in enumerate(versions) if at <= cutoff]
        if settled:
            del versions[: settled[-1]]
        if len(versions) == 1 and versions[0][1] is None and versions[0][0] <= cutoff:
            del self._versions[issue_id]

    def set_lag(self, seconds: float) -> None:
        """Change the lag; versions already recorded keep their times."""
        with self._lock:
            self.lag = max(0.0, float(seconds))
            if self.lag == 0:
                self._versions.clear()

    def catch_up(self) -> None:
        """The index has caught up: every issue's newest version is searchable now."""
        with self._lock:
            for issue_id, versions in list(self._versions.items()):
                if versions[-1][1] is None:
                    del self._versions[issue_id]
                else:
                    self._versions[issue_id] = [(LONG_AGO, versions[-1][1])]

    def visible(
        self, live: dict[int, Issue], now: datetime, reconcile: set[int] | None = None
    ) -> list[Issue]:
        """The issues a search sees at `now`, in the form the index holds them."""
        if self.lag <= 0:
            return list(live.values())
        cutoff = now - timedelta(seconds=self.lag)
        reconcile = reconcile or set()
        seen: list[Issue] = []
        with self._lock:
            ids = list(dict.fromkeys([*self._versions, *live]))
            for issue_id in ids:
                if issue_id in reconcile:
                    if issue_id in live:
                        seen.append(live[issue_id])
                    continue
                versions = self._versions.get(issue_id)
                if not versions:  # unchanged since before anything was recorded
                    seen.append(live[issue_id])
                    continue
                settled = [snap for at, snap in versions if at <= cutoff]
                if settled and settled[-1] is not None:
                    seen.append(settled[-1])
        return seen
