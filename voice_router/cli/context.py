"""What every command needs: the settings (loaded once per run, with logging set up), an
engine, the runtime."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, cast

import click

from voice_router.platform.settings import Settings, load_settings

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine
    from sqlmodel import SQLModel

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
    from workers.runtime import build_runtime

    runtime = build_runtime(settings_of(ctx))
    _ready(runtime.engine)
    return runtime


def first_line(text: str | None, limit: int = 80) -> str:
    """An error's first line, cut to `limit` characters, for a listing."""
    lines = (text or "").splitlines()
    return lines[0][:limit] if lines else ""


def exists(engine: Engine, model: type[SQLModel], row_id: int) -> bool:
    """Whether `model`'s table has the row `row_id`: an id that names nothing is said so."""
    from sqlmodel import Session

    with Session(engine) as session:
        return session.get(model, row_id) is not None


def listing(empty: str, header: str, lines: list[str]) -> None:
    """A table of `lines` under `header`, or `empty` when there are none."""
    click.echo(f"{header}\n" + "\n".join(lines) if lines else empty)


def engine_of(ctx: click.Context) -> Engine:
    """An engine on the configured database, which serves this release: the embedded
    (SQLite) one is migrated first, a PostgreSQL one must be reachable and migrated (else
    DatabaseNotReady: one line, and the command stops)."""
    from voice_router.platform.db import make_engine

    engine = make_engine(settings_of(ctx).database_url)
    _ready(engine)
    return engine


def _ready(engine: Engine) -> None:
    """`require_current`, and a word on stderr when that made a new SQLite file: a relative
    database_url (the default's) names a file in the working directory, so a command run
    elsewhere than the service (a token, an import, a forget) silently got a database of
    its own."""
    from pathlib import Path

    from voice_router.platform.schema import require_current

    database = engine.url.database if engine.dialect.name == "sqlite" else None
    path = Path(database).resolve() if database and database != ":memory:" else None
    new = path is not None and not path.exists()
    require_current(engine)
    if new:
        click.echo(
            f"voice-router: no database was at {path}: made a new, empty one "
            "(a relative database_url is read from the working directory)",
            err=True,
        )
