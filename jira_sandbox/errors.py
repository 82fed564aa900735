"""Jira's error answer: `{"errorMessages": [...], "errors": {field: message}}`."""

from __future__ import annotations

from typing import Any

ISSUE_NOT_FOUND = "Issue does not exist or you do not have permission to see it."
NOT_ON_SCREEN = "Field '{}' cannot be set. It is not on the appropriate screen, or unknown."
SEARCH_REMOVED = (
    "The requested API has been removed. Please migrate to the /rest/api/3/search/jql API. "
    "A full migration guideline is available at "
    "https://developer.atlassian.com/changelog/#CHANGE-2046"
)
UNAUTHENTICATED = "Client must be authenticated to access this resource."

DEFAULT_MESSAGES = {
    400: "Bad Request",
    401: UNAUTHENTICATED,
    403: "You do not have permission to perform this operation.",
    404: "Not Found",
    409: "Conflict",
    415: "Unsupported Media Type",
    429: "Rate limit exceeded.",
    500: "Internal server error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}


class JiraError(Exception):
    """Raised by sandbox operations; the app turns it into Jira's JSON error answer."""

    def __init__(
        self,
        status: int,
        messages: list[str] | str | None = None,
        errors: dict[str, str] | None = None,
    ) -> None:
        if isinstance(messages, str):
            messages = [messages]
        self.status = status
        self.messages = list(messages or [])
        self.errors = dict(errors or {})
        super().__init__(f"{status}: {self.messages} {self.errors}")

    def body(self) -> dict[str, Any]:
        return error_body(self.messages, self.errors)


def error_body(messages: list[str], errors: dict[str, str] | None = None) -> dict[str, Any]:
    return {"errorMessages": list(messages), "errors": dict(errors or {})}


def field_errors(errors: dict[str, str]) -> JiraError:
    return JiraError(400, [], errors)


def issue_not_found() -> JiraError:
    return JiraError(404, ISSUE_NOT_FOUND)
