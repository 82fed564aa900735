"""Typed reads of JSON values: every wrong type becomes PayloadError naming where it was."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from integrations.events import PayloadError


def obj(value: object, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise PayloadError(f"{where} is not an object")
    return value


def optional_obj(value: object, where: str) -> dict[str, Any] | None:
    return None if value is None else obj(value, where)


def as_list(value: object, where: str) -> list[Any]:
    if not isinstance(value, list):
        raise PayloadError(f"{where} is not a list")
    return value


def text(value: object, where: str) -> str | None:
    """An optional string; blank counts as absent. NUL characters are dropped: they mean
    nothing in a name or a subject, and PostgreSQL's text cannot hold them."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise PayloadError(f"{where} is not a string")
    return value.replace("\x00", "").strip() or None


def identifier(value: object, where: str) -> str | None:
    """An id given as a string or a number."""
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return text(value, where)


def epoch(value: object, where: str) -> datetime:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise PayloadError(f"{where} is not a Unix timestamp")
    try:
        return datetime.fromtimestamp(value, UTC)
    except (OverflowError, OSError, ValueError) as error:
        raise PayloadError(f"{where} is out of range") from error


def money(value: object, where: str) -> Decimal | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise PayloadError(f"{where} is not a number")
    if isinstance(value, float) and not math.isfinite(value):
        raise PayloadError(f"{where} is not a finite number")
    try:
        amount = Decimal(str(value).strip())
    except InvalidOperation as error:
        raise PayloadError(f"{where} is not a number") from error
    if not amount.is_finite():
        raise PayloadError(f"{where} is not a finite number")
    return amount
