"""The coinpos story on a local chain, narrated step by step.

    make demo        (= ape run demo --network ethereum:local:foundry)

Runs on the embedded defaults: the local anvil chain that ape-foundry starts, and a SQLite
database of its own, `.coinpos/demo.db`. Each run starts from a fresh chain and a fresh
demo database, so running it twice in a row works and never touches `.coinpos/coinpos.db`.
Its deployment artifact is its own too (`deployments/<ecosystem>-<network>-demo.json`): the
artifact of a local chain you run yourself, `deployments/ethereum-local.json`, is left alone.
"""

from __future__ import annotations

from pathlib import Path

import click
from ape import accounts, chain, project
from ape.logging import LogLevel, logger
from click.core import ParameterSource
from rich.panel import Panel
from rich.table import Table

from coinpos import deployments
from coinpos.db.engine import make_engine
from coinpos.db.migrate import upgrade
from coinpos.demo import mining, payments
from coinpos.demo.context import Cast, DemoContext, chapter_title
from coinpos.demo.summary import agreements
from coinpos.deployer import deploy_all, load_params
from coinpos.money import format_amount
from scripts._shared import FlowCommand, clean_errors, console, print_deployment

DEMO_DB = Path(".coinpos") / "demo.db"


def _fresh_database() -> str:
    for leftover in DEMO_DB.parent.glob(DEMO_DB.name + "*"):
        leftover.unlink()
    return f"sqlite:///{DEMO_DB}"


def _quiet_ape(ctx: click.Context) -> None:
    """ape's own log (a line per transaction) off, unless `-v` asked for it: the story is
    the output."""
    if ctx.get_parameter_source("verbosity") in (None, ParameterSource.DEFAULT):
        logger.set_level(LogLevel.WARNING)


def _chapter(number: int) -> None:
    console.rule(chapter_title(number))


@click.command(cls=FlowCommand)
@clean_errors
def cli(ecosystem, network):  # type: ignore[no-untyped-def]
    if not network.is_local:
        raise click.UsageError("the demo runs only on a local chain")
    _quiet_ape(click.get_current_context())
    cast = Cast.from_test_accounts(accounts.test_accounts)
    choice = f"{ecosystem.name}:{network.name}"

    console.print(Panel.fit("coinpos demo: crypto payments at the point of sale", style="bold"))

    _chapter(1)
    engine = make_engine(_fresh_database())
    upgrade(engine)
    console.print(f"a fresh demo database at {DEMO_DB}, schema up to date")
    console.print(f"contracts on {choice} (chain id {chain.chain_id}):")
    artifact = deployments.demo_artifact_path(ecosystem.name, network.name)
    deployment = deploy_all(
        project, chain, cast.admin, load_params(choice), artifact,
        test_accounts=accounts.test_accounts, log=console.print,
    )  # fmt: skip
    print_deployment(deployment, artifact)
    ctx = DemoContext(project, chain, deployment, cast, engine, console.print, _chapter)
    emoney = ctx.contract("EMoney")
    decimals = int(emoney.decimals())
    symbol = str(emoney.symbol())

    payments_outcome = payments.run(ctx)
    mining.run(ctx)

    _chapter(9)
    table = Table(title="balances")
    for column in ("who", "ether", "e-money"):
        table.add_column(column, justify="left" if column == "who" else "right")
    people = (
        ("customer's wallet", payments_outcome.wallet),
        ("treasury", cast.treasury.address),
        ("escrow", deployment.address("PaymentEscrow")),
        ("alice", cast.walkers[0].address),
        ("bob", cast.walkers[1].address),
        ("carol", cast.teleporter.address),
        ("GeoRewards", deployment.address("GeoRewards")),
    )
    for who, address in people:
        table.add_row(
            who,
            format_amount(int(chain.provider.get_balance(address)), 18, "ETH"),
            format_amount(int(emoney.balanceOf(address)), decimals, symbol),
        )
    console.print(table)

    checks = Table(title="the chain and the database agree")
    for column in ("what", "on chain", "in the database", ""):
        checks.add_column(column, justify="left" if column == "what" else "right")
    results = agreements(ctx, payments_outcome.store_id)
    for row in results:
        checks.add_row(
            row.what,
            row.shown(row.chain),
            row.shown(row.database),
            "ok" if row.agrees else "DIFFER",
        )
    console.print(checks)
    if not all(row.agrees for row in results):
        raise click.ClickException("the chain and the database disagree")
