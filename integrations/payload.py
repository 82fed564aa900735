"""Reading values out of webhook JSON: the one reader every helpdesk adapter and Jira's
webhook use, so that whatever a sender puts in a payload reaches the core as text a
database can hold.

Every string read here is cleaned: NUL and other control characters are dropped (tab and
newline are kept), lone surrogates (JSON allows `"\\ud800"`) become U+FFFD, surrounding
white space goes, and blank reads as absent. Two families of readers share that:

- strict (`obj`, `text`, `identifier`, `epoch`, `money`, ...): a value of the wrong type is
  a PayloadError naming where it was — for payloads whose shape we define or document
  (the generic kind, Intercom, Front, Jira);
- lenient (`lenient_text`, `lenient_ident`, `lenient_utc`, `unrendered`): a missing or
  oddly typed value reads as absent — for bodies rendered from templates by the helpdesk
  (Zendesk triggers, Freshdesk automations) and for Help Scout, where we only pick facts.

Messages name fields, never their values: they are stored and logged.
"""

from __future__ import annotations

import json
import math
import re
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from integrations.events import PayloadError

# C0 controls but tab and newline, DEL, C1 controls; and lone UTF-16 surrogates.
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_SURROGATES = re.compile(r"[\ud800-\udfff]")


def clean(value: str) -> str:
    """`value` without control characters (tab and newline stay), lone surrogates replaced
    by U+FFFD, stripped."""
    if not value.isprintable():
        value = _SURROGATES.sub("\ufffd", _CONTROLS.sub("", value.replace("\r\n", "\n")))
    return value.strip()


# The body read last and its document. Intake reads every body twice, for its events and
# for its delivery id, one call right after the other: the second read is this look-up. One
# slot for the whole process (what it holds is one body at most), matched by identity: the
# body object is kept alive here, so another one cannot take its address, and `bytes` cannot
# change. Readers only read a document, never change it.
_last: tuple[bytes, dict[str, Any]] | None = None


def load_object(body: bytes) -> dict[str, Any]:
    """The body as a JSON object; anything else is a PayloadError."""
    global _last
    last = _last  # one read: another thread may replace it meanwhile
    if last is not None and last[0] is body:
        return last[1]
    try:
        document = json.loads(body)
    except (ValueError, RecursionError):  # ValueError covers bad UTF-8 and huge integers
        raise PayloadError("body is not JSON") from None
    if not isinstance(document, dict):
        raise PayloadError("body is not a JSON object")
    if type(body) is bytes:
        _last = (body, document)
    return document


def delivery_object(body: bytes) -> dict[str, Any]:
    """The body as a JSON object for `delivery_id`, which never raises: `{}` when it is not."""
    try:
        return load_object(body)
    except PayloadError:
        return {}


def given_id(value: object, numbers: bool = False) -> str | None:
    """A delivery id as the sender gave it (a string, or with `numbers` a whole number),
    only stripped: it keys a delivery, and the inbox makes it storable."""
    if numbers and isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, str) and value.strip():
        return value.strip()
    return None


# Strict readers ------------------------------------------------------------------------


def obj(value: object, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise PayloadError(f"{where} is missing or not an object")
    return value


def optional_obj(value: object, where: str) -> dict[str, Any] | None:
    return None if value is None else obj(value, where)


def as_list(value: object, where: str) -> list[Any]:
    if not isinstance(value, list):
        raise PayloadError(f"{where} is not a list")
    return value


def text(value: object, where: str) -> str | None:
    """An optional string, cleaned; blank counts as absent."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise PayloadError(f"{where} is not a string")
    return clean(value) or None


def required_text(value: object, where: str) -> str:
    found = text(value, where)
    if found is None:
        raise PayloadError(f"{where} is missing")
    return found


def identifier(value: object, where: str) -> str | None:
    """An id given as a string or a whole number."""
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return text(value, where)


def required_identifier(value: object, where: str) -> str:
    found = identifier(value, where)
    if found is None:
        raise PayloadError(f"{where} is missing")
    return found


def epoch(value: object, where: str) -> datetime:
    """Unix seconds (a number) as an aware UTC datetime."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise PayloadError(f"{where} is not a Unix timestamp")
    try:
        return datetime.fromtimestamp(value, UTC)
    except (OverflowError, OSError, ValueError) as error:
        raise PayloadError(f"{where} is out of range") from error


def money(value: object, where: str) -> Decimal | None:
    """An amount given as a number or a numeric string; its range is the core's business."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise PayloadError(f"{where} is not a number")
    if isinstance(value, float) and not math.isfinite(value):
        raise PayloadError(f"{where} is not a finite number")
    try:
        amount = Decimal(clean(str(value)))
    except InvalidOperation as error:
        raise PayloadError(f"{where} is not a number") from error
    if not amount.is_finite():
        raise PayloadError(f"{where} is not a finite number")
    return amount


# Lenient readers -----------------------------------------------------------------------


def lenient_obj(value: object) -> dict[str, Any]:
    """An object; anything else reads as an empty one."""
    return value if isinstance(value, dict) else {}


def unrendered(value: object) -> bool:
    """A template placeholder the helpdesk did not fill in (`{{ticket.id}}`)."""
    stripped = value.strip() if isinstance(value, str) else ""
    return stripped.startswith("{{") and stripped.endswith("}}")


def lenient_text(value: object) -> str | None:
    """A non-empty string, cleaned; anything else, or an unrendered placeholder, is absent."""
    if not isinstance(value, str) or unrendered(value):
        return None
    return clean(value) or None


_HTML_BREAK = re.compile(r"<\s*(?:br|/p|/div|/li|/h\d)\b[^>]*>", re.IGNORECASE)
_HTML_TAG = re.compile(r"<[^>]*>")
_RULE = re.compile(r"^\s*-{5,}\s*$")
MESSAGE_READ = 20_000  # characters of a message body read (a quote needs the start)


def message_text(value: object, markup: bool = False) -> str | None:
    """A customer's message as plain text, leniently: HTML (`markup`) unwrapped, entities
    decoded, a leading rule and "Name, date" header (Zendesk's comment placeholders)
    dropped; absent when it is not a string or says nothing."""
    raw = lenient_text(value)
    if raw is None:
        return None
    raw = raw[:MESSAGE_READ]
    if markup:
        import html

        raw = html.unescape(_HTML_TAG.sub(" ", _HTML_BREAK.sub("\n", raw)))
    lines = [line.strip() for line in clean(raw).split("\n")]
    if lines and _RULE.match(lines[0]):
        body = "\n".join(lines[1:]).strip().split("\n\n", 1)
        lines = body[1].split("\n") if len(body) == 2 else body[0].split("\n")
    return " ".join(" ".join(lines).split()) or None


def lenient_ident(value: object) -> str | None:
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return lenient_text(value)


def lenient_utc(value: object) -> datetime | None:
    """An ISO-8601 time (naive means UTC) as an aware UTC datetime; else absent."""
    found = lenient_text(value)
    if found is None:
        return None
    try:
        moment = datetime.fromisoformat(found)
        return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    except (ValueError, OverflowError):
        return None
