"""What can go wrong sending an agent digest, named once for Slack and e-mail alike.

Senders (`integrations.slack`, `integrations.email`) make exactly one attempt and never retry:
the caller retries `NotifyTransient` errors, honouring `retry_after`, and records
`NotifyPermanent` ones with their `reason`. Messages never carry a webhook URL or a password.
"""

from __future__ import annotations


class NotifyError(Exception):
    """A digest could not be sent. `reason` is a stable machine code; `status` is the HTTP
    status or SMTP reply code when the other side answered."""

    reason = "notify_error"
    transient = False

    def __init__(self, message: str, *, reason: str | None = None, status: int | None = None):
        super().__init__(message)
        self.message = message
        self.status = status
        if reason is not None:
            self.reason = reason


class NotifyTransient(NotifyError):
    """A timeout, a refused or dropped connection, Slack 429/5xx, an SMTP 4xx reply: try later.

    `retry_after` is the wait in seconds the service asked for, or None when it said nothing.
    """

    reason = "unavailable"
    transient = True

    def __init__(
        self,
        message: str,
        *,
        reason: str | None = None,
        status: int | None = None,
        retry_after: float | None = None,
    ):
        super().__init__(message, reason=reason, status=status)
        self.retry_after = retry_after


class NotifyPermanent(NotifyError):
    """Refused for good (bad URL or address, revoked webhook, SMTP 5xx, failed login): the
    same message sent again will fail again, so record it and tell a human."""

    reason = "rejected"
