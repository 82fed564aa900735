"""What can go wrong sending something out (a write-back note, a Slack or e-mail digest):
one attempt, no retries inside; the caller retries transient errors, honouring
`retry_after`, and records permanent ones with their `reason`."""

from __future__ import annotations


class OutboundError(Exception):
    """`reason` is a stable machine code; `status` the HTTP status or SMTP reply code when the
    other side answered."""

    reason = "outbound_error"
    transient = False

    def __init__(self, message: str, *, reason: str | None = None, status: int | None = None):
        super().__init__(message)
        self.message = message
        self.status = status
        if reason is not None:
            self.reason = reason


class OutboundTransient(OutboundError):
    """Worth another try later; `retry_after` is the wait in seconds the other side asked
    for, or None when it said nothing."""

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
