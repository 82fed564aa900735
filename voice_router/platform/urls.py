"""Whether a URL setting can work, checked when the settings are read: a database URL
naming a database and driver voice-router runs on, a Redis URL with its scheme, an HTTP
site with its scheme, an SMTP server (and the e-mail addresses beside it) as the mailer
reads them. Each check answers what is wrong in a few words (for the line that
names the setting), or "" when nothing is; none echoes the value, which may hold a password.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator
from urllib.parse import urlsplit

from voice_router.platform.config_file import PLACEHOLDER

_DATABASES = "sqlite:///path/voice_router.db or postgresql+psycopg://user:password@host/db"
_SQLITE = ("sqlite", "sqlite+pysqlite")
_POSTGRES = ("postgresql", "postgresql+psycopg")
REDIS_SCHEMES = ("redis", "rediss", "unix")
SLACK_EXAMPLE = "https://hooks.slack.com/services/…"


def database_url_problem(url: str) -> str:
    from sqlalchemy.engine.url import make_url
    from sqlalchemy.exc import ArgumentError

    if not url.strip():
        return f"empty; expected {_DATABASES}"
    try:
        parsed = make_url(url.strip())
    except (ArgumentError, ValueError):
        return f"not a database URL; expected {_DATABASES}"
    name = parsed.drivername
    if name in _SQLITE:
        return ""
    if name in _POSTGRES:
        if str(parsed.password or "").strip().lower().startswith(PLACEHOLDER):
            return f"the password is still the example's placeholder ({PLACEHOLDER}…): set your own"
        if importlib.util.find_spec("psycopg") is None:
            return "PostgreSQL needs the psycopg driver: pip install 'voice-router[postgres]'"
        return ""
    backend, _, driver = name.partition("+")
    if backend in ("postgresql", "postgres"):
        said = f"the {driver} driver" if driver else "postgres://"
        return f"{said} is not supported: write postgresql+psycopg://user:password@host/db"
    return f"{backend} is not supported; expected {_DATABASES}"


def redis_url_problem(url: str) -> str:
    if not url.strip():
        return ""
    try:
        parts = urlsplit(url.strip())
        parts.port  # noqa: B018 - raises on a port that is not a number
    except ValueError:
        return "not a Redis URL; expected redis://host:6379/0 (or rediss://, unix://)"
    if parts.scheme not in REDIS_SCHEMES:
        return "needs its scheme: redis://host:6379/0 (or rediss://, unix://)"
    return ""


def is_http_url(url: str) -> bool:
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname)


def http_url_problem(url: str, example: str, required: bool = False) -> str:
    """An address with its http(s):// and host, or "" when unset and not `required`."""
    if is_http_url(url.strip()) or not (url.strip() or required):
        return ""
    return f"expected an address with its scheme, e.g. {example}"


def smtp_url_problem(url: str) -> str:
    """What the mailer would refuse at the first e-mail (days later, when a fix ships)."""
    from integrations.email import parse_smtp_url
    from integrations.notify_errors import NotifyPermanent

    try:
        if url.strip():
            parse_smtp_url(url)
    except NotifyPermanent as exc:
        return "expected " + exc.message.removeprefix("smtp_url is not ")
    return ""


def address_problem(address: str) -> str:
    from integrations.email import parse_address
    from integrations.notify_errors import NotifyPermanent

    try:
        parse_address(address, "it")
    except NotifyPermanent:
        return (
            f"{address[:100]!r} is not one e-mail address (a@example.com or Name <a@example.com>)"
        )
    return ""


def notify_problems(
    slack_webhook_url: str, smtp_url: str, from_addr: tuple[str, ...], weekly_to: tuple[str, ...]
) -> Iterator[tuple[str, str]]:
    """`[notify]`'s keys that the first digest or e-mail would find unusable, with why:
    checked at start-up rather than when a fix ships, every message then failing for good."""
    checks = [
        ("slack_webhook_url", http_url_problem(slack_webhook_url, SLACK_EXAMPLE)),
        ("smtp_url", smtp_url_problem(smtp_url)),
        *(("from_addr", address_problem(address)) for address in from_addr),
        *(("weekly_to", address_problem(address)) for address in weekly_to),
    ]
    yield from ((key, problem) for key, problem in checks if problem)
