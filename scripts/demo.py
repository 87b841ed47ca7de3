"""The coinpos story on a local chain, narrated step by step.

    make demo        (= ape run demo --network ethereum:local:foundry)

Runs on the embedded defaults: the local anvil chain that ape-foundry starts, and the
SQLite database under .coinpos/. Each run starts from a fresh chain, so running it twice
in a row works.
"""

from __future__ import annotations

from decimal import Decimal

import click
from ape import accounts, chain, project
from ape.cli import ConnectedProviderCommand
from rich.panel import Panel
from rich.table import Table

from coinpos import deployments
from coinpos.db.engine import database_url, make_engine
from coinpos.db.migrate import upgrade
from coinpos.deployer import deploy_all, load_params
from scripts._shared import clean_errors, console, print_deployment


def _units(amount: int, decimals: int, places: int | None = None) -> str:
    """Base units as a decimal string, truncated (never rounded up) to `places` for display."""
    value = Decimal(amount).scaleb(-decimals)
    shown = min(decimals, places) if places is not None else decimals
    return f"{value.quantize(Decimal(1).scaleb(-shown), rounding='ROUND_DOWN'):,}"


@click.command(cls=ConnectedProviderCommand)
@clean_errors
def cli(ecosystem, network):  # type: ignore[no-untyped-def]
    if not network.is_local:
        raise click.UsageError("the demo runs only on a local chain")
    test = accounts.test_accounts
    admin, minter, customer = test[0], test[2], test[5]
    choice = f"{ecosystem.name}:{network.name}"

    console.print(Panel.fit("coinpos demo: crypto payments at the point of sale", style="bold"))

    console.rule("1. database")
    engine = make_engine()
    upgrade(engine)
    console.print(f"schema up to date at {database_url()}")

    console.rule(f"2. contracts on {choice} (chain id {chain.chain_id})")
    artifact = deployments.artifact_path(ecosystem.name, network.name)
    deployment = deploy_all(
        project, chain, admin, load_params(choice), artifact, test_accounts=test, log=console.print
    )
    print_deployment(deployment, artifact)

    console.rule("3. the exchange issues e-money to a customer")
    emoney = project.EMoney.at(deployment.address("EMoney"))
    decimals = emoney.decimals()
    amount = 250 * 10**decimals
    receipt = emoney.mint(customer, amount, b"demo-fiat-payment".ljust(32, b"\0"), sender=minter)
    console.print(
        f"minted {_units(amount, decimals)} {emoney.symbol()} to the customer "
        f"{customer.address} (tx {receipt.txn_hash}, gas {receipt.gas_used:,})"
    )

    console.rule("4. balances")
    feed = project.MockPriceFeed.at(deployment.address("PriceFeed:ETH/USD"))
    _, answer, _, updated_at, _ = feed.latestRoundData()
    table = Table()
    table.add_column("who")
    table.add_column("address")
    table.add_column("ETH", justify="right")
    table.add_column(emoney.symbol(), justify="right")
    for who, account in (("admin", admin), ("minter", minter), ("customer", customer)):
        table.add_row(
            who,
            account.address,
            _units(account.balance, 18, places=4),
            _units(emoney.balanceOf(account), decimals),
        )
    console.print(table)
    console.print(
        f"ETH / USD from the price feed: {_units(answer, feed.decimals())} "
        f"(updated at {updated_at})"
    )
    console.print(f"{emoney.symbol()} total supply: {_units(emoney.totalSupply(), decimals)}")
