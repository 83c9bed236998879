"""``dia3 config``: the settings this machine's components would run with (secrets masked),
or the settings table of the docs."""

from __future__ import annotations

import click

from app.settings import get_settings


@click.command()
@click.option("--docs", is_flag=True, help="Print the settings table of docs/configuration.md")
def config(docs: bool) -> None:
    """Show the effective configuration (secrets masked)."""
    from app.settings import markdown_table
    if docs:
        click.echo(markdown_table())
        return
    for name, value in get_settings().redacted().items():
        click.echo(f"DIA3_{name.upper()}={value}")


COMMANDS = (config,)
