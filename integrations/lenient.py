"""Forgiving reads for payloads we only pick facts from: a missing or oddly typed value
reads as absent instead of failing, and template placeholders that did not render
(`{{ticket.id}}`) read as absent too (Zendesk triggers, Freshdesk automations)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from integrations.events import PayloadError


def load_object(body: bytes) -> dict[str, Any]:
    try:
        data = json.loads(body)
    except (ValueError, RecursionError) as exc:
        raise PayloadError(f"body is not JSON: {exc}") from None
    if not isinstance(data, dict):
        raise PayloadError("body is not a JSON object")
    return data


def unrendered(value: object) -> bool:
    stripped = value.strip() if isinstance(value, str) else ""
    return stripped.startswith("{{") and stripped.endswith("}}")


def text(value: object) -> str | None:
    """A non-empty string; an unrendered `{{placeholder}}` reads as absent."""
    if not isinstance(value, str) or unrendered(value):
        return None
    return value.strip() or None


def ident(value: object) -> str | None:
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return text(value)


def utc(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value.strip())
        return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    except (ValueError, OverflowError):
        return None
