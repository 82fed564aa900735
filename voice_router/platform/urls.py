"""Whether a URL setting can work, checked when the settings are read: a database URL
naming a database and driver voice-router runs on, a Redis URL with its scheme, an HTTP
site with its scheme. Each check answers what is wrong in a few words (for the line that
names the setting), or "" when nothing is; none echoes the value, which may hold a password.
"""

from __future__ import annotations

import importlib.util
from urllib.parse import urlsplit

_DATABASES = "sqlite:///path/voice_router.db or postgresql+psycopg://user:password@host/db"
_SQLITE = ("sqlite", "sqlite+pysqlite")
_POSTGRES = ("postgresql", "postgresql+psycopg")
REDIS_SCHEMES = ("redis", "rediss", "unix")


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
