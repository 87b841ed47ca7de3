"""Every `--json` command that needs a chain, run as a separate `coinpos` process against an
anvil started apart (so ape connects by itself and would announce it): the whole of stdout
goes through `json.loads`. The offline ones are in tests/offchain/cli/test_json_output.py,
which also checks that the two lists together cover every `--json` command.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select
from web3 import HTTPProvider, Web3

from coinpos import deployments
from coinpos.chainops.escrow import abi_of
from coinpos.db.models import TransactionLogEntry
from coinpos.deployments import DeployedContract, Deployment
from coinpos.stores.service import add_coin
from coinpos.unit_of_work import UnitOfWork
from tests.chainops.test_cli_own_anvil import (  # noqa: F401
    SRC,
    _deploy_escrow,
    _free_port,
    _operator_key,
    node,
)
from tests.offchain.cli.test_json_output import ON_CHAIN
from tests.offchain.factories import make_store


@contextmanager
def _anvil(chain_id: int) -> Iterator[tuple[str, Web3]]:
    port = _free_port()
    process = subprocess.Popen(
        ["anvil", "--port", str(port), "--chain-id", str(chain_id), "--silent"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    w3 = Web3(HTTPProvider(url))
    try:
        for _ in range(200):
            if w3.is_connected():
                break
            time.sleep(0.05)
        yield url, w3
    finally:
        process.terminate()
        process.wait(timeout=10)


def _deploy_geo(w3: Web3, project: Any) -> str:
    contract_type = project.GeoRewards.contract_type
    factory = w3.eth.contract(
        abi=abi_of(contract_type), bytecode=contract_type.deployment_bytecode.bytecode
    )
    tx = factory.constructor(w3.eth.accounts[0]).transact({"from": w3.eth.accounts[0]})
    return str(w3.eth.wait_for_transaction_receipt(tx)["contractAddress"])


def _deploy_token(w3: Web3, project: Any, holder: str) -> Any:
    contract_type = project.TestToken.contract_type
    factory = w3.eth.contract(
        abi=abi_of(contract_type), bytecode=contract_type.deployment_bytecode.bytecode
    )
    tx = factory.constructor("Other", "OTH").transact({"from": w3.eth.accounts[0]})
    address = w3.eth.wait_for_transaction_receipt(tx)["contractAddress"]
    token = w3.eth.contract(address=address, abi=abi_of(contract_type))
    w3.eth.wait_for_transaction_receipt(
        token.functions.mint(holder, 100).transact({"from": w3.eth.accounts[0]})
    )
    return token


def _deposit(engine: Engine, invoice_hash: str) -> str:
    from coinpos.db.models import Invoice

    with UnitOfWork(engine) as uow:
        found = uow.session.scalars(
            select(Invoice).where(Invoice.invoice_hash == invoice_hash)
        ).one()
        assert found.deposit_address is not None
        return found.deposit_address


def _sent(engine: Engine, key: str) -> bool:
    """Whether the request `key` is logged with its transaction hash."""
    with UnitOfWork(engine) as uow:
        entry = uow.session.scalars(
            select(TransactionLogEntry).where(TransactionLogEntry.idempotency_key == key)
        ).one_or_none()
        return entry is not None and entry.tx_hash is not None


def test_json_output__chain_commands__stdout_parses_whole(
    node: tuple[str, Web3],  # noqa: F811
    project: Any,
    engine: Engine,
    db_url: str,
    tmp_path: Path,
) -> None:
    url, w3 = node
    network = ("--network", f"ethereum:local:{url}")
    directory = tmp_path / "deployments"
    deployment = Deployment("ethereum", "local", 31337)
    deployment.contracts["PaymentEscrow"] = DeployedContract(_deploy_escrow(w3, project), 0, "0x")
    deployments.save(deployment, deployments.artifact_path("ethereum", "local", directory))
    store = make_store(engine)
    with UnitOfWork(engine) as uow:
        add_coin(uow, "ETH", 31337, 18, None)
    env = {
        **os.environ,
        "PYTHONPATH": SRC,
        "COINPOS_DEPLOYMENTS_DIR": str(directory),
        "COINPOS_OPERATOR_KEY": _operator_key(),
    }
    command = [sys.executable, "-c", "from coinpos.cli import main; main()", "--db", db_url]
    ran: set[str] = set()
    customer = w3.eth.accounts[5]

    def coinpos(*args: str) -> Any:
        done = subprocess.run(
            [*command, *args, "--json"], env=env, capture_output=True, text=True, timeout=120
        )
        assert done.returncode == 0, f"{args}: {done.stdout}\n{done.stderr}"
        ran.add(" ".join(a for a in args[:2] if not a.startswith(("-", "0x"))))
        return json.loads(done.stdout)

    def invoice() -> str:
        """An ETH invoice, paid to its deposit address with a plain transfer."""
        created = coinpos(
            "invoices", "create", store.store_id, "ETH", "--amount", "0.01", *network,
            "--out", str(tmp_path / "qr"),
        )  # fmt: skip
        w3.eth.wait_for_transaction_receipt(
            w3.eth.send_transaction(
                {"from": customer, "to": created["deposit_address"], "value": 10**16}
            )
        )
        return str(created["invoice_hash"])

    captured, voided, stuck = invoice(), invoice(), invoice()
    coinpos("track", "--rpc", url, "--network", "ethereum:local")
    swept = coinpos("ops", "sweep", "--all", "--key", "sweep-1", *network)
    assert len(swept["deposits"]) == 3 and swept["skipped"] == []
    coinpos("ops", "capture-many", captured, "--key", "batch-1", *network)
    # A refund comes out of the store's confirmed balance: the tracker confirms the capture.
    w3.provider.make_request("anvil_mine", [12])  # type: ignore[arg-type]
    coinpos("track", "--rpc", url, "--network", "ethereum:local")
    coinpos("ops", "refund", captured, "--amount", "0.001", "--key", "refund-1", *network)
    coinpos("ops", "void", voided, *network)
    # Another ERC-20 sent to an ETH invoice's deposit address goes back to its sender.
    token = _deploy_token(w3, project, customer)
    sent = w3.eth.wait_for_transaction_receipt(
        token.functions.transfer(w3.to_checksum_address(_deposit(engine, voided)), 5).transact(
            {"from": customer}
        )
    )
    transfer = (
        f"{customer}:5:0x{bytes(sent['transactionHash']).hex()}:{sent['logs'][0]['logIndex']}"
    )
    recovered = coinpos(
        "ops", "recover", voided, token.address, "--transfer", transfer, "--key", "rec-1",
        *network,
    )  # fmt: skip
    assert recovered["status"] == "pending" and token.functions.balanceOf(customer).call() == 100

    # A capture left in the mempool (automine off), replaced with higher fees, then mined.
    w3.provider.make_request("evm_setAutomine", [False])  # type: ignore[arg-type]
    waiting = subprocess.Popen(
        [*command, "ops", "capture", stuck, *network], env=env,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        for _ in range(1200):
            if _sent(engine, f"capture:{stuck}"):
                break
            time.sleep(0.1)
        bumped = coinpos("ops", "bump", f"capture:{stuck}", *network)
        assert bumped["sent_now"].startswith("0x")
    finally:
        waiting.terminate()
        waiting.wait(timeout=30)
        w3.provider.make_request("evm_setAutomine", [True])  # type: ignore[arg-type]
    for _ in range(3):
        w3.provider.make_request("evm_mine", [])  # type: ignore[arg-type]
    again = coinpos("ops", "capture", stuck, *network)
    assert again["tx_hash"] == bumped["tx_hash"]

    tracked = coinpos("track", "--rpc", url, "--network", "ethereum:local")
    assert isinstance(tracked, dict)
    # The ledger against the escrow's pools (exit 0: every figure agrees).
    pools = coinpos("reconcile", "--rpc", url, "--network", "ethereum:local")
    assert pools and all(line["difference"] == 0 for line in pools)
    assert coinpos("settle", "send", *network) == []

    # The mining commands take the chain id ape reports, which for `ethereum:local:<uri>` is
    # 1337 whatever the node says: they get a node of that chain id.
    with _anvil(1337) as (geo_url, geo_w3):
        geo_dir = tmp_path / "geo-deployments"
        geo_deployment = Deployment("ethereum", "local", 1337)
        geo_deployment.contracts["GeoRewards"] = DeployedContract(
            _deploy_geo(geo_w3, project), 0, "0x"
        )
        deployments.save(geo_deployment, deployments.artifact_path("ethereum", "local", geo_dir))
        geo = ("--network", f"ethereum:local:{geo_url}", "--deployments", str(geo_dir))
        assert coinpos("mining", "campaigns", *geo) == []
        rewards = coinpos("mining", "rewards", *geo, "--db", db_url, customer)
        assert rewards == {"paid": [], "claims": []}
    assert ran == ON_CHAIN
