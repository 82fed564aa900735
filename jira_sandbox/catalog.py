"""Fixed reference data of the emulated Jira site: workflow, resolutions, fields, link types.

Ids follow a fresh Jira Cloud company-managed project (and the Mattermost fixtures:
To Do 10001 / In Progress 3 / Done 10002, resolution Done 10000).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class StatusCategory:
    id: int
    key: str
    name: str
    color: str


@dataclass(frozen=True)
class Status:
    id: str
    name: str
    category: StatusCategory
    transition_id: str  # the global transition that leads into this status


@dataclass(frozen=True)
class Named:
    """Resolutions, priorities, issue types and link types: an id, a name, a description."""

    id: str
    name: str
    description: str = ""
    inward: str = ""
    outward: str = ""


@dataclass(frozen=True)
class FieldDef:
    id: str
    name: str
    schema: dict[str, Any]
    custom: bool = False
    clause_names: tuple[str, ...] = ()
    orderable: bool = True


NEW = StatusCategory(2, "new", "To Do", "blue-gray")
INDETERMINATE = StatusCategory(4, "indeterminate", "In Progress", "yellow")
DONE = StatusCategory(3, "done", "Done", "green")
CATEGORIES = (NEW, INDETERMINATE, DONE)

STATUSES = (
    Status("10001", "To Do", NEW, "11"),
    Status("3", "In Progress", INDETERMINATE, "21"),
    Status("10002", "Done", DONE, "31"),
    # A done status of the workflow's own, as teams add for what they decided not to do;
    # entering it resolves the issue Done unless a resolution is given, as a workflow that
    # resolves every done status does.
    Status("10003", "Won't Do", DONE, "41"),
)
INITIAL_STATUS = STATUSES[0]

RESOLUTIONS = (
    Named("10000", "Done", "Work has been completed on this issue."),
    Named("10001", "Won't Do", "This issue won't be actioned."),
    Named("10002", "Duplicate", "The problem is a duplicate of an existing issue."),
    Named("10003", "Cannot Reproduce", "This issue couldn't be reproduced."),
    Named("10004", "Fixed", "A fix for this issue is checked in."),
)
DEFAULT_RESOLUTION = RESOLUTIONS[0]

PRIORITIES = (
    Named("1", "Highest"),
    Named("2", "High"),
    Named("3", "Medium"),
    Named("4", "Low"),
    Named("5", "Lowest"),
)
DEFAULT_PRIORITY = PRIORITIES[2]

ISSUE_TYPES = (
    Named("10000", "Epic", "A big user story that needs to be broken down."),
    Named("10001", "Task", "A small, distinct piece of work."),
    Named("10003", "Story", "Functionality or a feature expressed as a user goal."),
    Named("10004", "Bug", "A problem or error."),
)

LINK_TYPES = (
    Named("10000", "Blocks", inward="is blocked by", outward="blocks"),
    Named("10001", "Cloners", inward="is cloned by", outward="clones"),
    Named("10002", "Duplicate", inward="is duplicated by", outward="duplicates"),
    Named("10003", "Relates", inward="relates to", outward="relates to"),
)

IMPACT_FIELD_ID = "customfield_10050"
NUMBER_CUSTOM_FIELDS = {IMPACT_FIELD_ID}


def _system(fid: str, name: str, schema_type: str, *clauses: str, **extra: str) -> FieldDef:
    schema = {"type": schema_type, "system": fid, **extra}
    return FieldDef(fid, name, schema, clause_names=clauses or (fid,))


FIELDS = (
    _system("summary", "Summary", "string", "summary"),
    _system("description", "Description", "string", "description"),
    _system("labels", "Labels", "array", "labels", items="string"),
    _system("status", "Status", "status", "status"),
    _system("resolution", "Resolution", "resolution", "resolution"),
    _system("resolutiondate", "Resolved", "datetime", "resolutiondate", "resolved"),
    _system("fixVersions", "Fix versions", "array", "fixVersion", items="version"),
    _system("issuetype", "Issue Type", "issuetype", "issuetype", "type"),
    _system("project", "Project", "project", "project"),
    _system("priority", "Priority", "priority", "priority"),
    _system("created", "Created", "datetime", "created", "createdDate"),
    _system("updated", "Updated", "datetime", "updated", "updatedDate"),
    _system("assignee", "Assignee", "user", "assignee"),
    _system("reporter", "Reporter", "user", "reporter"),
    _system("comment", "Comment", "comments-page", "comment"),
    _system("issuelinks", "Linked Issues", "array", "issueLink", items="issuelinks"),
    _system("statusCategory", "Status Category", "statusCategory", "statusCategory"),
    FieldDef("issuekey", "Key", {}, clause_names=("id", "issue", "issuekey", "key")),
    FieldDef(
        IMPACT_FIELD_ID,
        "Customer impact",
        {
            "type": "number",
            "custom": "com.atlassian.jira.plugin.system.customfieldtypes:float",
            "customId": 10050,
        },
        custom=True,
        clause_names=("cf[10050]", "Customer impact", "Customer impact[Number]"),
    ),
)


def status_by_name(name: str) -> Status | None:
    return next((s for s in STATUSES if s.name.lower() == name.lower()), None)


def status_by_id(sid: str) -> Status:
    return next(s for s in STATUSES if s.id == sid)


def find_named(items: tuple[Named, ...], ref: object) -> Named | None:
    """Look an entry up by id or (case-insensitive) name, as Jira's `{"id"}` / `{"name"}` refs."""
    text = str(ref)
    return next(
        (i for i in items if i.id == text or i.name.lower() == text.lower()),
        None,
    )


def field_name(fid: str) -> str:
    return next((f.name for f in FIELDS if f.id == fid), fid)
