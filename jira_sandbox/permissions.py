"""Project permissions per user, and Jira's answers when one is missing.

Jira grants project permissions through permission schemes, roles and groups; the sandbox
keeps the outcome only: which permission keys a user holds in a project (or in every project,
`"*"`), plus the global *Administer Jira*. By default every REST user holds every project
permission except *Administer projects*, as a typical integration user does.

Statuses follow Atlassian's OpenAPI description of each operation (403 where it documents
one, 404 for issue links, 400 for transitions); the messages are Jira's wording where a capture
was available (issue not found, notifications) and otherwise modelled on it (see README.md).
"""

from __future__ import annotations

import builtins
import threading
from collections.abc import Iterable

from .errors import ISSUE_NOT_FOUND, JiraError

BROWSE = "BROWSE_PROJECTS"
CREATE = "CREATE_ISSUES"
EDIT = "EDIT_ISSUES"
DELETE = "DELETE_ISSUES"
COMMENT = "ADD_COMMENTS"
LINK = "LINK_ISSUES"
TRANSITION = "TRANSITION_ISSUES"
ADMIN_PROJECT = "ADMINISTER_PROJECTS"
ADMIN_JIRA = "ADMINISTER"  # global: Administer Jira

PROJECT_PERMISSIONS = (BROWSE, CREATE, EDIT, DELETE, COMMENT, LINK, TRANSITION, ADMIN_PROJECT)
DEFAULT = frozenset(PROJECT_PERMISSIONS) - {ADMIN_PROJECT}
EVERY_PROJECT = "*"

NO_NOTIFY = (
    "To discard the user notification either admin or project admin permissions are required."
)

# permission -> (status, message); {key} is the issue key, {project} the project key.
REFUSALS = {
    BROWSE: (404, ISSUE_NOT_FOUND),
    CREATE: (403, "You do not have permission to create issues in this project."),
    EDIT: (403, "You do not have permission to edit issues in this project."),
    DELETE: (403, "You do not have permission to delete issues in this project."),
    COMMENT: (403, "You do not have the permission to comment on this issue."),
    LINK: (403, "No Link Issue Permission for issue '{key}'."),
    TRANSITION: (400, "You do not have permission to transition this issue."),
    ADMIN_PROJECT: (403, NO_NOTIFY),
}


class Permissions:
    """Grants per (account id, project key or "*"); thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._grants: dict[tuple[str, str], set[str]] = {}
        self._admins: set[str] = set()

    def set(
        self, account_id: str, permissions: Iterable[str], project: str = EVERY_PROJECT
    ) -> None:
        """Replace what `account_id` holds in `project` (a key, or "*" for every project)."""
        wanted = set(permissions)
        unknown = wanted - set(PROJECT_PERMISSIONS) - {ADMIN_JIRA}
        if unknown:
            raise ValueError(f"unknown permissions: {sorted(unknown)}")
        with self._lock:
            if ADMIN_JIRA in wanted:
                self._admins.add(account_id)
            self._grants[(account_id, project.upper())] = wanted - {ADMIN_JIRA}

    def grant(self, account_id: str, *permissions: str, project: str = EVERY_PROJECT) -> None:
        self.set(account_id, self.held(account_id, project) | set(permissions), project)

    def revoke(self, account_id: str, *permissions: str, project: str = EVERY_PROJECT) -> None:
        with self._lock:
            if ADMIN_JIRA in permissions:
                self._admins.discard(account_id)
        self.set(account_id, self.held(account_id, project) - set(permissions), project)

    def held(self, account_id: str, project: str = EVERY_PROJECT) -> builtins.set[str]:
        # builtins.: inside this class, `set` names the method above
        """The project permissions in force: a project's own grant, else the "*" grant."""
        with self._lock:
            key = (account_id, project.upper())
            if key not in self._grants:
                key = (account_id, EVERY_PROJECT)
            held = set(self._grants.get(key, DEFAULT))
            if account_id in self._admins:
                held.add(ADMIN_JIRA)
            return held

    def has(self, account_id: str, project: str, permission: str) -> bool:
        held = self.held(account_id, project)
        if permission == ADMIN_PROJECT:
            return bool(held & {ADMIN_PROJECT, ADMIN_JIRA})
        return permission in held

    def require(
        self, account_id: str, project: str, *needed: str, key: str = "", status: int = 0
    ) -> None:
        """Raise Jira's refusal for the first permission `account_id` lacks in `project`
        (`status` overrides the usual one, for operations documented with another)."""
        for permission in needed:
            if not self.has(account_id, project, permission):
                usual, message = REFUSALS[permission]
                raise JiraError(status or usual, message.format(key=key, project=project))
