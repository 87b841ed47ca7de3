"""Deploys coinpos's contracts to the connected network and records them.

Used by `scripts/deploy.py` and the end-to-end tests. Every step is idempotent: a
contract already recorded in the network's artifact, with code at its address, is
re-used; role grants are skipped when the role is already held. The artifact is written
after every deployment, so an interrupted run resumes where it stopped.

An artifact recorded for another chain is never overwritten silently: its escrow may still
hold payments and store balances there. On a remote network that is refused outright; on
the local network it is refused unless `replace` is given (`ape run deploy --replace`),
which keeps the old artifact as `<name>.chain-<id>.json` and says so.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml
from eth_utils.address import is_address, to_checksum_address
from web3.exceptions import TransactionNotFound

from coinpos import deployments
from coinpos.deployments import DeployedContract, Deployment
from coinpos.errors import DeploymentError

PARAMS_PATH = Path("deployments") / "params.yaml"
ROLE_NAMES = ("operator", "minter", "oracle", "treasury")
ETH = "0x0000000000000000000000000000000000000000"


def load_params(network_choice: str, path: Path = PARAMS_PATH) -> dict[str, Any]:
    """The `default` section merged, key by key, with the `<ecosystem>:<network>` section."""
    raw = yaml.safe_load(path.read_text()) or {}
    return _merge(raw.get("default", {}), raw.get(network_choice, {}))


def _merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


@dataclass(frozen=True)
class RoleHolders:
    """The addresses holding the exchange's roles on this network."""

    admin: str
    operator: str
    minter: str
    oracle: str
    treasury: str


def resolve_roles(params: dict[str, Any], deployer: str, test_accounts: Any) -> RoleHolders:
    """Environment first (COINPOS_<ROLE>), then the params file, then the deployer."""
    resolved = {}
    for role in ROLE_NAMES:
        value = os.environ.get(f"COINPOS_{role.upper()}") or params.get("roles", {}).get(role)
        resolved[role] = _address_of(role, value, deployer, test_accounts)
    return RoleHolders(admin=deployer, **resolved)


def _address_of(role: str, value: Any, deployer: str, test_accounts: Any) -> str:
    if not value:
        return deployer
    text = str(value)
    if text.upper().startswith("TEST::"):
        return str(test_accounts[int(text[6:])].address)
    if not is_address(text):
        raise DeploymentError(f"the {role} address {text!r} is not a valid address")
    return to_checksum_address(text)


class Deployer:
    """Deploys or re-uses each contract on the connected network, recording it as it goes."""

    def __init__(
        self,
        project: Any,
        chain: Any,
        sender: Any,
        artifact: Path,
        log: Callable[[str], None] = print,
        replace: bool = False,
    ) -> None:
        self.project = project
        self.chain = chain
        self.sender = sender
        self.artifact = artifact
        self.log = log
        self.replace = replace
        network = chain.provider.network
        self.deployment = self._existing(network.ecosystem.name, network.name, network.is_local)

    def _existing(self, ecosystem: str, network: str, is_local: bool) -> Deployment:
        chain_id = int(self.chain.chain_id)
        fresh = Deployment(ecosystem=ecosystem, network=network, chain_id=chain_id)
        if not self.artifact.exists():
            return fresh
        recorded = deployments.load(self.artifact)
        if recorded.chain_id == chain_id:
            return recorded
        if is_local and not recorded.contracts:
            return fresh
        if is_local and self.replace:
            kept = self.artifact.with_name(f"{self.artifact.stem}.chain-{recorded.chain_id}.json")
            self.artifact.replace(kept)
            self.log(
                f"REPLACING {self.artifact}: it recorded chain {recorded.chain_id}, whose "
                f"contracts (and any balances they hold) stay on that chain; the old artifact "
                f"is kept as {kept}"
            )
            return fresh
        if is_local:
            escrow = recorded.contracts.get("PaymentEscrow")
            where = f" (PaymentEscrow at {escrow.address})" if escrow else ""
            raise DeploymentError(
                f"{self.artifact} records chain id {recorded.chain_id}{where}, the node has "
                f"chain id {chain_id}: its contracts may still hold balances there; connect to "
                "that chain, or pass --replace to keep the old artifact aside and deploy afresh"
            )
        raise DeploymentError(
            f"{self.artifact} records chain id {recorded.chain_id}, "
            f"but the connected network has chain id {chain_id}"
        )

    def has_code(self, address: str) -> bool:
        return len(self.chain.provider.get_code(address)) > 0

    def is_deployed(self, record: DeployedContract) -> bool:
        """Code is at the address, and the recorded transaction on this chain created it.

        The second condition matters on chains that restart from genesis: the same deployer
        nonce then puts some other contract at a recorded address.
        """
        if not self.has_code(record.address):
            return False
        try:
            receipt = self.chain.provider.web3.eth.get_transaction_receipt(record.tx_hash)
        except TransactionNotFound:
            return False
        created = receipt.get("contractAddress")
        return created is not None and to_checksum_address(created) == record.address

    def ensure(self, name: str, contract_type: Any, *args: Any) -> Any:
        """The contract recorded as `name` if it is still deployed, else a new deployment."""
        record = self.deployment.contracts.get(name)
        if record and self.is_deployed(record):
            self.log(f"{name}: re-used at {record.address} (code present)")
            return contract_type.at(record.address)
        if record:
            self.log(f"{name}: not deployed at recorded {record.address} on this chain; deploying")
        contract = self.sender.deploy(contract_type, *args)
        receipt = self.chain.get_receipt(contract.txn_hash)
        self.deployment.contracts[name] = DeployedContract(
            address=str(contract.address),
            block=int(receipt.block_number),
            tx_hash=str(receipt.txn_hash),
        )
        deployments.save(self.deployment, self.artifact)
        self.log(f"{name}: deployed at {contract.address} (block {receipt.block_number})")
        return contract

    def ensure_external(self, name: str, address: str) -> str:
        """Records a contract coinpos uses but does not deploy, after checking it has code."""
        if not is_address(address):
            raise DeploymentError(f"{name}: {address!r} is not a valid address")
        address = to_checksum_address(address)
        if not self.has_code(address):
            raise DeploymentError(f"{name}: no contract code at {address} on this network")
        self.deployment.external[name] = address
        deployments.save(self.deployment, self.artifact)
        self.log(f"{name}: external contract at {address}")
        return address

    def ensure_role(self, contract: Any, role_name: str, holder: str) -> None:
        role = getattr(contract, role_name)()
        if contract.hasRole(role, holder):
            return
        contract.grantRole(role, holder, sender=self.sender)
        self.log(f"{contract.contract_type.name}: granted {role_name} to {holder}")


def deploy_all(
    project: Any,
    chain: Any,
    sender: Any,
    params: dict[str, Any],
    artifact: Path,
    test_accounts: Any = (),
    log: Callable[[str], None] = print,
    replace: bool = False,
) -> Deployment:
    """Deploys (or re-uses) every coinpos contract and grants the exchange's roles."""
    deployer = Deployer(project, chain, sender, artifact, log, replace)
    roles = resolve_roles(params, str(sender.address), test_accounts)

    coin = params["emoney"]
    emoney = deployer.ensure(
        "EMoney", project.EMoney, coin["name"], coin["symbol"], int(coin["decimals"]), roles.admin
    )
    deployer.ensure_role(emoney, "MINTER_ROLE", roles.minter)
    deployer.ensure_role(emoney, "BURNER_ROLE", roles.minter)

    escrow = deployer.ensure("PaymentEscrow", project.PaymentEscrow, roles.admin, roles.treasury)
    deployer.ensure_role(escrow, "OPERATOR_ROLE", roles.operator)
    for token in (ETH, str(emoney.address)):
        if not escrow.isTokenAllowed(token):
            escrow.setTokenAllowed(token, True, sender=sender)
            log(f"PaymentEscrow: allowed {'ETH' if token == ETH else 'EMoney'} for invoices")

    deployer.ensure("WalletFactory", project.WalletFactory)

    geo = deployer.ensure("GeoRewards", project.GeoRewards, roles.admin)
    deployer.ensure_role(geo, "CAMPAIGN_MANAGER_ROLE", roles.operator)
    deployer.ensure_role(geo, "ORACLE_ROLE", roles.oracle)
    deployer.ensure_role(geo, "PAUSER_ROLE", roles.admin)

    for pair, feed in params.get("price_feeds", {}).items():
        name = f"PriceFeed:{pair}"
        if feed.get("address"):
            deployer.ensure_external(name, feed["address"])
            continue
        mock = feed["mock"]
        contract = deployer.ensure(
            name,
            project.MockPriceFeed,
            pair.replace("/", " / "),
            int(mock["decimals"]),
            roles.admin,
        )
        if contract.latestRound() == 0:
            answer = int(Decimal(str(mock["answer"])).scaleb(int(mock["decimals"])))
            contract.setAnswer(answer, 0, sender=sender)
            log(f"{name}: published {mock['answer']}")

    return deployer.deployment
