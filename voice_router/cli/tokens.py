"""API tokens: create, list, revoke."""

from __future__ import annotations

import sys

import click

from voice_router.cli.context import engine_of


@click.group()
def token() -> None:
    """API tokens."""


NAME_CHARS = 100  # ApiToken.name's column


def _name(_ctx: click.Context, _param: click.Parameter, value: str) -> str:
    """A name someone can be known by: not blank, within the column on every database
    (SQLite would keep a longer one, PostgreSQL refuse it with a traceback)."""
    name = value.strip()
    if not name:
        raise click.BadParameter("must not be blank: it is shown as the author of notes")
    if len(name) > NAME_CHARS:
        raise click.BadParameter(f"at most {NAME_CHARS} characters, got {len(name)}")
    return name


@token.command("create")
@click.option("--role", type=click.Choice(["agent", "pm", "admin"]), required=True)
@click.option(
    "--name", required=True, callback=_name, help="Who uses it (shown as the author of notes)."
)
@click.pass_context
def token_create(ctx: click.Context, role: str, name: str) -> None:
    """Print a new API token (shown once; only its hash is stored)."""
    from voice_router.platform.tokens import create_token

    click.echo(create_token(engine_of(ctx), role, name))


@token.command("list")
@click.pass_context
def token_list(ctx: click.Context) -> None:
    """List API tokens: id, name, role, created, revoked (never a token or its hash)."""
    from voice_router.platform.clock import iso
    from voice_router.platform.tokens import list_tokens

    rows = list_tokens(engine_of(ctx))
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
    from voice_router.platform.clock import iso
    from voice_router.platform.tokens import revoke_token

    result = revoke_token(engine_of(ctx), token_id)
    if result is None:
        click.echo(f"no token with id {token_id} (see: voice-router token list)", err=True)
        sys.exit(1)
    info, revoked_now = result
    if revoked_now:
        click.echo(f"revoked token {info.id} ({info.name}, {info.role})")
    else:
        click.echo(f"token {info.id} ({info.name}) was already revoked at {iso(info.revoked_at)}")
