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
    """The runtime; its embedded (SQLite) database migrated first, as `engine_of` does."""
    from voice_router.platform.db import upgrade
    from workers.runtime import build_runtime

    runtime = build_runtime(settings_of(ctx))
    if runtime.engine.dialect.name == "sqlite":
        upgrade(runtime.engine)
    return runtime


def first_line(text: str | None, limit: int = 80) -> str:
    """An error's first line, cut to `limit` characters, for a listing."""
    lines = (text or "").splitlines()
    return lines[0][:limit] if lines else ""


def listing(empty: str, header: str, lines: list[str]) -> None:
    """A table of `lines` under `header`, or `empty` when there are none."""
    click.echo(f"{header}\n" + "\n".join(lines) if lines else empty)


def engine_of(ctx: click.Context) -> Engine:
    """An engine on the configured database; the embedded (SQLite) one is migrated first."""
    from voice_router.platform.db import make_engine, upgrade

    engine = make_engine(settings_of(ctx).database_url)
    if engine.dialect.name == "sqlite":
        upgrade(engine)  # the embedded database keeps itself current
    return engine
