"""Every command and every option of `coinpos` says what it is for in --help."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import click
import pytest

from coinpos.cli import cli

# The console script installed beside the interpreter running the tests.
COINPOS = Path(sys.executable).parent / "coinpos"


def _commands(command: click.Command, path: str) -> Iterator[tuple[str, click.Command]]:
    yield path, command
    if isinstance(command, click.Group):
        for name, sub in sorted(command.commands.items()):
            yield from _commands(sub, f"{path} {name}")


def _missing_help(root: click.Command) -> list[str]:
    missing = []
    for path, command in _commands(root, "coinpos"):
        if not (command.help or command.short_help):
            missing.append(path)
        for param in command.params:
            if isinstance(param, click.Option) and not param.hidden and not param.help:
                missing.append(f"{path} {'/'.join(param.opts)}")
    return missing


def test_every_command_and_option__has_a_help_text() -> None:
    assert _missing_help(cli) == []


def test_the_check__finds_an_option_without_help() -> None:
    """Positive control: a command with an option left bare is reported, by name."""

    @click.group(help="Root.")
    def root() -> None: ...

    @root.command(help="Does a thing.")
    @click.option("--chain-id", type=int)
    @click.option("--quiet", is_flag=True, help="Say less.")
    def thing(chain_id: int | None, quiet: bool) -> None: ...

    @root.command()
    def bare() -> None: ...

    assert _missing_help(root) == ["coinpos bare", "coinpos thing --chain-id"]


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_shell_completion_script__is_printed_by_the_installed_command(shell: str) -> None:
    result = subprocess.run(
        [str(COINPOS)],
        env={**os.environ, "_COINPOS_COMPLETE": f"{shell}_source"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "_COINPOS_COMPLETE" in result.stdout and "coinpos" in result.stdout


def test_shell_completion__completes_the_command_groups() -> None:
    result = subprocess.run(
        [str(COINPOS)],
        env={
            **os.environ,
            "_COINPOS_COMPLETE": "bash_complete",
            "COMP_WORDS": "coinpos con",
            "COMP_CWORD": "1",
        },
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "plain,config" in result.stdout.splitlines()
