"""Reaching the escrow from the CLI: the network through ape, addresses from the artifact.

`--network` takes ape's `ecosystem:network[:provider]` choice. The deployment artifact of
`ecosystem-network` names the escrow; ape's compiled project gives its ABI and the deposit
forwarder's code. Every command that signs or sends goes through `connect`, which refuses
an artifact recorded for another chain id than the node's (`deployments.check_chain`):
even an invoice, signed without sending anything, is signed only for the chain it is on.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from coinpos import deployments
from coinpos.chainops.escrow import Escrow, abi_of, forwarder_code
from coinpos.chainops.keys import OperatorKey, load_operator_key
from coinpos.chainops.sender import TransactionSender
from coinpos.errors import CoinposError
from coinpos.invoices.service import Issuer
from coinpos.invoices.terms import EscrowDomain

ESCROW = "PaymentEscrow"


class NetworkError(CoinposError):
    """A network choice that cannot be used."""


def split_network(choice: str) -> tuple[str, str]:
    parts = choice.split(":")
    if len(parts) < 2 or not all(parts[:2]):
        raise NetworkError(f"network {choice!r} is not ecosystem:network[:provider]")
    return parts[0], parts[1]


def load_deployment(choice: str) -> deployments.Deployment:
    ecosystem, network = split_network(choice)
    return deployments.load(deployments.artifact_path(ecosystem, network))


def _project() -> Any:
    from ape import project

    return project


def is_local(choice: str) -> bool:
    """The choice names ape's local network (a throw-away anvil or one run by hand)."""
    return split_network(choice)[1] == "local"


def issuer_for(connection: Connection, qr_dir: Path = Path("out") / "invoices") -> Issuer:
    """Signs invoices for the connected chain's escrow (already checked against the node)."""
    domain = EscrowDomain(connection.deployment.chain_id, connection.escrow.address)
    return Issuer(domain, forwarder_code(_project()), connection.key, qr_dir)


@dataclass
class Connection:
    deployment: deployments.Deployment
    escrow: Escrow
    key: OperatorKey

    @property
    def sender(self) -> TransactionSender:
        return TransactionSender(self.escrow, self.key)


def _active_provider(choice: str) -> Any:
    """ape's connected provider when it is the network chosen (a script, a test session)."""
    from ape import networks

    provider = networks.active_provider
    if provider is None or not provider.is_connected:
        return None
    parts = choice.split(":")
    connected = [provider.network.ecosystem.name, provider.network.name, provider.name]
    return provider if parts == connected[: len(parts)] else None


@contextmanager
def connect(choice: str, operator_alias: str | None) -> Iterator[Connection]:
    """Connects through ape (re-using its connection to that network if open), finds the escrow."""
    deployment = load_deployment(choice)
    key = load_operator_key(operator_alias, local=is_local(choice))
    provider = _active_provider(choice)
    if provider is not None:
        yield _connection(provider, choice, deployment, key)
        return
    from ape import networks
    from ape.exceptions import ApeException
    from ape.logging import LogLevel, logger

    try:
        context = networks.parse_network_choice(choice)
        # ape announces the connection on stdout, which belongs to the command's output.
        with logger.at_level(LogLevel.WARNING):
            provider = context.__enter__()
    except ApeException as exc:
        raise NetworkError(f"cannot connect to {choice}: {exc}") from None
    try:
        yield _connection(provider, choice, deployment, key)
    finally:
        context.__exit__(None, None, None)


def _connection(
    provider: Any, choice: str, deployment: deployments.Deployment, key: OperatorKey
) -> Connection:
    deployments.check_chain(deployment, int(provider.web3.eth.chain_id))
    address = deployment.address(ESCROW)
    if not provider.get_code(address):
        raise NetworkError(f"no escrow code at {address} on {choice}: deploy, or fix the artifact")
    record = deployment.contracts.get(ESCROW)
    escrow = Escrow(
        provider.web3,
        address,
        abi_of(_project().PaymentEscrow.contract_type),
        from_block=record.block if record else 0,
    )
    return Connection(deployment, escrow, key)
