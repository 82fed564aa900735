"""Keeping the data right: a reconcile pass with Jira, recounting impact, loading account
revenue, and webhook deliveries whose processing failed."""

from __future__ import annotations

import sys
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Never

import click

from voice_router.cli.context import (
    engine_of,
    exists,
    first_line,
    listing,
    runtime_of,
    settings_of,
)
from voice_router.platform.ids import MAX_ID

if TYPE_CHECKING:
    from tqdm import tqdm

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


def _say_waiting() -> None:
    click.echo(
        "voice-router: a reconcile pass is running in another process; waiting for it to "
        "end, then this one runs…",
        err=True,
    )


@click.command()
@click.pass_context
def reconcile(ctx: click.Context) -> None:
    """One reconcile pass: apply what changed in Jira since the last pass (as its webhooks
    would have), then send the messages still owed. While a pass runs in a worker or
    `serve`, it waits for that pass to end, then makes its own."""
    from integrations.jira.errors import JiraError
    from voice_router.closing import outbound, sending
    from voice_router.platform.masking import scrub_text
    from voice_router.tracker.reconcile import reconcile as reconcile_once
    from workers.jobs import reconcile_held, take_reconcile_waiting

    settings = settings_of(ctx)
    engine = engine_of(ctx)
    if not settings.jira.url:
        click.echo("Jira is not configured ([jira].url is empty): no issues to read")
    counter = _IssueCounter()
    holder = f"voice-router reconcile:{uuid.uuid4().hex}"
    try:
        take_reconcile_waiting(engine, holder, waiting=_say_waiting)
        with reconcile_held(engine, settings, holder):
            result = reconcile_once(engine, settings, progress=counter.update)
        # A command of its own, on no lane: it sends what is owed itself (no worker may run).
        sent = outbound.deliver_due(engine, settings, sending.pending_outbound(engine))
    except JiraError as exc:
        counter.close()  # the bar's last line before the error's
        first = (scrub_text(exc.message).strip().splitlines() or [""])[0]
        click.echo(f"voice-router: reconcile stopped, Jira error ({exc.reason}): {first}", err=True)
        sys.exit(1)
    finally:
        counter.close()
        engine.dispose()
    shipped = sum(1 for t in result.transitions if t.endswith("->shipped"))
    nothing = sent.get("nothing_to_send", 0)
    click.echo(
        f"reconcile: {result.issues_seen} issue(s) read, {len(result.transitions)} status "
        f"change(s) ({shipped} shipped), outbound: {sent.get('sent', 0)} sent, "
        f"{sent.get('retry', 0)} retrying, {sent.get('failed', 0)} failed"
        + (f", {nothing} with nothing left to send" if nothing else "")
    )


MANY_PROBLEMS = 1000  # past this many, recompute shows a progress bar


@click.command()
@click.option("--check", is_flag=True, help="Report drift only; exit 1 if any.")
@click.option("--fix", is_flag=True, help="Report drift and fix it (the default).")
@click.pass_context
def recompute(ctx: click.Context, check: bool, fix: bool) -> None:
    """Recount every problem's impact from its pain points; report any drift from the
    stored counts and (unless --check) replace them with the recount."""
    from tqdm import tqdm

    from voice_router.problems.impact_check import problem_ids, recompute_all

    if check and fix:  # the last one given won, and --check --fix changed the counts
        raise click.UsageError("give --check or --fix, not both")
    engine = engine_of(ctx)
    fix = not check
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


@click.command("import-accounts")
@click.argument("csv_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.pass_context
def import_accounts(ctx: click.Context, csv_file: Path) -> None:
    """Load account revenue from a CSV with columns domain,name,plan,mrr; the Jira issues of
    the problems counting those accounts are updated (paced as after new reports)."""
    from tqdm import tqdm

    from voice_router.platform.schedule import SYNC_DELAY
    from voice_router.problems.accounts_import import NotCsvText, count_rows
    from voice_router.problems.accounts_import import import_accounts as run_import

    try:
        total = count_rows(csv_file)
    except NotCsvText as exc:
        click.echo(f"{csv_file}: {exc}", err=True)
        sys.exit(1)
    rt = runtime_of(ctx)
    try:
        with tqdm(total=total, unit="row", desc="accounts", file=sys.stderr) as bar:
            report = run_import(rt.engine, rt.settings, csv_file, progress=bar.update)
    finally:
        rt.engine.dispose()
    for line, message in report.errors:
        click.echo(f"{csv_file}:{line}: {message}", err=True)
    click.echo(f"imported {report.imported} account(s), {len(report.errors)} bad row(s)")
    if report.sync_due:
        try:
            rt.queue.signal_sync(sorted(report.sync_due), SYNC_DELAY.total_seconds())
        except Exception as exc:  # due in the database already: a worker's sweep finds them
            click.echo(
                f"voice-router: the job queue did not answer ({type(exc).__name__}); workers will "
                "find the syncs due within seconds",
                err=True,
            )
        click.echo(
            f"Jira issues of {len(report.sync_due)} problem(s) will show the new revenue "
            "(paced by [jira].update_interval_seconds)"
        )
    if report.errors:
        sys.exit(1)


@click.group()
def deliveries() -> None:
    """Webhook deliveries whose processing failed."""


@deliveries.command("failed")
@click.pass_context
def deliveries_failed(ctx: click.Context) -> None:
    """List deliveries that failed for good (or were not valid payloads)."""
    from sqlmodel import Session, col, select

    from voice_router.models import Delivery, held
    from voice_router.platform.clock import iso

    engine = engine_of(ctx)  # a new embedded database is made current: no traceback
    with Session(engine) as session:
        rows = session.exec(select(Delivery).where(held()).order_by(col(Delivery.id))).all()
    listing(
        "no failed deliveries",
        f"{'ID':>6}  {'SOURCE':<16} {'STATUS':<8} {'TRIES':>5}  {'RECEIVED':<20}  ERROR",
        [
            f"{d.id:>6}  {d.source:<16} {d.status:<8} {d.attempts:>5}  {iso(d.received_at):<20}  "
            f"{first_line(d.last_error)}"
            for d in rows
        ],
    )


@deliveries.command("replay")
@click.argument("delivery_id", required=False, type=click.IntRange(1, MAX_ID))
@click.option("--all", "replay_all", is_flag=True, help="Replay every failed delivery.")
@click.pass_context
def deliveries_replay(ctx: click.Context, delivery_id: int | None, replay_all: bool) -> None:
    """Put failed deliveries back in the inbox and process them again."""
    from voice_router.intake.processing import replay

    if (delivery_id is None) == (not replay_all):
        raise click.UsageError("give one delivery ID or --all")
    rt = runtime_of(ctx)
    count = replay(rt.engine, None if replay_all or delivery_id is None else [delivery_id])
    if count == 0:
        from voice_router.models import Delivery

        if delivery_id is not None and not exists(rt.engine, Delivery, delivery_id):
            click.echo(f"no delivery with id {delivery_id} (see: voice-router deliveries failed)")
            sys.exit(1)
        click.echo(
            "nothing to replay"
            + (f": delivery {delivery_id} has not failed" if delivery_id else "")
        )
        return
    rt.queue.signal_drain()
    click.echo(f"replaying {count} delivery(ies)")
