"""The `voice-router` command line."""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Never, cast

import click
from sqlmodel import Session, col, select

from voice_router.models import MAX_ID
from voice_router.settings import ConfigError, Settings, load_settings

if TYPE_CHECKING:
    from sqlalchemy import Engine
    from tqdm import tqdm

    from voice_router.privacy import ForgetReport
    from voice_router.runtime import Runtime


def _settings(ctx: click.Context) -> Settings:
    if ctx.obj is None:
        from voice_router import logs

        ctx.obj = load_settings(ctx.find_root().params.get("config"))
        # JSON lines on stderr with secrets masked; one-shot commands only say what went wrong.
        chatty = ctx.command.name in ("worker", "serve") or ctx.obj.log_level == "debug"
        logs.configure(ctx.obj, level=None if chatty else logging.WARNING)
    return cast(Settings, ctx.obj)


def _runtime(ctx: click.Context) -> Runtime:
    from workers.runtime import build_runtime

    return build_runtime(_settings(ctx))


@click.group()
@click.option(
    "--config",
    type=click.Path(dir_okay=False),
    help="TOML file (default: $VOICE_ROUTER_CONFIG or ./voice-router.toml)",
)
def cli(config: str | None) -> None:
    """voice-router: helpdesk pain-point tags become ranked product problems."""


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option(
    "--workers",
    type=click.IntRange(1, 64),
    help="Web processes (default: $WEB_CONCURRENCY or 2).",
)
@click.pass_context
def serve(ctx: click.Context, host: str, port: int, workers: int | None) -> None:
    """Run voice-router on this machine: gunicorn, and (without redis_url) the job runner."""
    from voice_router.db import make_engine, upgrade
    from voice_router.web.server import Server

    settings = _settings(ctx)
    engine = make_engine(settings.database_url)
    if engine.dialect.name == "sqlite":
        upgrade(engine)  # once, before the web processes start
    engine.dispose()
    if settings.redis_url:
        click.echo(
            "redis_url is set: jobs run in `voice-router worker` processes, not here", err=True
        )
    Server(f"[{host}]:{port}" if ":" in host else f"{host}:{port}", workers).run()


@cli.command()
@click.option("--burst", is_flag=True, help="Stop when the queue is empty.")
@click.pass_context
def worker(ctx: click.Context, burst: bool) -> None:
    """Run an rq worker for all voice-router queues (needs redis_url)."""
    from workers.runner import run_worker

    run_worker(_runtime(ctx), burst=burst)


@cli.group()
def db() -> None:
    """Database schema."""


@db.command("upgrade")
@click.pass_context
def db_upgrade(ctx: click.Context) -> None:
    """Apply all migrations."""
    from voice_router.db import current_revision, make_engine, upgrade

    engine = make_engine(_settings(ctx).database_url)
    upgrade(engine)
    click.echo(f"database at revision {current_revision(engine)}")


@cli.group()
def token() -> None:
    """API tokens."""


@token.command("create")
@click.option("--role", type=click.Choice(["agent", "pm", "admin"]), required=True)
@click.option("--name", required=True, help="Who uses it (shown as the author of notes).")
@click.pass_context
def token_create(ctx: click.Context, role: str, name: str) -> None:
    """Print a new API token (shown once; only its hash is stored)."""
    from voice_router.tokens import create_token

    click.echo(create_token(_engine(ctx), role, name))


@token.command("list")
@click.pass_context
def token_list(ctx: click.Context) -> None:
    """List API tokens: id, name, role, created, revoked (never a token or its hash)."""
    from voice_router.clock import iso
    from voice_router.tokens import list_tokens

    rows = list_tokens(_engine(ctx))
    if not rows:
        click.echo("no tokens (voice-router token create --role ROLE --name NAME)")
        return
    click.echo(f"{'ID':>5}  {'NAME':<24} {'ROLE':<6} {'CREATED':<20}  REVOKED")
    for t in rows:
        revoked = iso(t.revoked_at) if t.revoked_at else "-"
        click.echo(f"{t.id:>5}  {t.name:<24} {t.role:<6} {iso(t.created_at):<20}  {revoked}")


@token.command("revoke")
@click.argument("token_id", type=int)
@click.pass_context
def token_revoke(ctx: click.Context, token_id: int) -> None:
    """Revoke a token at once: the API refuses it and its UI sessions end."""
    from voice_router.clock import iso
    from voice_router.tokens import revoke_token

    result = revoke_token(_engine(ctx), token_id)
    if result is None:
        click.echo(f"no token with id {token_id} (see: voice-router token list)", err=True)
        sys.exit(1)
    info, revoked_now = result
    if revoked_now:
        click.echo(f"revoked token {info.id} ({info.name}, {info.role})")
    else:
        click.echo(f"token {info.id} ({info.name}) was already revoked at {iso(info.revoked_at)}")


def _engine(ctx: click.Context) -> Engine:
    from voice_router.db import make_engine, upgrade

    engine = make_engine(_settings(ctx).database_url)
    if engine.dialect.name == "sqlite":
        upgrade(engine)  # the embedded database keeps itself current
    return engine


MANY_ISSUES = 100  # one page of Jira's search: past it, reconcile shows a progress bar


class _IssueCounter:
    """A tqdm counter on stderr of the Jira issues read, shown once there are many (Jira's
    search says no total)."""

    def __init__(self) -> None:
        self.read = 0
        self._bar: tqdm[Never] | None = None

    def update(self, count: int) -> None:
        from tqdm import tqdm

        self.read += count
        if self._bar is None:
            if self.read <= MANY_ISSUES:
                return
            self._bar = tqdm(desc="Jira issues read", unit=" issues", file=sys.stderr)
            count = self.read
        self._bar.update(count)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None


@cli.command()
@click.pass_context
def reconcile(ctx: click.Context) -> None:
    """One reconcile pass: apply what changed in Jira since the last pass (as its webhooks
    would have), then send the messages still owed."""
    from integrations.jira.errors import JiraError
    from voice_router.logs import scrub_text
    from voice_router.reconcile import reconcile as reconcile_once

    settings = _settings(ctx)
    engine = _engine(ctx)
    if not settings.jira.url:
        click.echo("Jira is not configured ([jira].url is empty): no issues to read")
    counter = _IssueCounter()
    try:
        result = reconcile_once(engine, settings, progress=counter.update)
    except JiraError as exc:
        counter.close()  # the bar's last line before the error's
        first = (scrub_text(exc.message).strip().splitlines() or [""])[0]
        click.echo(f"voice-router: reconcile stopped, Jira error ({exc.reason}): {first}", err=True)
        sys.exit(1)
    finally:
        counter.close()
        engine.dispose()
    shipped = sum(1 for t in result.transitions if t.endswith("->shipped"))
    sent = result.outbound
    click.echo(
        f"reconcile: {result.issues_seen} issue(s) read, {len(result.transitions)} status "
        f"change(s) ({shipped} shipped), outbound: {sent.get('sent', 0)} sent, "
        f"{sent.get('retry', 0)} retrying, {sent.get('failed', 0)} failed"
    )


MANY_PROBLEMS = 1000  # past this many, recompute shows a progress bar


@cli.command()
@click.option("--check", "mode", flag_value="check", help="Report drift only; exit 1 if any.")
@click.option("--fix", "mode", flag_value="fix", default=True, help="Report drift and fix it.")
@click.pass_context
def recompute(ctx: click.Context, mode: str) -> None:
    """Recount every problem's impact from its pain points; report any drift from the
    stored counts and (unless --check) replace them with the recount."""
    from tqdm import tqdm

    from voice_router.impact_check import problem_ids, recompute_all

    engine = _engine(ctx)
    fix = mode == "fix"
    try:
        total = len(problem_ids(engine))
        with tqdm(
            total=total,
            unit=" problems",
            desc="recount",
            file=sys.stderr,
            disable=total <= MANY_PROBLEMS,
        ) as bar:
            drift = recompute_all(engine, fix, progress=bar.update)
    finally:
        engine.dispose()
    for found in drift:
        click.echo(f"problem {found.problem_id} ({found.key}): " + "; ".join(found.differences))
    outcome = "fixed" if fix else "not fixed: run recompute --fix"
    click.echo(
        f"recompute: {total} problem(s) recounted, {len(drift)} with drift"
        + (f" ({outcome})" if drift else "")
    )
    if drift and not fix:
        sys.exit(1)


@cli.command("import-accounts")
@click.argument("csv_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.pass_context
def import_accounts(ctx: click.Context, csv_file: Path) -> None:
    """Load account revenue from a CSV with columns domain,name,plan,mrr."""
    from tqdm import tqdm

    from voice_router.accounts_import import import_accounts as run_import
    from voice_router.db import make_engine

    engine = make_engine(_settings(ctx).database_url)
    total = max(0, sum(1 for _ in csv_file.open(encoding="utf-8-sig")) - 1)
    with tqdm(total=total, unit="row", desc="accounts", file=sys.stderr) as bar:
        report = run_import(engine, csv_file, progress=bar.update)
    for line, message in report.errors:
        click.echo(f"{csv_file}:{line}: {message}", err=True)
    click.echo(f"imported {report.imported} account(s), {len(report.errors)} bad row(s)")
    if report.errors:
        sys.exit(1)


@cli.group()
def deliveries() -> None:
    """Webhook deliveries whose processing failed."""


@deliveries.command("failed")
@click.pass_context
def deliveries_failed(ctx: click.Context) -> None:
    """List deliveries that failed for good (or were not valid payloads)."""
    from voice_router.clock import iso
    from voice_router.db import make_engine
    from voice_router.models import Delivery

    engine = make_engine(_settings(ctx).database_url)
    with Session(engine) as session:
        rows = session.exec(
            select(Delivery)
            .where(col(Delivery.status).in_(("failed", "invalid")))
            .order_by(col(Delivery.id))
        ).all()
    if not rows:
        click.echo("no failed deliveries")
        return
    click.echo(f"{'ID':>6}  {'SOURCE':<16} {'STATUS':<8} {'TRIES':>5}  {'RECEIVED':<20}  ERROR")
    for d in rows:
        click.echo(
            f"{d.id:>6}  {d.source:<16} {d.status:<8} {d.attempts:>5}  {iso(d.received_at):<20}  "
            f"{(d.last_error or '').splitlines()[0][:80] if d.last_error else ''}"
        )


@deliveries.command("replay")
@click.argument("delivery_id", required=False, type=click.IntRange(1, MAX_ID))
@click.option("--all", "replay_all", is_flag=True, help="Replay every failed delivery.")
@click.pass_context
def deliveries_replay(ctx: click.Context, delivery_id: int | None, replay_all: bool) -> None:
    """Put failed deliveries back in the inbox and process them again."""
    from voice_router.processing import replay

    if (delivery_id is None) == (not replay_all):
        raise click.UsageError("give one delivery ID or --all")
    rt = _runtime(ctx)
    count = replay(rt.engine, None if replay_all or delivery_id is None else [delivery_id])
    if count == 0:
        click.echo(
            "nothing to replay"
            + (f": delivery {delivery_id} has not failed" if delivery_id else "")
        )
        return
    rt.queue.signal_drain()
    click.echo(f"replaying {count} delivery(ies)")


@cli.command()
@click.option(
    "--keep",
    type=click.Path(file_okay=False, path_type=Path),
    help="Keep the demo database and its log file in this folder.",
)
def demo(keep: Path | None) -> None:
    """The whole loop on embedded defaults, with no setup.

    The terminal shows the story; the log lines go to a file named at the end."""
    import tempfile

    from voice_router import logs
    from voice_router.demo import run_demo

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


@cli.command()
@click.argument("email")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@click.pass_context
def forget(ctx: click.Context, email: str, yes: bool) -> None:
    """Erase one customer's personal data everywhere; aggregate counts stay right.

    Prints counts only. See docs/privacy.md for what is kept and what this cannot reach.
    """
    import getpass

    from voice_router.db import upgrade
    from voice_router.errors import BadRequest
    from voice_router.privacy import forget as run_forget
    from voice_router.privacy import normalise_email
    from voice_router.runtime import mark_sync_due

    try:
        email = normalise_email(email)
    except BadRequest as exc:
        raise click.BadParameter(exc.message, param_hint="EMAIL") from exc
    rt = _runtime(ctx)
    if rt.engine.dialect.name == "sqlite":
        upgrade(rt.engine)
    try:
        actor = f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        actor = "cli"
    preview = None if yes else run_forget(rt.engine, email, actor, dry_run=True)
    if preview is not None and preview.found:
        click.echo("Found for this e-mail address:")
        _echo_counts(preview)
        if not click.confirm("Erase it? This cannot be undone.", default=False):
            click.echo("aborted: nothing erased")
            sys.exit(1)
    report = run_forget(rt.engine, email, actor)
    if not report.found:
        click.echo(
            f"no customer or stored data matches that e-mail; nothing erased "
            f"(audit entry {report.audit_id})"
        )
        sys.exit(1)
    click.echo("Erased:")
    _echo_counts(report)
    click.echo(f"audit entry {report.audit_id}")
    if report.sqlite_file and report.sqlite_file != "compacted":
        click.echo(
            f"warning: SQLite file {report.sqlite_file}: old copies may remain on disk until "
            "VACUUM and `PRAGMA wal_checkpoint(TRUNCATE)` succeed",
            err=True,
        )
    if report.jira_problems and _settings(ctx).jira.url:
        mark_sync_due(rt, report.jira_problems)
        click.echo(f"Jira descriptions of {len(report.jira_problems)} problem(s) re-synced")
    outside = [
        f"{len(report.jira_comments)} note(s) already posted as Jira comments "
        f"({', '.join(report.jira_comments)})"
        if report.jira_comments
        else "",
        f"{report.writebacks_sent} write-back note(s) posted on helpdesk tickets"
        if report.writebacks_sent
        else "",
        f"{report.digests_sent} agent digest(s) sent by Slack/e-mail"
        if report.digests_sent
        else "",
    ]
    if any(outside):
        click.echo("Not reachable from here (erase it where it lives, see docs/privacy.md):")
        for line in filter(None, outside):
            click.echo(f"  - {line}")
    if report.name_mentions_kept:
        where = ", ".join(f"{column} {n}" for column, n in report.name_mentions_kept.items())
        click.echo(
            f"Left as they are: other people's rows that contain the same full name ({where}); "
            "it may be a namesake's (docs/privacy.md says how to review them)"
        )


def _echo_counts(report: ForgetReport) -> None:
    rows = [
        ("customer records made anonymous", report.customers),
        ("helpdesk identities deleted", report.identities),
        ("pain points cleared (kept for counts)", report.pain_points),
        ("raw webhook deliveries erased", report.deliveries),
        ("accounts unnamed", report.accounts),
        ("outbound messages readdressed", report.outbound),
        *((f"text scrubbed in {column}", n) for column, n in report.scrubbed.items()),
    ]
    for label, count in rows:
        if count:
            click.echo(f"  {label}: {count}")


def main() -> None:
    try:
        cli(standalone_mode=True)
    except ConfigError as exc:
        click.echo(f"voice-router: configuration error: {exc}", err=True)
        sys.exit(2)
