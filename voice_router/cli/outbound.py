"""Messages a shipped problem owed (write-back notes, agent digests) that were given up:
listed, and sent again at an operator's word."""

from __future__ import annotations

import sys

import click

from voice_router.cli.context import engine_of, exists, first_line, listing, runtime_of
from voice_router.platform.ids import MAX_ID


@click.group()
def outbound() -> None:
    """Write-back notes and agent digests that were given up."""


@outbound.command("failed")
@click.pass_context
def outbound_failed(ctx: click.Context) -> None:
    """List messages given up for good: refused, failed for about a day, or unanswered after
    they went out (those may have arrived: their error starts with "may have arrived"). NEWS
    is what each carried: shipped, wont_fix, regressed (the fix came back), reopened,
    unreleased (a heads-up or correction to agents told of the fix)."""
    from voice_router.closing.notify import maybe_sent
    from voice_router.closing.outbound import given_up

    engine = engine_of(ctx)
    try:
        rows = given_up(engine)
    finally:
        engine.dispose()
    listing(
        "no failed messages",
        f"{'ID':>6}  {'PROBLEM':>7}  {'CHANNEL':<9} {'NEWS':<10} {'TARGET':<32} {'TRIES':>5}  "
        "ERROR",
        [
            f"{row.id:>6}  {row.problem_id:>7}  {row.channel:<9} {row.outcome:<10} "
            f"{row.target[:32]:<32} {row.attempts:>5}  "
            f"{'may have arrived: ' if maybe_sent(row) else ''}{first_line(row.last_error, 120)}"
            for row in rows
        ],
    )


@outbound.command("resend")
@click.argument("outbound_id", required=False, type=click.IntRange(1, MAX_ID))
@click.option("--all", "resend_all", is_flag=True, help="Resend every failed message.")
@click.pass_context
def outbound_resend(ctx: click.Context, outbound_id: int | None, resend_all: bool) -> None:
    """Send failed messages again: back to pending, for the messages lane to send now. One
    that may have gone out (a timeout, a connection closed before the answer) can then
    arrive twice: check the ticket or the agent first."""
    from voice_router.closing.outbound import resend

    if (outbound_id is None) == (not resend_all):
        raise click.UsageError("give one message ID or --all")
    rt = runtime_of(ctx)
    try:
        count = resend(rt.engine, None if outbound_id is None else [outbound_id])
    finally:
        rt.engine.dispose()
    if count == 0:
        from voice_router.models import Outbound

        if outbound_id is not None and not exists(rt.engine, Outbound, outbound_id):
            click.echo(f"no message with id {outbound_id} (see: voice-router outbound failed)")
            sys.exit(1)
        click.echo(
            "nothing to resend" + (f": message {outbound_id} has not failed" if outbound_id else "")
        )
        return
    try:
        rt.queue.signal_outbound()
    except Exception as exc:  # pending in the database already: the sweep or runner finds it
        click.echo(
            f"voice-router: the job queue did not answer ({type(exc).__name__}); workers will "
            "find the messages due within seconds",
            err=True,
        )
    click.echo(f"resending {count} message(s)")
