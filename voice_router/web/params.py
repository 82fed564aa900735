"""Numbers taken from a request: ids in URL paths and whole numbers in query strings.

Ids are 32-bit integer columns (PostgreSQL's `integer`), so a larger one would make the
database raise (integer out of range; on SQLite, "Python int too large"). The app's `int`
URL converter therefore only matches ASCII digits up to `MAX_ID`: a larger id is simply
not found (404), before any view or database sees it. This is also what the OpenAPI
document already says of every `<int:...>` path parameter (spectree: `format: int32`).
"""

from __future__ import annotations

import re
from typing import overload

from flask import request
from werkzeug.routing import IntegerConverter, Map

from voice_router.models import MAX_ID
from voice_router.platform.errors import BadRequest

_WHOLE = re.compile(r"[0-9]{1,19}")  # ASCII only: int() also takes "٣" and " 7 "


def _at_most(limit: int) -> str:
    """A regex for the ASCII decimal numbers from 0 to `limit`: the router then never
    matches a larger one (a converter that refuses a matched value after the fact makes
    werkzeug answer 405 where a rule with another method has the same path)."""
    digits = str(limit)
    options = [f"[0-9]{{1,{len(digits) - 1}}}"] if len(digits) > 1 else []
    for i, digit in enumerate(digits):
        if digit != "0":
            rest = len(digits) - i - 1  # a smaller digit here, then any `rest` digits
            tail = f"[0-9]{{{rest}}}" if rest else ""
            options.append(f"{digits[:i]}[0-{int(digit) - 1}]{tail}")
    return "(?:" + "|".join([*options, digits]) + ")"


class IdConverter(IntegerConverter):
    """`<int:name>` for ids: ASCII digits (`\\d` would match any script's), at most MAX_ID."""

    regex = _at_most(MAX_ID)

    def __init__(
        self,
        map: Map,
        fixed_digits: int = 0,
        min: int | None = None,
        max: int | None = MAX_ID,
        signed: bool = False,
    ) -> None:
        super().__init__(map, fixed_digits, min, max, signed)


@overload
def query_int(name: str, default: int, minimum: int, maximum: int, what: str) -> int: ...
@overload
def query_int(name: str, default: None, minimum: int, maximum: int, what: str) -> int | None: ...
def query_int(name: str, default: int | None, minimum: int, maximum: int, what: str) -> int | None:
    """The query parameter `name` as a whole number in [minimum, maximum]; `default` when it
    is absent or empty; anything else is a 400 whose message says what `what` must be."""
    raw = request.args.get(name, "").strip()
    if not raw:
        return default
    if not _WHOLE.fullmatch(raw) or not minimum <= int(raw) <= maximum:
        raise BadRequest(f"{name} must be {what}")
    return int(raw)
