"""Levers on the site itself: users, their project permissions, and the search index lag.

sandbox.revoke("EDIT_ISSUES")                        # the API user, every project
sandbox.grant("ADMINISTER_PROJECTS", project="PROD")  # e.g. for notifyUsers=false
sandbox.set_index_lag(5)                             # searches 5 s behind changes
"""

from __future__ import annotations

from collections.abc import Iterable

from . import permissions
from .state import Account, SandboxState

PERMISSIONS = (*permissions.PROJECT_PERMISSIONS, permissions.ADMIN_JIRA)


class SiteControls:
    state: SandboxState

    # -- users and permissions -----------------------------------------------------------

    def add_user(self, email: str, api_token: str | None = None, display_name: str = "") -> str:
        """Another Jira user (able to call the REST API when given a token); its account id.
        New users hold the default permissions, like the API user."""
        return self.state.add_account(email, api_token, display_name).account_id

    def _account(self, user: str | None) -> Account:
        if user is None:
            return self.state.bot
        found = next((a for a in self.state.accounts if user in (a.email, a.account_id)), None)
        if found is None:
            raise KeyError(user)
        return found

    def set_permissions(
        self, granted: Iterable[str], *, user: str | None = None, project: str = "*"
    ) -> None:
        """Exactly these permissions for `user` (e-mail or account id; default: the API
        user) in `project` ("*": every project without a grant of its own). Keys are Jira's:
        BROWSE_PROJECTS, CREATE_ISSUES, EDIT_ISSUES, DELETE_ISSUES, ADD_COMMENTS,
        LINK_ISSUES, TRANSITION_ISSUES, ADMINISTER_PROJECTS, and the global ADMINISTER."""
        self.state.permissions.set(self._account(user).account_id, granted, project)

    def grant(self, *granted: str, user: str | None = None, project: str = "*") -> None:
        self.state.permissions.grant(self._account(user).account_id, *granted, project=project)

    def revoke(self, *revoked: str, user: str | None = None, project: str = "*") -> None:
        self.state.permissions.revoke(self._account(user).account_id, *revoked, project=project)

    def permissions(self, *, user: str | None = None, project: str = "*") -> set[str]:
        return self.state.permissions.held(self._account(user).account_id, project)

    # -- the search index ----------------------------------------------------------------

    def set_index_lag(self, seconds: float) -> None:
        """Searches (enhanced and classic) see creates, edits and deletes `seconds` late,
        except for issue ids passed in `reconcileIssues`. 0 makes the index current again."""
        self.state.search_lag = seconds

    def catch_up_index(self) -> None:
        """The index catches up at once: searches see every change made so far."""
        self.state.index.catch_up()
