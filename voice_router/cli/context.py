"""What every command needs: the settings (loaded once per run, with logging set up), an
engine, the runtime."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, cast

import click

from voice_router.platform.settings import Settings, load_settings

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from voice_router.platform.runtime import Runtime


def settings_of(ctx: click.Context) -> Settings:
    if ctx.obj is None:
        from voice_router.platform import logs

        ctx.obj = load_settings(ctx.find_root().params.get("config"))
        # JSON lines on stderr with secrets masked; one-shot commands only say what went wrong.
        chatty = ctx.command.name in ("worker", "serve") or ctx.obj.log_level == "debug"
        logs.configure(ctx.obj, level=None if chatty else logging.WARNING)
    return cast(Settings, ctx.obj)


def runtime_of(ctx: click.Context) -> Runtime:
    """The runtime, on a database that serves this release (`engine_of`)."""
    from voice_router.platform.schema import require_current
    from workers.runtime import build_runtime

    runtime = build_runtime(settings_of(ctx))
    require_current(runtime.engine)
    return runtime


def engine_of(ctx: click.Context) -> Engine:
    """An engine on the configured database, which serves this release: the embedded
    (SQLite) one is migrated first, a PostgreSQL one must be reachable and migrated (else
    DatabaseNotReady: one line, and the command stops)."""
    from voice_router.platform.db import make_engine
    from voice_router.platform.schema import require_current

    engine = make_engine(settings_of(ctx).database_url)
    require_current(engine)
    return engine
