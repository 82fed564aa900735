"""What can go wrong sending an agent digest, named once for Slack and e-mail alike.

Senders (`integrations.slack`, `integrations.email`) make exactly one attempt and never retry:
the caller retries `NotifyTransient` errors, honouring `retry_after`, and records
`NotifyPermanent` ones with their `reason`. Messages never carry a webhook URL or a password.
"""

from __future__ import annotations

from integrations.outbound_errors import OutboundError, OutboundTransient


class NotifyError(OutboundError):
    """A digest could not be sent."""

    reason = "notify_error"


class NotifyTransient(NotifyError, OutboundTransient):
    """A timeout, a refused or dropped connection, Slack 429/5xx, an SMTP 4xx reply: try later."""

    reason = "unavailable"


class NotifyPermanent(NotifyError):
    """Refused for good (bad URL or address, revoked webhook, SMTP 5xx, failed login): the
    same message sent again will fail again, so record it and tell a human."""
