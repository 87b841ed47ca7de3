"""`coinpos config show`: the effective settings and where each came from."""

from __future__ import annotations

import click

from coinpos.cli_support import emit, json_option
from coinpos.settings import SETTINGS_META_KEY, Settings


@click.group()
def config() -> None:
    """Settings from coinpos.toml (or --config), the environment and flags."""


@config.command()
@json_option
@click.pass_context
def show(ctx: click.Context, as_json: bool) -> None:
    """Print every setting's value (secrets hidden), its source and its variable."""
    settings: Settings = ctx.meta[SETTINGS_META_KEY]
    rows = [
        {
            "setting": e.setting.name,
            "value": e.shown,
            "source": e.source,
            "env": e.setting.env,
        }
        for e in settings.effective
    ]
    if as_json:
        emit(rows, as_json, "settings")
        return
    # Plain aligned lines, value last, so a long URL is never cut at 80 columns.
    click.echo(f"config file: {'none' if settings.file is None else settings.file}")
    width = max(len(row["setting"] or "") for row in rows)
    for row in rows:
        value = "(unset)" if row["value"] is None else row["value"]
        click.echo(f"{row['setting']:<{width}}  {row['source']:<7}  {value}")
