"""The `voice-router` command line: one group, its commands by area in the modules beside
this one, registered here."""

from __future__ import annotations

import click

from voice_router.cli import forget, outbound, service, tokens, upkeep
from voice_router.platform.startup import stops_with_one_line


@click.group()
@click.option(
    "--config",
    type=click.Path(dir_okay=False),
    help="TOML file (default: $VOICE_ROUTER_CONFIG or ./voice-router.toml)",
)
def cli(config: str | None) -> None:
    """voice-router: helpdesk pain-point tags become ranked product problems."""


for command in (
    service.serve,
    service.worker,
    service.db,
    tokens.token,
    upkeep.reconcile,
    upkeep.recompute,
    upkeep.import_accounts,
    upkeep.deliveries,
    outbound.outbound,
    service.demo,
    forget.forget,
):
    cli.add_command(command)


def main() -> None:
    with stops_with_one_line():
        cli(standalone_mode=True)
