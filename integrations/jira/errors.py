"""What can go wrong talking to Jira, named at the boundary."""

from __future__ import annotations


class JiraError(Exception):
    reason = "jira_error"
    transient = False

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


class JiraUnauthorized(JiraError):
    """401/403: the e-mail, token or permissions are wrong; retrying will not help."""

    reason = "unauthorized"


class JiraBadRequest(JiraError):
    """400: Jira refused what we sent (a bad field, project or issue type)."""

    reason = "bad_request"


class JiraNotFound(JiraError):
    reason = "not_found"


class JiraRateLimited(JiraError):
    reason = "rate_limited"
    transient = True

    def __init__(self, message: str, retry_after: float, status: int = 429) -> None:
        super().__init__(message, status)
        self.retry_after = retry_after


class JiraUnavailable(JiraError):
    """5xx, a timeout or a dropped connection: worth another try later."""

    reason = "unavailable"
    transient = True
