"""How a process that cannot start says so: the one line `voice-router` prints for a bad
configuration or a database it cannot use, then its exit, never a traceback. The command
line, gunicorn's master (deploy/gunicorn.conf.py) and an app built by a server
(`voice_router.web:create_app()`) all stop through here."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager

from voice_router.platform.config_file import ConfigError
from voice_router.platform.errors import DatabaseNotReady

CONFIG_EXIT, DATABASE_EXIT = 2, 1


@contextmanager
def stops_with_one_line(code: int | None = None) -> Iterator[None]:
    """ConfigError or DatabaseNotReady in the block: its line on stderr, then SystemExit with
    `code`, or 2 (configuration) and 1 (database) as the command line exits."""
    try:
        yield
    except ConfigError as exc:
        print(f"voice-router: configuration error: {exc}", file=sys.stderr, flush=True)
        raise SystemExit(code or CONFIG_EXIT) from None
    except DatabaseNotReady as exc:  # unreachable, or its schema behind this release
        print(f"voice-router: {exc}", file=sys.stderr, flush=True)
        raise SystemExit(code or DATABASE_EXIT) from None
