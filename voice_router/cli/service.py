"""Running voice-router: the web service, the rq worker, the demo, the schema."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from voice_router.cli.context import runtime_of, settings_of
from voice_router.platform.masking import scrub_text


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@click.option(
    "--workers",
    type=click.IntRange(1, 64),
    help="Web processes (default: $WEB_CONCURRENCY, else one per CPU core plus one).",
)
@click.option(
    "--timeout",
    type=click.FloatRange(1, 3600),
    default=60.0,
    show_default=True,
    help="Seconds a request may wait on its sender's next bytes before a 408.",
)
@click.pass_context
def serve(ctx: click.Context, host: str, port: int, workers: int | None, timeout: float) -> None:
    """Run voice-router on this machine: granian, and (without redis_url) the job runner."""
    from voice_router.platform.db import make_engine
    from voice_router.platform.schema import require_current
    from voice_router.server import serve as run

    settings = settings_of(ctx)
    engine = make_engine(settings.database_url)
    try:  # SQLite migrated once, before the web processes start; PostgreSQL must be current
        require_current(engine)
    finally:
        engine.dispose()
    if settings.redis_url:
        click.echo(
            "redis_url is set: jobs run in `voice-router worker` processes, not here", err=True
        )
    if not settings.sources:  # a first run: say what is missing rather than 404 every webhook
        click.echo(
            "no [sources.<name>] configured: every webhook will answer 404 until one is "
            "(docs/configuration.md); sign in with a token from `voice-router token create`",
            err=True,
        )
    run(host, port, workers or web_processes(), timeout, ctx.find_root().params.get("config"))


def web_processes() -> int:
    """`serve`'s web processes unless told: $WEB_CONCURRENCY, else one per core plus one.
    On one machine a process often waits (SQLite has one writer, every webhook takes its
    turn), and the extra one keeps the cores busy meanwhile: 3 processes took about a fifth
    more webhooks/s than 2 on a 2-core machine (docs/benchmarks.md, Serve). Containers keep
    gunicorn's default of 2 per requested core (deploy/gunicorn.conf.py)."""
    given = os.environ.get("WEB_CONCURRENCY", "").strip()
    return int(given) if given.isdigit() and int(given) > 0 else (os.cpu_count() or 1) + 1


@click.command()
@click.option("--burst", is_flag=True, help="Stop when the queue is empty.")
@click.pass_context
def worker(ctx: click.Context, burst: bool) -> None:
    """Run an rq worker for all voice-router queues (needs redis_url)."""
    from redis.exceptions import RedisError

    from workers.queue import RedisQueue
    from workers.runner import run_worker

    if not settings_of(ctx).redis_url:
        raise SystemExit("voice-router worker needs redis_url (VOICE_ROUTER_REDIS_URL)")
    runtime = runtime_of(ctx)
    if isinstance(runtime.queue, RedisQueue):
        try:
            runtime.queue.redis.ping()
        except RedisError as exc:
            said = scrub_text(str(exc).strip().splitlines()[0] if str(exc).strip() else "")
            click.echo(
                f"voice-router: redis_url: cannot reach Redis ({type(exc).__name__}: {said})",
                err=True,
            )
            sys.exit(1)
    run_worker(runtime, burst=burst)


@click.group()
def db() -> None:
    """Database schema."""


@db.command("upgrade")
@click.pass_context
def db_upgrade(ctx: click.Context) -> None:
    """Apply all migrations."""
    import sqlalchemy as sa

    from voice_router.platform.db import current_revision, make_engine, upgrade
    from voice_router.platform.errors import DatabaseNotReady
    from voice_router.platform.schema import schema_state, sqlite_folder, unreachable

    engine = make_engine(settings_of(ctx).database_url)
    folder = sqlite_folder(engine)
    if folder is not None and not folder.is_dir():
        raise DatabaseNotReady(f"database_url: the folder {folder} does not exist")
    try:
        state = schema_state(engine)
    except (sa.exc.OperationalError, sa.exc.InterfaceError, OSError) as exc:
        raise DatabaseNotReady(unreachable(engine, exc)) from None
    if state.newer:  # migrations only go forward
        raise DatabaseNotReady(state.describe())
    before = state.current
    try:
        upgrade(engine)
    except Exception as exc:  # a migration failed: its error in one line, no traceback
        after = current_revision(engine)
        said = scrub_text((str(exc).strip().splitlines() or [""])[0], limit=300)
        click.echo(
            f"voice-router: db upgrade failed after revision {after or before or 'none'} "
            f"({type(exc).__name__}: {said}); the database stays at that revision",
            err=True,
        )
        sys.exit(1)
    finally:
        engine.dispose()
    click.echo(f"database at revision {current_revision(engine)}")


@click.command()
@click.option(
    "--keep",
    type=click.Path(file_okay=False, path_type=Path),
    help="Keep the demo database and its log file in this folder.",
)
def demo(keep: Path | None) -> None:
    """The whole loop on embedded defaults, with no setup.

    The terminal shows the story; the log lines go to a file named at the end."""
    import tempfile

    from voice_router.demo import run_demo
    from voice_router.platform import logs

    if keep is not None:
        keep.mkdir(parents=True, exist_ok=True)
        log_file = keep / "voice-router-demo.log"
    else:  # outlives the demo's throwaway folder
        handle, name = tempfile.mkstemp(prefix="voice-router-demo-", suffix=".log")
        os.close(handle)
        log_file = Path(name)
    try:
        with logs.to_file(log_file):
            run_demo(keep)
    finally:
        click.echo(f"\nlogs: {log_file}")
