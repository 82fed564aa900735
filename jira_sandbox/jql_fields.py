"""The JQL fields the sandbox can search on, and how their literals resolve to ids.

Unknown values of fields with a fixed set of values (project, status, fixVersion, key...)
are Jira's 400 "The value 'X' does not exist for the field 'f'", as on Jira Cloud.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from . import catalog, jql, richtext
from .errors import JiraError
from .state import Issue, SandboxState

_T = TypeVar("_T")

# Real Jira fields this emulator cannot search on: say so instead of "does not exist".
JIRA_FIELDS_NOT_EMULATED = {
    "assignee",
    "reporter",
    "creator",
    "component",
    "components",
    "sprint",
    "comment",
    "issuelink",
    "parent",
    "duedate",
    "environment",
    "watcher",
    "voter",
    "affectedversion",
    "statuscategorychangeddate",
    "lastviewed",
    "level",
    "worklogdate",
    "attachments",
}


def _bad(message: str) -> JiraError:
    return JiraError(400, message)


@dataclass(frozen=True)
class Field:
    name: str
    kind: str  # set | date | number | text
    get: Callable[[Issue], Any]
    resolve: Callable[[jql.Value], set[str]] | None = None  # set fields: literal -> ids
    sort: Callable[[Issue], Any] | None = None


class FieldTable:
    def __init__(self, state: SandboxState) -> None:
        self.state = state
        self.fields = self._fields()

    def field(self, name: str) -> Field:
        found = self.fields.get(name.lower())
        if found is None and name.lower() in JIRA_FIELDS_NOT_EMULATED:
            raise _bad(f"The Jira sandbox does not support the field '{name}' in JQL.")
        if found is None:
            raise _bad(f"Field '{name}' does not exist or you do not have permission to view it.")
        return found

    def _fields(self) -> dict[str, Field]:
        def named(items: tuple[catalog.Named, ...], label: str) -> Callable[[jql.Value], set[str]]:
            return lambda v: {self._lookup(catalog.find_named(items, v.text), v, label).id}

        fields = [
            Field(
                "project",
                "set",
                lambda i: {str(i.project_id)},
                self._project,
                lambda i: i.project_id,
            ),
            Field("key", "set", lambda i: {str(i.id)}, self._issue, lambda i: i.id),
            Field(
                "labels", "set", lambda i: {x.lower() for x in i.labels}, lambda v: {v.text.lower()}
            ),
            Field("status", "set", lambda i: {i.status_id}, self._status, lambda i: i.status_id),
            Field("statusCategory", "set", lambda i: {str(i.status.category.id)}, self._category),
            Field(
                "resolution",
                "set",
                lambda i: {i.resolution_id} if i.resolution_id else set(),
                self._resolution,
            ),
            Field(
                "fixVersion", "set", lambda i: {str(v) for v in i.fix_version_ids}, self._version
            ),
            Field(
                "issuetype",
                "set",
                lambda i: {i.issuetype_id},
                named(catalog.ISSUE_TYPES, "issuetype"),
            ),
            Field(
                "priority",
                "set",
                lambda i: {i.priority_id},
                named(catalog.PRIORITIES, "priority"),
                lambda i: int(i.priority_id),
            ),
            Field("created", "date", lambda i: i.created, sort=lambda i: i.created),
            Field("updated", "date", lambda i: i.updated, sort=lambda i: i.updated),
            Field(
                "resolved", "date", lambda i: i.resolution_date, sort=lambda i: i.resolution_date
            ),
            Field("summary", "text", lambda i: i.summary, sort=lambda i: i.summary.lower()),
            Field("description", "text", lambda i: richtext.plain(i.description)),
            Field("text", "text", lambda i: f"{i.summary} {richtext.plain(i.description) or ''}"),
            Field(
                catalog.IMPACT_FIELD_ID,
                "number",
                lambda i: i.custom.get(catalog.IMPACT_FIELD_ID),
                sort=lambda i: i.custom.get(catalog.IMPACT_FIELD_ID),
            ),
        ]
        by_name = {f.name.lower(): f for f in fields}
        aliases = {
            "issuekey": "key",
            "id": "key",
            "issue": "key",
            "type": "issuetype",
            "createddate": "created",
            "updateddate": "updated",
            "resolutiondate": "resolved",
        }
        for definition in catalog.FIELDS:
            if definition.id in by_name:
                for clause in definition.clause_names:
                    by_name.setdefault(clause.lower(), by_name[definition.id])
        for alias, target in aliases.items():
            by_name[alias] = by_name[target]
        return by_name

    # -- literal resolution --------------------------------------------------------------

    @staticmethod
    def _lookup(found: _T | None, value: jql.Value, label: str) -> _T:
        if found is None:
            raise _bad(f"The value '{value.text}' does not exist for the field '{label}'.")
        return found

    def _project(self, value: jql.Value) -> set[str]:
        return {str(self._lookup(self.state.project(value.text), value, "project").id)}

    def _issue(self, value: jql.Value) -> set[str]:
        if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_]*-\d+|\d+", value.text):
            raise _bad(f"The issue key '{value.text}' for field 'key' is invalid.")
        issue = self.state.find_issue(value.text)
        if issue is None:
            raise _bad(f"An issue with key '{value.text}' does not exist for field 'key'.")
        return {str(issue.id)}

    def _status(self, value: jql.Value) -> set[str]:
        found = next(
            (s for s in catalog.STATUSES if value.text.lower() in (s.id, s.name.lower())), None
        )
        return {self._lookup(found, value, "status").id}

    def _category(self, value: jql.Value) -> set[str]:
        text = value.text.lower()
        found = next(
            (c for c in catalog.CATEGORIES if text in (str(c.id), c.key, c.name.lower())), None
        )
        return {str(self._lookup(found, value, "statusCategory").id)}

    def _resolution(self, value: jql.Value) -> set[str]:
        return {
            self._lookup(
                catalog.find_named(catalog.RESOLUTIONS, value.text), value, "resolution"
            ).id
        }

    def _version(self, value: jql.Value) -> set[str]:
        if value.function:
            name = value.text.lower()
            if name not in ("releasedversions", "unreleasedversions"):
                raise _bad(f"Unable to find JQL function '{value.text}()'.")
            released = name == "releasedversions"
            return {str(v.id) for v in self.state.versions.values() if v.released == released}
        matches = {
            str(v.id) for v in self.state.versions.values() if value.text in (str(v.id), v.name)
        }
        return self._lookup(matches or None, value, "fixVersion")
