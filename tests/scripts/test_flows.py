"""Every flow script run for real, as `ape run <script> --network ethereum:devnet:node`, in
separate processes against a separately started anvil, with imported ape accounts: the
deployer holds every exchange role there, and `customer` pays.

One story, in order, checked on chain and in the database after each step; then bad input
to each script, which must exit with 2 and leave the chain and the database untouched.
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session
from web3.logs import DISCARD

from coinpos.chainops.escrow import abi_of
from coinpos.db.engine import make_engine
from coinpos.db.migrate import upgrade
from coinpos.db.models import (
    REQUEST_KINDS,
    CatalogueItem,
    FiatDeposit,
    FiatDepositStatus,
    Invoice,
    Settlement,
    Store,
    StoreBalance,
    Terminal,
    TransactionLogEntry,
    TxKind,
    TxStatus,
    Wallet,
)
from tests.e2e.devnet import DEPLOYER_ALIAS, Devnet, running_devnet

NETWORK = ("--network", "ethereum:devnet:node")
CUSTOMER_ALIAS = "customer"
ETH = "0x0000000000000000000000000000000000000000"
CATALOGUE = """
fiat: USD
terminals:
  - {code: POS-2, label: Terrace}
items:
  - {sku: LATTE, name: Latte, coin: CPE, price: "4.50", stock: 10}
  - {sku: CAKE, name: Cake, coin: CPE, price: "3.00", stock: 5}
"""


@dataclass
class Story:
    devnet: Devnet
    tmp: Path
    engine: Engine
    contracts: dict[str, Any]

    def script(
        self, name: str, *args: str, account: str = DEPLOYER_ALIAS
    ) -> subprocess.CompletedProcess[str]:
        return self.devnet.ape("run", name, *NETWORK, "--account", account, "--yes", *args)

    def ok(self, name: str, *args: str, account: str = DEPLOYER_ALIAS) -> str:
        done = self.script(name, *args, account=account)
        assert done.returncode == 0, f"{name}: {done.stdout}\n{done.stderr}"
        return done.stdout

    def coinpos(self, *args: str) -> str:
        done = self.devnet.run("coinpos", *args)
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout

    def contract(self, name: str) -> Any:
        return self.contracts[name]

    def count(self, model: Any) -> int:
        with Session(self.engine) as session:
            return int(session.scalar(select(func.count()).select_from(model)) or 0)


def printed(label: str, output: str) -> str:
    found = re.search(rf"{label}: (0x[0-9a-fA-F]+)", output)
    assert found, output
    return found.group(1)


@pytest.fixture(scope="module")
def story(tmp_path_factory: pytest.TempPathFactory, project: Any) -> Iterator[Story]:
    tmp = tmp_path_factory.mktemp("scripts")
    aliases = (DEPLOYER_ALIAS, CUSTOMER_ALIAS)
    with running_devnet(tmp, aliases=aliases, block_time="0.2") as devnet:
        deployed = devnet.ape("run", "deploy", *NETWORK, "--account", DEPLOYER_ALIAS, "--yes")
        assert deployed.returncode == 0, deployed.stdout + deployed.stderr
        from coinpos import deployments

        artifact = deployments.load(tmp / "deployments" / "ethereum-devnet.json")
        contracts = {
            name: devnet.web3.eth.contract(
                address=artifact.address(name),  # type: ignore[arg-type]
                abi=abi_of(getattr(project, name).contract_type),
            )
            for name in ("EMoney", "PaymentEscrow", "WalletFactory")
        }
        engine = make_engine(devnet.env["COINPOS_DATABASE_URL"])
        upgrade(engine)
        try:
            yield Story(devnet, tmp, engine, contracts)
        finally:
            engine.dispose()


def track(story: Story) -> None:
    """One tracker pass over the devnet, as `coinpos track` runs it (depth 1)."""
    story.coinpos(
        "track", "--rpc", story.devnet.url, "--network", "ethereum:devnet", "--confirmations", "1"
    )


def test_story__every_flow_script_on_a_remote_node(story: Story) -> None:
    web3 = story.devnet.web3
    customer = story.devnet.accounts[CUSTOMER_ALIAS]
    deployer = story.devnet.deployer
    emoney, escrow = story.contract("EMoney"), story.contract("PaymentEscrow")
    out = story.tmp / "out"

    story.coinpos(
        "customers", "register", "alice", "--name", "Alice", "--language", "en",
        "--country", "US", "--password", "correct horse battery",
    )  # fmt: skip

    # register_store: off chain only.
    catalogue = story.tmp / "catalogue.yaml"
    catalogue.write_text(CATALOGUE)
    nonce = web3.eth.get_transaction_count(deployer)  # type: ignore[arg-type]
    registered = story.devnet.ape(
        "run", "register_store", *NETWORK, "--name", "Corner Cafe",
        "--terminal", "POS-1=Counter", "--catalogue", str(catalogue),
    )  # fmt: skip
    assert registered.returncode == 0, registered.stdout + registered.stderr
    store_id = printed("store id", registered.stdout)
    assert web3.eth.get_transaction_count(deployer) == nonce  # type: ignore[arg-type]
    with Session(story.engine) as session:
        store = session.get(Store, store_id)
        assert store is not None and (store.name, store.fiat) == ("Corner Cafe", "USD")
        codes = session.scalars(select(Terminal.code).where(Terminal.store_id == store_id))
        assert sorted(codes) == ["POS-1", "POS-2"]
        prices = session.execute(select(CatalogueItem.sku, CatalogueItem.price)).tuples()
        assert sorted(prices) == [("CAKE", 300), ("LATTE", 450)]

    # buy_emoney: to the wallet's address, predicted (with its initial coins) before it exists.
    factory = story.contract("WalletFactory")
    wallet = factory.functions.predictAddress(customer, bytes(32), [ETH, emoney.address]).call()
    bought = story.ok(
        "buy_emoney", "--customer", "alice", "--to", wallet, "--amount", "100.00",
        "--bank-reference", "BANK-0001",
    )  # fmt: skip
    assert "gas used" in bought
    assert emoney.functions.balanceOf(wallet).call() == 10_000
    with Session(story.engine) as session:
        (deposit,) = session.scalars(select(FiatDeposit))
        assert deposit.status is FiatDepositStatus.MINTED
        assert (deposit.fiat, deposit.fiat_amount, deposit.amount) == ("USD", 100, 10_000)
        receipt = web3.eth.get_transaction_receipt(deposit.tx_hash)  # type: ignore[arg-type]
        (issued,) = emoney.events.Issued().process_receipt(receipt, errors=DISCARD)
        assert "0x" + issued["args"]["reference_"].hex() == deposit.mint_reference

    again = story.script(
        "buy_emoney", "--customer", "alice", "--to", wallet, "--amount", "100.00",
        "--bank-reference", "BANK-0001",
    )  # fmt: skip
    assert again.returncode == 2, again.stdout + again.stderr
    assert "already paid out" in again.stderr
    assert emoney.functions.balanceOf(wallet).call() == 10_000
    assert story.count(FiatDeposit) == 1

    # create_wallet: deployed at the predicted address, holding the e-money bought.
    created = story.ok(
        "create_wallet", "--coin", "ETH", "--coin", "CPE", "--customer", "alice",
        account=CUSTOMER_ALIAS,
    )  # fmt: skip
    assert printed("predicted wallet address", created) == wallet
    assert len(web3.eth.get_code(wallet)) > 0
    holdings = (
        story.devnet.web3.eth.contract(address=wallet, abi=[_HOLDINGS_ABI])
        .functions.holdings()
        .call()
    )
    assert [tuple(h) for h in holdings] == [(ETH, 0), (emoney.address, 10_000)]
    with Session(story.engine) as session:
        (recorded,) = session.scalars(select(Wallet))
        assert recorded.address == wallet

    # create_invoice (ETH), paid by a plain transfer to its deposit address.
    issued_eth = story.ok(
        "create_invoice", "--store", store_id, "--coin", "ETH", "--amount", "0.01",
        "--terminal", "POS-1", "--out", str(out),
    )  # fmt: skip
    first = printed("invoice", issued_eth)
    deposit_address = printed("deposit address", issued_eth)
    uri = (out / f"{first}.uri").read_text().strip()
    assert uri == f"ethereum:{deposit_address}@424242?value=10000000000000000"
    assert (out / f"{first}.png").stat().st_size > 0 and (out / f"{first}.svg").exists()

    with Session(story.engine) as session:
        row = session.scalars(select(Invoice).where(Invoice.invoice_hash == first)).one()
        assert (row.amount, row.deposit_address, row.payment_uri) == (10**16, deposit_address, uri)

    story.ok("pay", "--invoice", first, "--via", "deposit", account=CUSTOMER_ALIAS)
    assert web3.eth.get_balance(deposit_address) == 10**16

    # The sweep attests the transfer the tracker recorded (sender, amount, tx, log index).
    track(story)
    swept = story.ok("sweep", first, "--key", "sweep-1")
    assert "attested 1 transfer(s)" in swept
    assert web3.eth.get_balance(deposit_address) == 0
    assert escrow.functions.payment(first).call() == (customer, 10**16, 1)

    story.ok("capture", "--invoice", first)
    assert escrow.functions.pool(ETH).call()[1] == 10**16  # gross: no fee on chain
    assert escrow.functions.payment(first).call()[2] == 2
    nonce = web3.eth.get_transaction_count(deployer)  # type: ignore[arg-type]
    repeated = story.ok("capture", "--invoice", first)
    assert "nothing sent again" in repeated
    assert web3.eth.get_transaction_count(deployer) == nonce  # type: ignore[arg-type]
    track(story)
    credit = 10**16 - 10**14  # the store's 1 % fee, applied by the ledger
    with Session(story.engine) as session:
        (balance,) = session.scalars(select(StoreBalance))
        assert balance.captured == credit

    # create_invoice from the cart (CPE), paid through the escrow from the wallet.
    issued_cpe = story.ok(
        "create_invoice", "--store", store_id, "--coin", "CPE", "--item", "LATTE=2",
        "--out", str(out),
    )  # fmt: skip
    second = printed("invoice", issued_cpe)
    with Session(story.engine) as session:
        invoice = session.scalars(select(Invoice).where(Invoice.invoice_hash == second)).one()
        assert invoice.amount == 900
        latte = session.scalars(select(CatalogueItem).where(CatalogueItem.sku == "LATTE")).one()
        assert latte.stock == 8

    story.ok(
        "pay", "--invoice", second, "--via", "escrow", "--from-wallet", wallet,
        account=CUSTOMER_ALIAS,
    )  # fmt: skip
    assert escrow.functions.payment(second).call() == (wallet, 900, 1)
    assert emoney.functions.balanceOf(wallet).call() == 10_000 - 900
    assert emoney.functions.allowance(wallet, escrow.address).call() == 0

    # refund part of the first payment, then settle part of the rest.
    before = web3.eth.get_balance(customer)  # type: ignore[arg-type]
    story.ok("refund", "--invoice", first, "--amount", "0.004", "--key", "refund-1")
    assert web3.eth.get_balance(customer) == before + 4 * 10**15  # type: ignore[arg-type]
    assert escrow.functions.pool(ETH).call()[1] == 10**16 - 4 * 10**15
    track(story)

    story.coinpos("rates", "set", "ETH", "USD", "3000.00")
    story.ok(
        "settle", "--store", store_id, "--coin", "ETH", "--amount", "0.005",
        "--key", "settle-1", "--fee-bps", "100",
    )  # fmt: skip
    # One settle for the run: the payout and the store's accrued fee, out of the pool.
    assert escrow.functions.pool(ETH).call()[1:3] == [10**16 - 9 * 10**15 - 10**14, 10**14]
    with Session(story.engine) as session:
        (settlement,) = session.scalars(select(Settlement))
        assert (settlement.amount, settlement.gross_fiat, settlement.net_fiat) == (
            5 * 10**15,
            Decimal("15"),
            Decimal("14.85"),
        )
        assert settlement.batch is not None
        assert escrow.functions.isReferenceUsed(settlement.batch.reference).call()

    # void the second, held payment: the e-money goes back to the wallet.
    story.ok("void", "--invoice", second)
    assert escrow.functions.payment(second).call()[2] == 3
    assert emoney.functions.balanceOf(wallet).call() == 10_000
    with Session(story.engine) as session:
        kinds = session.execute(
            select(TransactionLogEntry.kind, TransactionLogEntry.status).where(
                TransactionLogEntry.kind.in_(REQUEST_KINDS)
            )
        ).tuples()
        found = sorted((k.value, s) for k, s in kinds)
    # Every request logged once (the settle twice: the request and its batch's call), none
    # failed; those the tracker has passed at depth are confirmed, the rest pending.
    assert [k for k, _ in found] == sorted(
        k.value for k in (TxKind.SWEEP, TxKind.CAPTURE, TxKind.REFUND, TxKind.SETTLE,
                          TxKind.SETTLE, TxKind.VOID)
    )  # fmt: skip
    assert {s for _, s in found} <= {TxStatus.PENDING, TxStatus.CONFIRMED}
    assert dict(found)[TxKind.CAPTURE.value] is TxStatus.CONFIRMED


_HOLDINGS_ABI = {
    "type": "function",
    "name": "holdings",
    "stateMutability": "view",
    "inputs": [],
    "outputs": [
        {
            "name": "",
            "type": "tuple[]",
            "components": [
                {"name": "coin", "type": "address"},
                {"name": "balance", "type": "uint256"},
            ],
        }
    ],
}

BAD_INPUT: list[tuple[str, tuple[str, ...], str]] = [
    ("buy_emoney", ("--customer", "alice", "--to", "0x1234", "--amount", "1",
                    "--bank-reference", "B-X"), "not a 0x-prefixed 20-byte hex address"),
    ("buy_emoney", ("--customer", "alice", "--to", ETH[:-1] + "1", "--amount", "-5",
                    "--bank-reference", "B-Y"), "is negative"),
    ("buy_emoney", ("--customer", "alice", "--to", ETH[:-1] + "1", "--amount", "5",
                    "--fiat", "EUR", "--bank-reference", "B-Z"), "pegged to USD"),
    ("buy_emoney", ("--customer", "alice", "--to", ETH[:-1] + "1", "--amount", "5.001",
                    "--bank-reference", "B-W"), "more than the coin's 2 decimal places"),
    ("create_wallet", ("--coin", "0xZZ"), "not a 0x-prefixed 20-byte hex address"),
    ("create_invoice", ("--store", "0x" + "ab" * 32, "--coin", "ETH", "--amount", "1"),
     "no store with id"),
    ("create_invoice", ("--store", "0x" + "ab" * 32, "--coin", "ETH", "--amount", "-1"),
     "is negative"),
    ("pay", ("--invoice", "0x" + "cd" * 32, "--via", "deposit"), "no invoice"),
    ("sweep", ("0x" + "cd" * 32 + "=" + ETH[:-1] + "1", "--key", "k"), "no invoice"),
    ("capture", ("--invoice", "999"), "no invoice 999"),
    ("void", ("--invoice", "not-an-invoice"), "neither a 0x hash nor a number"),
    ("refund", ("--invoice", "1", "--amount", "-1", "--key", "r"), "is negative"),
    ("settle", ("--store", "0x" + "ab" * 32, "--coin", "ETH", "--amount", "1", "--key", "s"),
     "no store with id"),
]  # fmt: skip


def test_bad_input__one_line_exit_2_nothing_written(story: Story) -> None:
    web3 = story.devnet.web3
    tables = (FiatDeposit, Store, Invoice, TransactionLogEntry, Settlement, Wallet)
    counts = {model: story.count(model) for model in tables}
    nonces = {a: web3.eth.get_transaction_count(a) for a in story.devnet.accounts.values()}  # type: ignore[arg-type]
    bad_store = story.tmp / "bad.yaml"
    bad_store.write_text(CATALOGUE.replace('"3.00"', '"-3.00"'))

    runs: list[tuple[str, str, Callable[[], subprocess.CompletedProcess[str]]]] = [
        (name, expected, lambda name=name, args=args: story.script(name, *args))  # type: ignore[misc]
        for name, args, expected in BAD_INPUT
    ]
    runs.append(
        (
            "register_store",
            "is negative",
            lambda: story.devnet.ape(
                "run", "register_store", *NETWORK, "--name", "Bad", "--catalogue", str(bad_store)
            ),
        )
    )
    with ThreadPoolExecutor(max_workers=3) as pool:
        results = list(pool.map(lambda run: run[2](), runs))
    for (name, expected, _), done in zip(runs, results, strict=True):
        assert done.returncode == 2, f"{name}: {done.stdout}\n{done.stderr}"
        (error,) = [line for line in done.stderr.splitlines() if "rror" in line]
        assert error.startswith("error: ") and expected in error, f"{name}: {done.stderr}"
        assert "Traceback" not in done.stderr and "Usage:" not in done.stderr, done.stderr

    # The devnet's artifact recorded for another chain: a sending script refuses it.
    from coinpos import deployments

    path = story.tmp / "deployments" / "ethereum-devnet.json"
    recorded = deployments.load(path)
    deployments.save(
        deployments.Deployment("ethereum", "devnet", 1337, recorded.contracts, recorded.external),
        path,
    )
    try:
        done = story.script("capture", "--invoice", "1")
    finally:
        deployments.save(recorded, path)
    assert done.returncode == 2, done.stdout + done.stderr
    (error,) = [line for line in done.stderr.splitlines() if "rror" in line]
    assert "records chain id 1337" in error and "node has chain id 424242" in error, error

    assert {model: story.count(model) for model in tables} == counts
    assert {a: web3.eth.get_transaction_count(a) for a in nonces} == nonces  # type: ignore[arg-type]
