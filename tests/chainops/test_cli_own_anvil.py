"""The CLI as separate processes against an anvil started apart from ape's test chain,
reached as `ethereum:local:<uri>`: issue an ETH invoice, pay its deposit address with a
plain transfer, track it, sweep (attesting the transfer) and capture it twice, once on chain;
and an artifact of another chain
id refused before anything is signed, written or sent."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from eth_account import Account
from sqlalchemy import Engine, func, select
from web3 import HTTPProvider, Web3

from coinpos import deployments
from coinpos.chainops.escrow import abi_of
from coinpos.db.models import Invoice, TransactionLogEntry
from coinpos.deployments import DeployedContract, Deployment
from coinpos.stores.service import add_coin
from coinpos.unit_of_work import UnitOfWork
from tests.offchain.factories import make_store

MNEMONIC = "test test test test test test test test test test test junk"
ZERO = "0x0000000000000000000000000000000000000000"
SRC = str(Path(__file__).resolve().parents[2] / "src")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def node() -> Iterator[tuple[str, Web3]]:
    port = _free_port()
    process = subprocess.Popen(
        ["anvil", "--port", str(port), "--silent"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    w3 = Web3(HTTPProvider(url))
    try:
        for _ in range(100):
            if w3.is_connected():
                break
            time.sleep(0.05)
        yield url, w3
    finally:
        process.terminate()
        process.wait(timeout=10)


def _operator_key() -> str:
    Account.enable_unaudited_hdwallet_features()
    account = Account.from_mnemonic(MNEMONIC, account_path="m/44'/60'/0'/0/1")
    return "0x" + bytes(account.key).hex()


def _deploy_escrow(w3: Web3, project: Any) -> str:
    admin, operator, treasury = w3.eth.accounts[0], w3.eth.accounts[1], w3.eth.accounts[4]
    contract_type = project.PaymentEscrow.contract_type
    factory = w3.eth.contract(
        abi=abi_of(contract_type), bytecode=contract_type.deployment_bytecode.bytecode
    )
    tx = factory.constructor(admin, treasury).transact({"from": admin})
    address = w3.eth.wait_for_transaction_receipt(tx)["contractAddress"]
    escrow = w3.eth.contract(address=address, abi=abi_of(contract_type))
    role = escrow.functions.OPERATOR_ROLE().call()
    escrow.functions.grantRole(role, operator).transact({"from": admin})
    escrow.functions.setTokenAllowed(ZERO, True).transact({"from": admin})
    return str(address)


def test_cli__own_anvil__invoice_paid_by_transfer__swept_and_captured_once(
    node: tuple[str, Web3], project: Any, engine: Engine, db_url: str, tmp_path: Path
) -> None:
    url, w3 = node
    escrow_address = _deploy_escrow(w3, project)
    directory = tmp_path / "deployments"
    deployment = Deployment("ethereum", "local", 31337)
    deployment.contracts["PaymentEscrow"] = DeployedContract(escrow_address, 0, "0x")
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

    def coinpos(*args: str) -> Any:
        done = subprocess.run(
            [sys.executable, "-c", "from coinpos.cli import main; main()", "--db", db_url, *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)

    invoice = coinpos(
        "invoices",
        "create",
        store.store_id,
        "ETH",
        "--amount",
        "0.01",
        "--network",
        f"ethereum:local:{url}",
        "--out",
        str(tmp_path / "qr"),
        "--json",
    )
    assert (
        invoice["payment_uri"]
        == f"ethereum:{invoice['deposit_address']}@31337?value=10000000000000000"
    )
    customer = w3.eth.accounts[5]
    w3.eth.wait_for_transaction_receipt(
        w3.eth.send_transaction(
            {"from": customer, "to": invoice["deposit_address"], "value": 10**16}
        )
    )
    coinpos("track", "--rpc", url, "--network", "ethereum:local", "--json")
    sweep = (
        "ops",
        "sweep",
        invoice["invoice_hash"],
        "--key",
        "sweep-1",
        "--capture",
        "--network",
        f"ethereum:local:{url}",
        "--json",
    )
    first = coinpos(*sweep)
    second = coinpos(*sweep)
    assert first["tx_hash"] == second["tx_hash"] and second["sent_now"].startswith("(nothing")
    assert [d["transfers"] for d in first["deposits"]] == [1] and first["skipped"] == []
    escrow = w3.eth.contract(
        address=escrow_address, abi=abi_of(project.PaymentEscrow.contract_type)
    )
    assert escrow.functions.pool(ZERO).call()[1] == 10**16  # captured, gross
    assert w3.eth.get_transaction_count(w3.eth.accounts[1]) == 1


def _count(engine: Engine, model: Any) -> int:
    with UnitOfWork(engine) as uow:
        return int(uow.session.scalar(select(func.count()).select_from(model)) or 0)


def test_cli__artifact_of_another_chain__signing_and_sending_refused__nothing_written_or_sent(
    node: tuple[str, Web3], project: Any, engine: Engine, db_url: str, tmp_path: Path
) -> None:
    url, w3 = node
    escrow_address = _deploy_escrow(w3, project)
    directory = tmp_path / "deployments"
    artifact = deployments.artifact_path("ethereum", "local", directory)
    deployment = Deployment("ethereum", "local", 31337)
    deployment.contracts["PaymentEscrow"] = DeployedContract(escrow_address, 0, "0x")
    deployments.save(deployment, artifact)
    store = make_store(engine)
    with UnitOfWork(engine) as uow:
        add_coin(uow, "ETH", 31337, 18, None)
    # No COINPOS_OPERATOR_KEY: on the local network the CLI signs with the local operator
    # test account, as the scripts do.
    env = {k: v for k, v in os.environ.items() if k != "COINPOS_OPERATOR_KEY"}
    env |= {"PYTHONPATH": SRC, "COINPOS_DEPLOYMENTS_DIR": str(directory)}
    network = f"ethereum:local:{url}"

    def coinpos(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-c", "from coinpos.cli import main; main()", "--db", db_url, *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )

    qr = tmp_path / "qr"
    create = ("invoices", "create", store.store_id, "ETH", "--amount", "0.01")
    made = coinpos(*create, "--network", network, "--out", str(qr), "--json")
    assert made.returncode == 0, made.stderr
    invoice = json.loads(made.stdout)
    customer = w3.eth.accounts[5]
    w3.eth.wait_for_transaction_receipt(
        w3.eth.send_transaction(
            {"from": customer, "to": invoice["deposit_address"], "value": 10**16}
        )
    )
    qr_files = sorted(qr.iterdir())
    operator = w3.eth.accounts[1]
    sweep = ("ops", "sweep", invoice["invoice_hash"], "--key", "sweep-1")

    # The same escrow recorded for chain 1337 (a self-run `anvil --chain-id 1337`), whose
    # ETH staff registered too: only the node's chain id can tell the two apart.
    deployments.save(Deployment("ethereum", "local", 1337, deployment.contracts), artifact)
    with UnitOfWork(engine) as uow:
        add_coin(uow, "ETH", 1337, 18, None)
    for args in (
        (*create, "--network", network, "--out", str(tmp_path / "qr-2")),  # signs
        (*sweep, "--network", network),  # sends
    ):
        refused = coinpos(*args)
        assert refused.returncode == 2, refused.stderr
        assert refused.stdout == ""
        [line] = refused.stderr.strip().splitlines()
        assert "records chain id 1337" in line and "node has chain id 31337" in line
    assert _count(engine, Invoice) == 1 and _count(engine, TransactionLogEntry) == 0
    assert sorted(qr.iterdir()) == qr_files and not (tmp_path / "qr-2").exists()
    assert w3.eth.get_transaction_count(operator) == 0
    assert w3.eth.get_balance(invoice["deposit_address"]) == 10**16

    # Control: the artifact of this chain, and the same sweep goes out (signed by the
    # default local operator).
    deployments.save(deployment, artifact)
    tracked = coinpos("track", "--rpc", url, "--network", "ethereum:local", "--json")
    assert tracked.returncode == 0, tracked.stderr
    swept = coinpos(*sweep, "--capture", "--network", network, "--json")
    assert swept.returncode == 0, swept.stderr
    assert w3.eth.get_transaction_count(operator) == 1
    assert w3.eth.get_balance(invoice["deposit_address"]) == 0
