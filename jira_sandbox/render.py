"""JSON shapes of Jira Cloud REST v2 resources. `api` is the REST base, e.g. `<site>/rest/api/2`.

`self` URLs have the real path shapes: the `jira` library picks resource classes by them.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from . import catalog, richtext
from .state import Account, Comment, Issue, IssueLink, Project, RemoteLink, SandboxState, Version

ISSUE_EXPAND = "renderedFields,names,schema,operations,editmeta,changelog,versionedRepresentations"


def ts(value: datetime | None) -> str | None:
    if value is None:
        return None
    value = value.astimezone(UTC)
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}+0000"


def site(api: str) -> str:
    return api.split("/rest/api/")[0]


def avatars(api: str, kind: str, ident: str) -> dict[str, str]:
    return {
        f"{n}x{n}": f"{site(api)}/secure/{kind}avatar?size={n}&id={ident}" for n in (48, 24, 16, 32)
    }


def user(api: str, account: Account | None) -> dict[str, Any] | None:
    if account is None:
        return None
    return {
        "self": f"{api}/user?accountId={account.account_id}",
        "accountId": account.account_id,
        "emailAddress": account.email,
        "avatarUrls": avatars(api, "user", account.account_id),
        "displayName": account.display_name,
        "active": True,
        "timeZone": "Etc/UTC",
        "accountType": "atlassian",
    }


def status(api: str, value: catalog.Status) -> dict[str, Any]:
    cat = value.category
    return {
        "self": f"{api}/status/{value.id}",
        "description": "",
        "iconUrl": f"{site(api)}/",
        "name": value.name,
        "id": value.id,
        "statusCategory": {
            "self": f"{api}/statuscategory/{cat.id}",
            "id": cat.id,
            "key": cat.key,
            "colorName": cat.color,
            "name": cat.name,
        },
    }


def resolution(api: str, value: catalog.Named) -> dict[str, Any]:
    return {
        "self": f"{api}/resolution/{value.id}",
        "id": value.id,
        "description": value.description,
        "name": value.name,
    }


def priority(api: str, value: catalog.Named) -> dict[str, Any]:
    return {
        "self": f"{api}/priority/{value.id}",
        "iconUrl": f"{site(api)}/images/icons/priorities/{value.name.lower()}.svg",
        "name": value.name,
        "id": value.id,
    }


def issuetype(api: str, value: catalog.Named) -> dict[str, Any]:
    return {
        "self": f"{api}/issuetype/{value.id}",
        "id": value.id,
        "description": value.description,
        "iconUrl": f"{site(api)}/rest/api/2/universal_avatar/view/type/issuetype/avatar/10303",
        "name": value.name,
        "subtask": False,
        "avatarId": 10303,
        "hierarchyLevel": 1 if value.name == "Epic" else 0,
    }


def project(api: str, value: Project, *, full: bool = False) -> dict[str, Any]:
    body: dict[str, Any] = {
        "self": f"{api}/project/{value.id}",
        "id": str(value.id),
        "key": value.key,
        "name": value.name,
        "projectTypeKey": "software",
        "simplified": False,
        "avatarUrls": avatars(api, "project", str(value.id)),
    }
    if full:
        body.update(
            expand="description,lead,issueTypes,url,projectKeys,permissions,insight",
            description="",
            issueTypes=[issuetype(api, t) for t in catalog.ISSUE_TYPES],
            assigneeType="UNASSIGNED",
            versions=[],
            style="classic",
            isPrivate=False,
            properties={},
        )
    return body


def version(api: str, value: Version) -> dict[str, Any]:
    body: dict[str, Any] = {
        "self": f"{api}/version/{value.id}",
        "id": str(value.id),
        "description": value.description,
        "name": value.name,
        "archived": value.archived,
        "released": value.released,
        "projectId": value.project_id,
    }
    if value.release_date is not None:
        body["releaseDate"] = value.release_date.isoformat()
        body["userReleaseDate"] = value.release_date.strftime("%d/%b/%y")
        body["overdue"] = not value.released and value.release_date < date.today()
    return body


def comment(api: str, state: SandboxState, value: Comment) -> dict[str, Any]:
    author = user(api, state.account(value.author_id))
    return {
        "self": f"{api}/issue/{value.issue_id}/comment/{value.id}",
        "id": str(value.id),
        "author": author,
        "body": richtext.for_version(value.body, richtext.version_of(api)),
        "updateAuthor": author,
        "created": ts(value.created),
        "updated": ts(value.updated),
        "jsdPublic": True,
    }


def remote_link(api: str, state: SandboxState, value: RemoteLink) -> dict[str, Any]:
    issue = state.issues.get(value.issue_id)
    ref = issue.key if issue else value.issue_id
    body: dict[str, Any] = {"id": value.id, "self": f"{api}/issue/{ref}/remotelink/{value.id}"}
    if value.global_id is not None:
        body["globalId"] = value.global_id
    body["application"] = value.application or {}
    if value.relationship is not None:
        body["relationship"] = value.relationship
    body["object"] = value.object
    return body


def link_type(api: str, value: catalog.Named) -> dict[str, Any]:
    return {
        "id": value.id,
        "name": value.name,
        "inward": value.inward,
        "outward": value.outward,
        "self": f"{api}/issueLinkType/{value.id}",
    }


def _linked_issue(api: str, issue: Issue) -> dict[str, Any]:
    return {
        "id": str(issue.id),
        "key": issue.key,
        "self": f"{api}/issue/{issue.id}",
        "fields": {
            "summary": issue.summary,
            "status": status(api, issue.status),
            "priority": priority(api, _priority(issue)),
            "issuetype": issuetype(api, _issuetype(issue)),
        },
    }


def issue_link(api: str, state: SandboxState, link: IssueLink, seen_from: int) -> dict[str, Any]:
    link_kind = catalog.find_named(catalog.LINK_TYPES, link.type_id)
    assert link_kind is not None
    body = {
        "id": str(link.id),
        "self": f"{api}/issueLink/{link.id}",
        "type": link_type(api, link_kind),
    }
    if seen_from == link.inward_id:
        body["outwardIssue"] = _linked_issue(api, state.issues[link.outward_id])
    else:
        body["inwardIssue"] = _linked_issue(api, state.issues[link.inward_id])
    return body


def _priority(issue: Issue) -> catalog.Named:
    return catalog.find_named(catalog.PRIORITIES, issue.priority_id) or catalog.DEFAULT_PRIORITY


def _issuetype(issue: Issue) -> catalog.Named:
    found = catalog.find_named(catalog.ISSUE_TYPES, issue.issuetype_id)
    assert found is not None
    return found
