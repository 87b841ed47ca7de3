"""The CLI as separate processes against an anvil started apart from ape's test chain,
reached as `ethereum:local:<uri>`: issue an ETH invoice, pay its deposit address with a
plain transfer, sweep and capture it twice, once on chain."""

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
from sqlalchemy import Engine
from web3 import HTTPProvider, Web3

from coinpos import deployments
from coinpos.chainops.escrow import abi_of
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
        "ethereum:local",
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
    sweep = (
        "ops",
        "sweep",
        f"{invoice['invoice_hash']}={customer}",
        "--key",
        "sweep-1",
        "--capture-fee-bps",
        "0",
        "--network",
        f"ethereum:local:{url}",
        "--json",
    )
    first = coinpos(*sweep)
    second = coinpos(*sweep)
    assert first["tx_hash"] == second["tx_hash"] and second["sent_now"].startswith("(nothing")
    escrow = w3.eth.contract(
        address=escrow_address, abi=abi_of(project.PaymentEscrow.contract_type)
    )
    assert escrow.functions.storeBalance(bytes.fromhex(store.store_id[2:]), ZERO).call() == 10**16
    assert w3.eth.get_transaction_count(w3.eth.accounts[1]) == 1
