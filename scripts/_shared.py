"""What every coinpos script shares: the sender choice, confirmation and printing.

Not a script itself: `ape run` lists only modules that define `cli` or `main`.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click
from ape import accounts
from rich.console import Console
from rich.table import Table

from coinpos.deployments import Deployment
from coinpos.errors import CoinposError

console = Console()
F = TypeVar("F", bound=Callable[..., Any])


def clean_errors(command: F) -> F:
    """Turns a CoinposError into click's one-line error and exit code, not a traceback."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except CoinposError as exc:
            raise click.ClickException(str(exc)) from None

    return wrapper  # type: ignore[return-value]


def pick_sender(account: Any, network: Any, yes: bool, action: str) -> Any:
    """The account to send from; on a non-local network, only after confirmation.

    On the local network the first test account is the default. Elsewhere an account
    must be named (`--account ALIAS`, imported with `ape accounts import ALIAS`), so no
    key ever comes from a file in the repository. `--yes` answers the confirmation and
    also lets an imported account sign this run's transactions without asking for each:
    its passphrase is read once, from APE_ACCOUNTS_<ALIAS>_PASSPHRASE or a prompt.
    """
    if account is None:
        if not network.is_local:
            raise click.UsageError(
                "pass --account ALIAS (an account imported with `ape accounts import`)"
            )
        account = accounts.test_accounts[0]
    if not network.is_local and not yes:
        click.confirm(
            f"{action} on {network.ecosystem.name}:{network.name} from {account.address}?",
            abort=True,
        )
    if yes and hasattr(account, "set_autosign"):
        account.set_autosign(True)
    return account


def print_deployment(deployment: Deployment, artifact: Path) -> None:
    table = Table(
        title=f"{deployment.ecosystem}:{deployment.network} (chain id {deployment.chain_id})"
    )
    table.add_column("contract")
    table.add_column("address")
    table.add_column("block", justify="right")
    for name, record in sorted(deployment.contracts.items()):
        table.add_row(name, record.address, str(record.block))
    for name, address in sorted(deployment.external.items()):
        table.add_row(name, address, "external")
    console.print(table)
    console.print(f"artifact: {artifact}")
