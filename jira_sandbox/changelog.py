"""Changelog items as Jira puts them in `jira:issue_updated` webhooks."""

from __future__ import annotations

from typing import Any

from . import catalog, richtext
from .editing import Draft
from .state import SandboxState


def item(
    name: str,
    field_id: str,
    before: tuple[str | None, str | None],
    after: tuple[str | None, str | None],
    fieldtype: str = "jira",
) -> dict[str, Any]:
    return {
        "field": name,
        "fieldtype": fieldtype,
        "fieldId": field_id,
        "from": before[0],
        "fromString": before[1],
        "to": after[0],
        "toString": after[1],
    }


def _text(value: Any) -> str | None:
    return richtext.plain(value)


def _number(value: float | None) -> str | None:
    return None if value is None else f"{value:g}"


def diff(state: SandboxState, old: Draft, new: Draft) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    if old.summary != new.summary:
        items.append(item("summary", "summary", (None, old.summary), (None, new.summary)))
    if old.description != new.description:
        items.append(
            item(
                "description",
                "description",
                (None, _text(old.description)),
                (None, _text(new.description)),
            )
        )
    if sorted(set(old.labels)) != sorted(set(new.labels)):
        items.append(
            item(
                "labels",
                "labels",
                (None, " ".join(sorted(set(old.labels)))),
                (None, " ".join(sorted(set(new.labels)))),
            )
        )
    if old.priority_id != new.priority_id:
        items.append(_named("priority", catalog.PRIORITIES, old.priority_id, new.priority_id))
    if old.issuetype_id != new.issuetype_id:
        items.append(_named("issuetype", catalog.ISSUE_TYPES, old.issuetype_id, new.issuetype_id))
    if old.assignee_id != new.assignee_id:
        before, after = state.account(old.assignee_id), state.account(new.assignee_id)
        items.append(
            item(
                "assignee",
                "assignee",
                (old.assignee_id, before.display_name if before else None),
                (new.assignee_id, after.display_name if after else None),
            )
        )
    for vid in new.fix_version_ids:
        if vid not in old.fix_version_ids:
            name = state.versions[vid].name
            items.append(item("Fix Version", "fixVersions", (None, None), (str(vid), name)))
    for vid in old.fix_version_ids:
        if vid not in new.fix_version_ids:
            name = state.versions[vid].name
            items.append(item("Fix Version", "fixVersions", (str(vid), name), (None, None)))
    for fid in sorted(set(old.custom) | set(new.custom)):
        before_value, after_value = old.custom.get(fid), new.custom.get(fid)
        if before_value != after_value:
            items.append(
                item(
                    catalog.field_name(fid),
                    fid,
                    (None, _number(before_value)),
                    (None, _number(after_value)),
                    fieldtype="custom",
                )
            )
    return items


def _named(fid: str, items: tuple[catalog.Named, ...], old_id: str, new_id: str) -> dict[str, Any]:
    old, new = catalog.find_named(items, old_id), catalog.find_named(items, new_id)
    return item(
        fid,
        fid,
        (old_id, old.name if old else None),
        (new_id, new.name if new else None),
    )


def workflow(
    old_status: catalog.Status,
    new_status: catalog.Status,
    old_resolution: str | None,
    new_resolution: str | None,
) -> list[dict[str, Any]]:
    """Resolution first, then status: the order of the Mattermost captures."""
    items = []
    if old_resolution != new_resolution:
        before = catalog.find_named(catalog.RESOLUTIONS, old_resolution or "")
        after = catalog.find_named(catalog.RESOLUTIONS, new_resolution or "")
        items.append(
            item(
                "resolution",
                "resolution",
                (old_resolution, before.name if before else None),
                (new_resolution, after.name if after else None),
            )
        )
    if old_status != new_status:
        items.append(
            item(
                "status",
                "status",
                (old_status.id, old_status.name),
                (new_status.id, new_status.name),
            )
        )
    return items
