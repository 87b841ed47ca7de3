"""Deploy every coinpos contract to the network given by --network.

    ape run deploy --network ethereum:local:foundry
    ape run deploy --network ethereum:sepolia:node --account deployer

Writes deployments/<ecosystem>-<network>.json. A second run re-uses what is deployed
(after checking that code is present at each recorded address). An artifact recorded for
another chain id is refused; on the local network --replace keeps it aside
(`<name>.chain-<id>.json`) and deploys afresh. Anywhere but the local network it asks for
confirmation first, unless --yes is given.
"""

from __future__ import annotations

import click
from ape import accounts, chain, project
from ape.cli import account_option

from coinpos import deployments
from coinpos.deployer import deploy_all, load_params
from scripts._shared import FlowCommand, clean_errors, console, pick_sender, print_deployment


@click.command(cls=FlowCommand)
@account_option(prompt=False)
@click.option("--yes", is_flag=True, help="Do not ask for confirmation on a non-local network.")
@click.option(
    "--replace",
    is_flag=True,
    help="Local network: replace an artifact of another chain id (kept as <name>.chain-<id>.json).",
)
@clean_errors
def cli(ecosystem, network, account, yes, replace):  # type: ignore[no-untyped-def]
    sender = pick_sender(account, network, yes, action="deploy coinpos")
    choice = f"{ecosystem.name}:{network.name}"
    artifact = deployments.artifact_path(ecosystem.name, network.name)
    console.rule(f"deploy to {choice} (chain id {chain.chain_id}) from {sender.address}")
    deployment = deploy_all(
        project,
        chain,
        sender,
        load_params(choice),
        artifact,
        test_accounts=accounts.test_accounts,
        log=console.print,
        replace=replace,
    )
    print_deployment(deployment, artifact)
