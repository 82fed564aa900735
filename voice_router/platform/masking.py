"""What never reaches a log line: every configured secret is masked wherever it appears
(field values, the message, tracebacks), values under credential-like keys (`authorization`,
`*signature*`, `*token*`, `*secret*`, `*password*`, `cookie`) are masked, payload-like keys
(`body`, `payload`, `raw`, ...) are dropped, and bearer/basic credentials, URL passwords,
`sha256=` signatures and API tokens are masked by shape even when nobody configured them.
E-mail addresses are masked by shape too (`[email]`): they are customers' personal data,
and `voice-router forget` cannot reach a log file.

voice_router.platform.logs runs every record through `scrub_fields` on the way out; `scrub_text`
serves other text bound for a person or a log (a Jira error's message, for instance).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable, Mapping
from dataclasses import asdict, is_dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from voice_router.platform.settings import Settings

MASK = "[redacted]"
EMAIL_MASK = "[email]"
DROPPED = "[dropped]"
MAX_VALUE_CHARS = 4000
MAX_TRACE_CHARS = 20000

_DROP_KEYS = frozenset(
    {"body", "payload", "raw", "raw_body", "request_body", "response_body", "content", "data"}
)
_SECRET_KEY_WORDS = (
    "authorization",
    "signature",
    "secret",
    "token",
    "password",
    "passwd",
    "cookie",
    "api_key",
    "apikey",
    "credential",
)
_SHAPES = (
    (re.compile(r"(?i)\b(bearer|basic|token)(\s+)[A-Za-z0-9._~+/=:-]{6,}"), rf"\1\2{MASK}"),
    (re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://[^/\s:@]*:)[^@\s/]+@"), rf"\1{MASK}@"),
    (re.compile(r"(?i)\b(sha1|sha256|sha512)=[0-9a-f]{16,}"), rf"\1={MASK}"),
    (re.compile(r"\bvr_[A-Za-z0-9_-]{16,}"), f"vr_{MASK}"),  # our API tokens
    (re.compile(r"(?i)hooks\.slack\.com/\S+"), f"hooks.slack.com/{MASK}"),
    # After the URL password: `user:[redacted]@host` is no longer e-mail shaped.
    # Starts only where a run of address characters starts: linear on long runs without `@`.
    (
        re.compile(r"(?<![\w.+%'-])[\w.+%'-]+@[a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,}", re.I),
        EMAIL_MASK,
    ),
)

_secrets: set[str] = set()
_secret_pattern: re.Pattern[str] | None = None
_lock = threading.Lock()


def secrets_of(settings: Settings) -> set[str]:
    """Every credential a configuration holds, including the password inside a URL."""
    found: set[str] = set()
    for source in settings.sources.values():
        found.update((source.secret, source.api_token, source.app_secret))
    found.update((settings.jira.api_token, settings.jira.webhook_secret, settings.secret_key))
    found.update((settings.notify.slack_webhook_url, settings.notify.smtp_url))
    for url in (settings.database_url, settings.redis_url, settings.notify.smtp_url):
        found.add(_url_password(url))
    slack = urlsplit(settings.notify.slack_webhook_url)
    if slack.path.strip("/"):
        found.add(slack.path)  # the path is the credential of a Slack incoming webhook
    return {value for value in found if value}


def _url_password(url: str) -> str:
    try:
        return urlsplit(url).password or ""
    except ValueError:
        return ""


def register_secrets(values: Iterable[str]) -> None:
    """Mask these values in every line from now on (the set only grows)."""
    global _secret_pattern
    with _lock:
        _secrets.update(v for v in values if v)
        long_enough = sorted((s for s in _secrets if len(s) >= 4), key=len, reverse=True)
        _secret_pattern = (
            re.compile("|".join(re.escape(s) for s in long_enough)) if long_enough else None
        )


def scrub_text(text: str, limit: int = MAX_VALUE_CHARS) -> str:
    if text in _secrets:
        return MASK
    pattern = _secret_pattern
    if pattern is not None:
        text = pattern.sub(MASK, text)
    for shape, replacement in _SHAPES:
        text = shape.sub(replacement, text)
    if len(text) > limit:
        text = text[:limit] + f"...[{len(text) - limit} more chars]"
    return text


def _is_secret_key(key: str) -> bool:
    low = key.lower()
    return any(word in low for word in _SECRET_KEY_WORDS)


def scrub(value: Any, limit: int = MAX_VALUE_CHARS) -> Any:
    """A JSON-ready copy of `value` with no secret, credential or payload in it."""
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, str):
        return scrub_text(value, limit)
    if isinstance(value, bytes | bytearray | memoryview):
        return f"[{len(value)} bytes]"  # raw bytes are bodies: never their content
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return scrub_fields(value)
    if isinstance(value, list | tuple | set | frozenset):
        return [scrub(item, limit) for item in value]
    if is_dataclass(value) and not isinstance(value, type):
        return scrub_fields(asdict(value))
    return scrub_text(str(value), limit)


def scrub_fields(fields: Mapping[Any, Any]) -> dict[str, Any]:
    clean: dict[str, Any] = {}
    for raw_key, value in fields.items():
        key = str(raw_key)
        if key.lower() in _DROP_KEYS:
            clean[key] = DROPPED
        elif _is_secret_key(key) and value not in (None, ""):
            clean[key] = MASK
        elif key in ("exc_info", "stack_info"):
            clean[key] = scrub(value, MAX_TRACE_CHARS)
        else:
            clean[key] = scrub(value)
    return clean
