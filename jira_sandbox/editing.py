"""Validation and application of `{"fields": {...}, "update": {...}}` edits, as Jira does.

An edit is all-or-nothing: every operation is validated first, errors are collected per
field (Jira's `errors` map), and only a clean edit touches the issue.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

from . import catalog, richtext
from .errors import NOT_ON_SCREEN, JiraError, field_errors
from .state import Issue, SandboxState

SETTABLE = {"summary", "description", "labels", "priority", "fixVersions", "assignee", "issuetype"}
LIST_FIELDS = {"labels", "fixVersions"}
BAD_OPERATION = (
    "Can not deserialize instance of com.atlassian.jira.rest.v2.issue.FieldOperation "
    "out of VALUE_STRING token"
)
# The rule is Atlassian's ("Fields included in here cannot be included in `update`", 400);
# the wording is the sandbox's: no capture of Jira's message was found.
IN_BOTH = "Field '{}' cannot be set in both 'fields' and 'update'."


@dataclass
class Draft:
    """The editable part of an issue."""

    summary: str = ""
    description: Any = None
    labels: list[str] = field(default_factory=list)
    priority_id: str = catalog.DEFAULT_PRIORITY.id
    issuetype_id: str = ""
    fix_version_ids: list[int] = field(default_factory=list)
    assignee_id: str | None = None
    custom: dict[str, Any] = field(default_factory=dict)
    new_comments: list[Any] = field(default_factory=list)

    @classmethod
    def of(cls, issue: Issue) -> Draft:
        return cls(
            issue.summary,
            copy.deepcopy(issue.description),
            list(issue.labels),
            issue.priority_id,
            issue.issuetype_id,
            list(issue.fix_version_ids),
            issue.assignee_id,
            dict(issue.custom),
        )

    def apply_to(self, issue: Issue) -> None:
        issue.summary = self.summary
        issue.description = self.description
        issue.labels = sorted(set(self.labels))
        issue.priority_id = self.priority_id
        issue.issuetype_id = self.issuetype_id
        issue.fix_version_ids = list(self.fix_version_ids)
        issue.assignee_id = self.assignee_id
        issue.custom = dict(self.custom)


def operations(fields: Any, update: Any) -> list[tuple[str, str, Any]]:
    """Flatten both request forms into `(field id, verb, value)` triples."""
    if not isinstance(fields or {}, dict) or not isinstance(update or {}, dict):
        raise JiraError(400, "Can not deserialize instance of java.util.LinkedHashMap")
    both = sorted(set(fields or {}) & set(update or {}))
    if both:
        raise field_errors({fid: IN_BOTH.format(fid) for fid in both})
    ops = [(fid, "set", value) for fid, value in (fields or {}).items()]
    for fid, items in (update or {}).items():
        if not isinstance(items, list):
            raise JiraError(400, BAD_OPERATION)
        for item in items:
            if not isinstance(item, dict) or len(item) != 1:
                raise JiraError(400, BAD_OPERATION)
            ((verb, value),) = item.items()
            ops.append((fid, verb, value))
    return ops


def apply_operations(
    state: SandboxState,
    draft: Draft,
    ops: list[tuple[str, str, Any]],
    project_id: int,
    api_version: str = "2",
) -> Draft:
    """Return a new draft with `ops` applied, or raise a 400 carrying every field error."""
    draft = copy.deepcopy(draft)
    errors: dict[str, str] = {}
    for fid, verb, value in ops:
        try:
            _apply(state, draft, fid, verb, value, project_id, api_version)
        except ValueError as exc:
            errors.setdefault(fid, str(exc))
    if errors:
        raise field_errors(errors)
    return draft


def _apply(
    state: SandboxState,
    draft: Draft,
    fid: str,
    verb: str,
    value: Any,
    project_id: int,
    api_version: str,
) -> None:
    if fid == "comment" and verb == "add":
        body = value.get("body") if isinstance(value, dict) else None
        problem = richtext.comment_problem(body, api_version, state.deployment)
        if problem is not None:
            raise ValueError(problem)
        draft.new_comments.append(body)
        return
    if fid not in SETTABLE and fid not in catalog.NUMBER_CUSTOM_FIELDS:
        raise ValueError(NOT_ON_SCREEN.format(fid))
    allowed = {"set", "add", "remove"} if fid in LIST_FIELDS else {"set"}
    if verb not in allowed:
        raise ValueError(f"Field '{fid}' does not support operation '{verb}'")
    if fid == "labels":
        _labels(draft, verb, value)
    elif fid == "fixVersions":
        _fix_versions(state, draft, verb, value, project_id)
    else:
        _set_single(state, draft, fid, value, api_version)


def _set_single(state: SandboxState, draft: Draft, fid: str, value: Any, api: str) -> None:
    if fid == "summary":
        if not isinstance(value, str) or not value.strip():
            raise ValueError("You must specify a summary of the issue.")
        if "\n" in value or "\r" in value:
            raise ValueError("The summary is invalid because it contains newline characters.")
        if len(value) > 255:
            raise ValueError("Summary must be less than 255 characters.")
        draft.summary = value
    elif fid == "description":
        richtext.check_description(value, api, state.deployment)
        draft.description = value
    elif fid == "priority":
        found = _named(catalog.PRIORITIES, value)
        if found is None:
            raise ValueError("The priority selected is invalid.")
        draft.priority_id = found.id
    elif fid == "issuetype":
        found = _named(catalog.ISSUE_TYPES, value)
        if found is None:
            raise ValueError("The issue type selected is invalid.")
        draft.issuetype_id = found.id
    elif fid == "assignee":
        ref = value.get("accountId") if isinstance(value, dict) else value
        if ref is not None and state.account(ref) is None:
            raise ValueError(f"User '{ref}' cannot be assigned issues.")
        draft.assignee_id = ref
    else:  # a number custom field
        if value is not None and (isinstance(value, bool) or not isinstance(value, int | float)):
            raise ValueError("Operation value must be a number")
        draft.custom[fid] = None if value is None else float(value)


def _named(items: tuple[catalog.Named, ...], value: Any) -> catalog.Named | None:
    if not isinstance(value, dict):
        return None
    ref = value.get("id", value.get("name"))
    return catalog.find_named(items, ref) if ref is not None else None


def _check_label(label: Any) -> str:
    if not isinstance(label, str) or not label:
        raise ValueError("Labels must be non-empty strings.")
    if any(ch.isspace() for ch in label):
        raise ValueError(f"The label '{label}' contains spaces which is invalid.")
    if len(label) > 255:
        raise ValueError(f"The label '{label}' exceeds the 255 character limit.")
    return label


def _labels(draft: Draft, verb: str, value: Any) -> None:
    if verb == "set":
        if not isinstance(value, list):
            raise ValueError("data was not an array")
        draft.labels = [_check_label(v) for v in value]
    elif verb == "add":
        label = _check_label(value)
        if label not in draft.labels:
            draft.labels.append(label)
    else:
        draft.labels = [v for v in draft.labels if v != value]


def _version_id(state: SandboxState, ref: Any, project_id: int) -> int:
    key = ref.get("id", ref.get("name")) if isinstance(ref, dict) else None
    version = state.find_version(key, project_id) if key is not None else None
    if version is None:
        kind = "id" if isinstance(ref, dict) and "id" in ref else "name"
        raise ValueError(f"Version {kind} '{key}' is not valid")
    return version.id


def _fix_versions(state: SandboxState, draft: Draft, verb: str, value: Any, pid: int) -> None:
    if verb == "set":
        if not isinstance(value, list):
            raise ValueError("data was not an array")
        draft.fix_version_ids = list(dict.fromkeys(_version_id(state, v, pid) for v in value))
        return
    vid = _version_id(state, value, pid)
    if verb == "add" and vid not in draft.fix_version_ids:
        draft.fix_version_ids.append(vid)
    elif verb == "remove":
        draft.fix_version_ids = [v for v in draft.fix_version_ids if v != vid]
