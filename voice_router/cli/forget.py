"""`voice-router forget`: erase one customer's personal data, and say what it cannot reach."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from voice_router.cli.context import runtime_of, settings_of

if TYPE_CHECKING:
    from voice_router.platform.runtime import Runtime
    from voice_router.problems.delivery_erasure import Scan
    from voice_router.problems.privacy import ForgetReport


@click.command()
@click.argument("email")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@click.pass_context
def forget(ctx: click.Context, email: str, yes: bool) -> None:
    """Erase one customer's personal data everywhere; aggregate counts stay right.

    Prints counts only. See docs/privacy.md for what is kept and what this cannot reach.
    """
    import getpass

    from sqlalchemy.exc import OperationalError

    from voice_router.intake.forget_after import JiraReceivedMeanwhile
    from voice_router.intake.spool_forget import SpoolForget
    from voice_router.platform.errors import BadRequest
    from voice_router.platform.runtime import mark_sync_due
    from voice_router.problems.privacy import forget as run_forget
    from voice_router.problems.privacy import normalise_email

    try:
        email = normalise_email(email)
    except BadRequest as exc:
        raise click.BadParameter(exc.message, param_hint="EMAIL") from exc
    rt = runtime_of(ctx)  # the embedded database made current
    try:
        actor = f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        actor = "cli"
    _apply_due_deliveries(rt)
    scanned = None if yes else _ask(rt, email)
    spooled = SpoolForget(rt.engine)
    # Jira's webhooks may bring the person's name while it runs: it stays to cut it out.
    after = JiraReceivedMeanwhile(rt.engine) if settings_of(ctx).jira.webhook_secret else None
    try:
        report = run_forget(rt.engine, email, actor, scanned=scanned, beside=spooled, after=after)
    except OperationalError as exc:
        if getattr(exc.orig, "sqlstate", None) != "40P01":
            raise
        click.echo(
            "voice-router: forget kept meeting the processing of this person's deliveries; "
            "nothing was erased. Run it again in a moment.",
            err=True,
        )
        sys.exit(1)
    if not report.found:
        _echo_unreadable(spooled.unreadable, spooled.corrupt_directory)
        click.echo(
            f"no customer or stored data matches that e-mail; nothing erased "
            f"(audit entry {report.audit_id})"
        )
        sys.exit(1)
    click.echo("Erased:")
    _echo_counts(report)
    click.echo(f"audit entry {report.audit_id}")
    if report.late:
        click.echo(f"  Jira deliveries received while it ran, cut afterwards: {report.late}")
    elif after is not None and report.late is None:
        click.echo(
            "warning: the Jira deliveries received while forget ran could not be looked "
            "through; their addresses go as they are processed, a name in them stays: "
            "run forget again",
            err=True,
        )
    if report.sqlite_file and report.sqlite_file != "compacted":
        click.echo(
            f"warning: SQLite file {report.sqlite_file}: old copies may remain on disk until "
            "VACUUM and `PRAGMA wal_checkpoint(TRUNCATE)` succeed",
            err=True,
        )
    if report.jira_problems and settings_of(ctx).jira.url:
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
    _echo_unreadable(spooled.unreadable, spooled.corrupt_directory)
    if report.name_mentions_kept:
        where = ", ".join(f"{column} {n}" for column, n in report.name_mentions_kept.items())
        click.echo(
            f"Left as they are: other people's rows that contain the same full name ({where}); "
            "it may be a namesake's (docs/privacy.md says how to review them)"
        )


def _ask(rt: Runtime, email: str) -> Scan | None:
    """Show what would be erased, counted without erasing (forget_preview), and ask; exits
    when the answer is no. The preview's reading of the deliveries serves the erasure."""
    from voice_router.intake.spool_forget import SpoolForget
    from voice_router.problems.forget_preview import mentioned, preview

    spooled = SpoolForget(rt.engine, preview=True)
    found, scanned = preview(rt.engine, email, beside=spooled)
    if not found.found and not mentioned(rt.engine, email, scanned):
        return scanned  # nothing to erase: forget says so
    click.echo("Found for this e-mail address:")
    _echo_counts(found)
    _echo_unreadable(found.spool_unreadable, spooled.corrupt_directory)
    click.echo("  mentions of the address in other text: cut out, and counted, as it erases")
    if not click.confirm("Erase it? This cannot be undone.", default=False):
        click.echo("aborted: nothing erased")
        sys.exit(1)
    return scanned


def _apply_due_deliveries(rt: Runtime) -> None:
    """Apply the deliveries waiting in the inbox first: a person's pending delivery becomes a
    stub that is never processed, so a tag they had just removed would have stayed counted
    for good (fault audit). One stored after this is still stubbed unapplied."""
    from voice_router.intake import processing

    applied = processing.drain(rt.engine, rt.settings).processed
    if applied:
        click.echo(f"Applied {applied} waiting deliveries first, so the counts are current.")


def _echo_counts(report: ForgetReport) -> None:
    rows = [
        ("customer records made anonymous", report.customers),
        ("helpdesk identities deleted", report.identities),
        ("pain points cleared (kept for counts)", report.pain_points),
        ("raw webhook deliveries erased", report.deliveries),
        ("deliveries erased in files of SQLite's spool", report.spooled),
        ("accounts unnamed", report.accounts),
        ("outbound messages readdressed", report.outbound),
        *((f"text scrubbed in {column}", n) for column, n in report.scrubbed.items()),
    ]
    for label, count in rows:
        if count:
            click.echo(f"  {label}: {count}")


def _echo_unreadable(count: int, where: Path | None) -> None:
    """Spool files forget could not read, so could not look into (intake/spool_forget.py)."""
    if count:
        click.echo(
            f"Left as they are: {count} spool file(s) in {where} that cannot be read (or "
            "rewritten), so forget could not erase in them; they may hold this person's "
            "deliveries. Read them and delete what is theirs (docs/privacy.md)"
        )
