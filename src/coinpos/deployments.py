"""Deployment artifacts: ``deployments/<ecosystem>-<network>.json``.

One file per network records the chain id and, per contract, its address, the block it
was deployed in and the deployment transaction hash. The deploy script writes it; the
off-chain module reads contract addresses from it. `make demo` writes an artifact of its own
(`<ecosystem>-<network>-demo.json`), so it never replaces the one of a local chain you run
yourself.

Every command that signs or sends meets the node through `check_chain`: an artifact
written for another chain id is refused before anything is signed, written or sent.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from coinpos.errors import DeploymentError

DEFAULT_DIR = Path("deployments")
DEMO_SUFFIX = "-demo"


class ChainMismatchError(DeploymentError):
    """An artifact recorded for another chain than the connected node's."""


@dataclass(frozen=True)
class DeployedContract:
    address: str
    block: int
    tx_hash: str


@dataclass
class Deployment:
    ecosystem: str
    network: str
    chain_id: int
    contracts: dict[str, DeployedContract] = field(default_factory=dict)
    # Contracts used but not deployed by coinpos (for example a Chainlink feed): name -> address.
    external: dict[str, str] = field(default_factory=dict)

    def address(self, name: str) -> str:
        if name in self.contracts:
            return self.contracts[name].address
        try:
            return self.external[name]
        except KeyError:
            known = ", ".join(sorted([*self.contracts, *self.external])) or "none"
            raise DeploymentError(
                f"{name} is not deployed on {self.ecosystem}:{self.network} (deployed: {known})"
            ) from None

    def to_json(self) -> dict[str, Any]:
        return {
            "ecosystem": self.ecosystem,
            "network": self.network,
            "chain_id": self.chain_id,
            "contracts": {name: asdict(c) for name, c in sorted(self.contracts.items())},
            "external": dict(sorted(self.external.items())),
        }


def artifact_path(ecosystem: str, network: str, directory: Path | None = None) -> Path:
    base = directory or Path(os.environ.get("COINPOS_DEPLOYMENTS_DIR", DEFAULT_DIR))
    return base / f"{ecosystem}-{network}.json"


def demo_artifact_path(ecosystem: str, network: str, directory: Path | None = None) -> Path:
    """The demo's own artifact, beside (never instead of) the network's."""
    return artifact_path(ecosystem, network + DEMO_SUFFIX, directory)


def check_chain(deployment: Deployment, chain_id: int) -> Deployment:
    """The deployment, if it was recorded for the chain the node serves; else refused.

    The one check between an artifact and a connected node: signing an invoice or sending a
    transaction with the addresses of another chain would act on contracts that are not
    there, or are someone else's.
    """
    if deployment.chain_id != chain_id:
        raise ChainMismatchError(
            f"the {deployment.ecosystem}:{deployment.network} artifact records chain id "
            f"{deployment.chain_id}, but the node has chain id {chain_id}: connect to the "
            "chain it was deployed on, or deploy to this one"
        )
    return deployment


def load(path: Path) -> Deployment:
    """Reads an artifact; raises DeploymentError if it is missing or malformed."""
    try:
        raw = json.loads(path.read_text())
        return Deployment(
            ecosystem=str(raw["ecosystem"]),
            network=str(raw["network"]),
            chain_id=int(raw["chain_id"]),
            contracts={
                name: DeployedContract(
                    address=str(c["address"]), block=int(c["block"]), tx_hash=str(c["tx_hash"])
                )
                for name, c in raw["contracts"].items()
            },
            external={str(k): str(v) for k, v in raw.get("external", {}).items()},
        )
    except FileNotFoundError:
        raise DeploymentError(f"no deployment artifact at {path}: run `ape run deploy`") from None
    except (ValueError, KeyError, TypeError) as exc:
        raise DeploymentError(f"malformed deployment artifact {path}: {exc}") from None


def save(deployment: Deployment, path: Path) -> None:
    """Writes the artifact atomically, so a crash never leaves half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(deployment.to_json(), indent=2) + "\n")
    tmp.replace(path)
