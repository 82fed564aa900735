"""The data every helpdesk adapter produces: plain values, no I/O.

How an adapter is written and tested: integrations/README.md.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal


class IntegrationError(Exception):
    """Base of everything an adapter raises; `reason` is a stable machine code."""

    reason = "integration_error"


class SignatureError(IntegrationError):
    """The delivery does not prove it came from the configured source (-> 401)."""

    reason = "bad_signature"


class StaleDeliveryError(SignatureError):
    """Signed correctly but older than the replay window (-> 401)."""

    reason = "stale_timestamp"


class PayloadError(IntegrationError):
    """Signed, but not JSON or not this provider's shape (-> 400, kept for inspection)."""

    reason = "bad_payload"


@dataclass(frozen=True)
class Person:
    email: str | None = None
    name: str | None = None
    external_id: str | None = None


@dataclass(frozen=True)
class Company:
    name: str | None = None
    domain: str | None = None
    mrr: Decimal | None = None
    plan: str | None = None
    external_id: str | None = None


@dataclass(frozen=True)
class PainPointEvent:
    """What one delivery says about one helpdesk ticket.

    `tags` are the raw tags the adapter saw on the ticket (the core decides which are pain
    points through the source's `tag_patterns`). When `tags_complete` is true, `tags` is
    the ticket's whole current tag set, so any pain tag missing from it was removed.
    `removed_tags` lists tags the delivery explicitly says were removed.
    """

    ticket_id: str
    customer: Person
    occurred_at: datetime
    tags: tuple[str, ...] = ()
    removed_tags: tuple[str, ...] = ()
    tags_complete: bool = False
    ticket_url: str | None = None
    subject: str | None = None
    company: Company | None = None
    agent: Person | None = None
    first_message: str | None = None  # the customer's first message, where the body has it


@dataclass(frozen=True)
class Handshake:
    """A reply the provider expects instead of the usual 202 (e.g. Front's challenge)."""

    status: int
    body: str
    content_type: str = "text/plain"
    headers: Mapping[str, str] = field(default_factory=dict)
