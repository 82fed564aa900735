"""Site metadata: serverInfo, myself, fields, projects, versions, link types, issue links."""

from __future__ import annotations

from typing import Any

from . import catalog, linking, render
from . import permissions as perm
from .context import actor, api_base, api_blueprint, json_body, state
from .errors import JiraError
from .state import Project

bp = api_blueprint("jira_meta")

BUILD = {"versionNumbers": [1001, 0, 0], "version": "1001.0.0-SNAPSHOT", "buildNumber": 100280}


def _build(version: str) -> dict[str, Any]:
    """Data Center's build fields for a version such as "9.12.15" or "10.3.4"."""
    numbers = [int(part) for part in version.split(".")[:3]]
    numbers += [0] * (3 - len(numbers))
    number = numbers[0] * 1_000_000 + numbers[1] * 1_000 + numbers[2]
    return {"versionNumbers": numbers, "version": version, "buildNumber": number}


@bp.get("/serverInfo")
def server_info() -> dict[str, Any]:
    """Cloud says `deploymentType: "Cloud"`; Data Center and Server say "Server" (the `jira`
    library picks its search endpoint by this)."""
    site = render.site(api_base())
    s = state()
    cloud = s.deployment == "cloud"
    return {
        "baseUrl": site,
        **({"displayUrl": site} if cloud else {}),
        **(BUILD if cloud else _build(s.server_version)),
        "deploymentType": "Cloud" if cloud else "Server",
        "buildDate": "2025-09-24T00:00:00.000+0000",
        "serverTime": render.ts(s.clock()),
        "scmInfo": "5330f7d9b6410d68235d4366868d44403ee65a1a",
        "serverTitle": "Jira (voice-router sandbox)",
        "serverTimeZone": "Etc/UTC",
    }


@bp.get("/myself")
def myself() -> dict[str, Any]:
    api = api_base()
    body = render.user(api, state().bot) or {}
    return {
        **body,
        "locale": "en_US",
        "groups": {"size": 1, "items": []},
        "applicationRoles": {"size": 1, "items": []},
        "expand": "groups,applicationRoles",
    }


@bp.get("/field")
def fields() -> list[dict[str, Any]]:
    return [
        {
            "id": f.id,
            "key": f.id,
            "name": f.name,
            "custom": f.custom,
            "orderable": f.orderable,
            "navigable": True,
            "searchable": True,
            "clauseNames": list(f.clause_names),
            "schema": f.schema,
        }
        for f in catalog.FIELDS
    ]


def _browsable(project: Project) -> bool:
    return state().permissions.has(actor().account_id, project.key, perm.BROWSE)


def _project(ref: str) -> Any:
    found = state().project(ref)
    if found is None or not _browsable(found):
        raise JiraError(404, f"No project could be found with key '{ref}'.")
    return found


@bp.get("/project")
def projects() -> list[dict[str, Any]]:
    with state().lock:
        return [render.project(api_base(), p) for p in state().projects.values() if _browsable(p)]


@bp.get("/project/<project_ref>")
def project(project_ref: str) -> dict[str, Any]:
    with state().lock:
        found = _project(project_ref)
        body = render.project(api_base(), found, full=True)
        body["versions"] = [
            render.version(api_base(), v) for v in state().project_versions(found.id)
        ]
        return body


@bp.get("/project/<project_ref>/versions")
def project_versions(project_ref: str) -> list[dict[str, Any]]:
    with state().lock:
        found = _project(project_ref)
        return [render.version(api_base(), v) for v in state().project_versions(found.id)]


@bp.get("/version/<version_id>")
def version(version_id: str) -> dict[str, Any]:
    with state().lock:
        found = state().versions.get(int(version_id)) if version_id.isdigit() else None
        if found is None:
            raise JiraError(404, f"Could not find version for id '{version_id}'")
        return render.version(api_base(), found)


@bp.get("/issueLinkType")
def issue_link_types() -> dict[str, Any]:
    return {"issueLinkTypes": [render.link_type(api_base(), t) for t in catalog.LINK_TYPES]}


@bp.post("/issueLink")
def create_issue_link() -> tuple[str, int]:
    linking.link_issues(state(), json_body(), actor())
    return "", 201


@bp.get("/resolution/<resolution_id>")
def resolution(resolution_id: str) -> dict[str, Any]:
    found = catalog.find_named(catalog.RESOLUTIONS, resolution_id)
    if found is None or found.id != resolution_id:
        raise JiraError(404, f"The resolution with ID '{resolution_id}' does not exist.")
    return render.resolution(api_base(), found)


@bp.get("/status/<status_ref>")
def status(status_ref: str) -> dict[str, Any]:
    found = next((s for s in catalog.STATUSES if status_ref in (s.id, s.name)), None)
    if found is None:
        raise JiraError(404, f"The status with ID or name '{status_ref}' does not exist.")
    return render.status(api_base(), found)
