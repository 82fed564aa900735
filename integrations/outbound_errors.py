"""What can go wrong sending something out (a write-back note, a Slack or e-mail digest):
one attempt, no retries inside; the caller retries transient errors, honouring
`retry_after`, and records permanent ones with their `reason`."""

from __future__ import annotations


class OutboundError(Exception):
    """`reason` is a stable machine code; `status` the HTTP status or SMTP reply code when the
    other side answered. `ambiguous`: the request went out and no answer came back (a
    timeout, a connection closed before the answer), so it may have been acted on: the
    caller must not send it again blindly, or someone may hear twice."""

    reason = "outbound_error"
    transient = False

    def __init__(
        self,
        message: str,
        *,
        reason: str | None = None,
        status: int | None = None,
        ambiguous: bool = False,
    ):
        super().__init__(message)
        self.message = message
        self.status = status
        self.ambiguous = ambiguous
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
        ambiguous: bool = False,
    ):
        super().__init__(message, reason=reason, status=status, ambiguous=ambiguous)
        self.retry_after = retry_after
