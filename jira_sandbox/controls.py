"""`SandboxControls`: look at and drive a sandbox's state as a person in Jira would.

Works on a bare `SandboxState` (e.g. behind `create_app(state)` and a Flask test client);
`JiraSandbox` adds the HTTP server and webhook delivery.
"""

from __future__ import annotations

from typing import Any, Literal

from . import catalog, lifecycle, linking, payloads, render
from .controls_site import SiteControls
from .issue_json import issue_json
from .state import Event, Issue, Project, SandboxState, Version
from .traffic import Call


class SandboxControls(SiteControls):
    """Person-made changes (`transition`, `edit`, `release_version`, `delete_issue`, ...)
    return the webhook body Jira would send for them; `_deliver` decides whether it goes out."""

    def __init__(self, state: SandboxState, project: str = "PROD") -> None:
        self.state = state
        self.project = project

    @property
    def api(self) -> str:
        return payloads.api_base(self.state)

    # -- inspection ----------------------------------------------------------------------

    def issues(self) -> list[dict[str, Any]]:
        with self.state.lock:
            return [issue_json(self.api, self.state, i) for i in self.state.issues.values()]

    def issue(self, key: str) -> dict[str, Any]:
        """The issue as GET /rest/api/2/issue/{key} returns it; KeyError if missing."""
        with self.state.lock:
            found = self.state.find_issue(key)
            if found is None:
                raise KeyError(key)
            return issue_json(self.api, self.state, found)

    def comments(self, key: str) -> list[dict[str, Any]]:
        with self.state.lock:
            issue = self._issue(key)
            return [
                render.comment(self.api, self.state, c) for c in self.state.issue_comments(issue.id)
            ]

    def remote_links(self, key: str) -> list[dict[str, Any]]:
        with self.state.lock:
            issue = self._issue(key)
            return [
                render.remote_link(self.api, self.state, r)
                for r in self.state.issue_remote_links(issue.id)
            ]

    def versions(self) -> list[dict[str, Any]]:
        with self.state.lock:
            return [render.version(self.api, v) for v in self.state.versions.values()]

    @property
    def events(self) -> list[Event]:
        """Every change Jira would announce, person-made or API-made, with its webhook body."""
        with self.state.lock:
            return list(self.state.events)

    @property
    def calls(self) -> list[Call]:
        return self.state.traffic.calls

    def reset_calls(self) -> None:
        self.state.traffic.reset_calls()

    def count_calls(self, method: str = "*", path_regex: str = ".*") -> int:
        """Requests received whose method matches and whose path fully matches the regex."""
        return self.state.traffic.count(method, path_regex)

    # -- a person working in Jira ----------------------------------------------------------

    def transition(
        self,
        key: str,
        to_status_name: str,
        resolution: str | None = None,
        *,
        comment: str | None = None,
        send: bool = True,
        looped: bool = False,
    ) -> bytes:
        """`comment`: written on the transition's screen, as a person closing an issue says
        why (Jira adds it as a comment, then sends the issue's event). `looped`: through a
        looped transition, which an admin adds to a workflow to show a transition screen
        without moving the issue (Jira Cloud's "Create workflow transitions"): the issue may
        stay in its status, with the resolution chosen on that screen (Done, then Won't Do)."""
        target = catalog.status_by_name(to_status_name)
        if target is None:
            raise ValueError(f"no status named {to_status_name!r}")
        with self.state.lock:
            issue = self._issue(key)
            if issue.status_id == target.id and not looped:
                raise ValueError(f"{key} is already in {target.name}")
            event = lifecycle.transition(
                self.state,
                issue,
                target,
                self.state.human,
                resolution=resolution,
                comments=[comment] if comment is not None else None,
                via_api=False,
            )
        return self._deliver(event, send)

    def comment(self, key: str, body: str, *, send: bool = True) -> bytes:
        """Comment on the issue as a person; the `comment_created` body Jira sends."""
        with self.state.lock:
            issue = self._issue(key)
            lifecycle.add_comment(self.state, issue, body, self.state.human, via_api=False)
            event = self.state.events[-1]
        return self._deliver(event, send)

    def edit(
        self,
        key: str,
        fields: dict[str, Any] | None = None,
        update: dict[str, Any] | None = None,
        *,
        send: bool = True,
    ) -> bytes | None:
        """Edit as a person; None when nothing changed (Jira sends nothing then)."""
        with self.state.lock:
            issue = self._issue(key)
            event = lifecycle.edit_issue(
                self.state, issue, fields, update, self.state.human, via_api=False
            )
        return None if event is None else self._deliver(event, send)

    def delete_issue(self, key: str, *, send: bool = True) -> bytes:
        with self.state.lock:
            event = lifecycle.delete_issue(
                self.state, self._issue(key), self.state.human, via_api=False
            )
        return self._deliver(event, send)

    def create_version(
        self, name: str, *, released: bool = False, project: str | None = None, send: bool = True
    ) -> dict[str, Any]:
        with self.state.lock:
            version, event = linking.create_version(
                self.state, self._project(project), name, released=released
            )
            body = render.version(self.api, version)
        self._deliver(event, send)
        return body

    def release_version(self, name: str, *, project: str | None = None, send: bool = True) -> bytes:
        with self.state.lock:
            event = linking.release_version(self.state, self._version(name, project))
        return self._deliver(event, send)

    def unrelease_version(
        self, name: str, *, project: str | None = None, send: bool = True
    ) -> bytes:
        with self.state.lock:
            event = linking.unrelease_version(self.state, self._version(name, project))
        return self._deliver(event, send)

    def rename_version(
        self, name: str, new_name: str, *, project: str | None = None, send: bool = True
    ) -> bytes:
        with self.state.lock:
            event = linking.rename_version(self.state, self._version(name, project), new_name)
        return self._deliver(event, send)

    def webhook_payload(
        self,
        event: str,
        key: str | None = None,
        *,
        version: str | None = None,
        changelog: list[dict[str, Any]] | None = None,
    ) -> bytes:
        """The body Jira would send for `event` about the current state; nothing is sent."""
        with self.state.lock:
            if event in payloads.VERSION_EVENTS:
                if version is None:
                    raise ValueError("version events need version=")
                body = payloads.version_event(self.state, event, self._version(version, None))
            else:
                issue = self._issue(key or "")
                type_name = {
                    "jira:issue_created": "issue_created",
                    "jira:issue_updated": "issue_generic",
                }.get(event)
                body = payloads.issue_event(
                    self.state, event, issue, self.state.human, changelog or [], type_name
                )
        return payloads.encode(body)

    # -- faults --------------------------------------------------------------------------

    def fail_next(
        self,
        method: str,
        path_regex: str,
        status: int,
        times: int = 1,
        retry_after: int | None = None,
        body: Any = None,
    ) -> None:
        """Answer the next `times` matching requests with `status` (Jira's error JSON unless
        `body` is given), without touching state."""
        self.state.traffic.add(
            "fail", method, path_regex, times, status=status, retry_after=retry_after, body=body
        )

    def delay_next(self, method: str, path_regex: str, seconds: float, times: int = 1) -> None:
        """Hold matching requests for `seconds`, then process them normally (as a slow Jira
        that still commits after the client gave up)."""
        self.state.traffic.add("delay", method, path_regex, times, seconds=seconds)

    def release_delayed(self) -> None:
        """Let every request held by `delay_next` go on at once (a test that holds a request
        in flight until it has done what it wanted meanwhile); later delays pass at once."""
        self.state.traffic.wake.set()

    def drop_after_commit_next(
        self,
        method: str,
        path_regex: str,
        times: int = 1,
        mode: Literal["drop", "503"] = "drop",
    ) -> None:
        """Perform matching requests, then cut the connection (or answer 503) instead of
        returning the result: "Jira created the issue but we never saw the key"."""
        self.state.traffic.add("drop", method, path_regex, times, mode=mode)

    def trickle_next(self, method: str, path_regex: str, seconds: float, times: int = 1) -> None:
        """Perform matching requests, then send the answer's body a byte at a time over
        `seconds`: every byte comes well within a per-read timeout, the whole answer late."""
        self.state.traffic.add("drop", method, path_regex, times, mode="trickle", seconds=seconds)

    def clear_faults(self) -> None:
        self.state.traffic.clear_faults()

    # -- internals -----------------------------------------------------------------------

    def _issue(self, key: str) -> Issue:
        issue = self.state.find_issue(key)
        if issue is None:
            raise KeyError(key)
        return issue

    def _project(self, key: str | None) -> Project:
        found = self.state.project(key or self.project)
        if found is None:
            raise KeyError(key)
        return found

    def _version(self, name: str, project: str | None) -> Version:
        pid = self._project(project).id if project else None
        found = self.state.find_version(name, pid)
        if found is None:
            raise KeyError(name)
        return found

    def _deliver(self, event: Event, send: bool) -> bytes:
        return event.payload
