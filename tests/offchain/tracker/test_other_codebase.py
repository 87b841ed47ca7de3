"""Issue 9, section 3's failing example, through the CLI: a wallet from another codebase pays
deposit addresses, then `coinpos ops sweep --capture` captures inside the sweep. The store's
balance in the database is the captured amount less its fee, it settles, and `coinpos
reconcile` finds the ledger and the escrow's pools equal (exit 0); a payment the ledger never
saw makes it exit 1 and list the difference.

A failed capture (sent before the payment arrived) is retried under the same key.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from eth_abi.abi import encode
from eth_utils.crypto import keccak
from sqlalchemy import select

from coinpos import deployments
from coinpos.cli import cli
from coinpos.db.models import (
    FeeBalance,
    Invoice,
    Settlement,
    SettlementStatus,
    StoreBalance,
    TransactionAttempt,
    TxKind,
    TxStatus,
)
from coinpos.deployments import DeployedContract, Deployment
from coinpos.ledger import find_any
from coinpos.rates.service import set_rate
from coinpos.unit_of_work import UnitOfWork
from tests.chainops.conftest import (  # noqa: F401
    CHAIN_ID,
    Shop,
    chain_now,
    escrow,
    funded,
    issue,
    issuer,
    operator_key,
    shop,
    track,
)
from tests.contracts.escrow.conftest import deploy_escrow  # noqa: F401

NETWORK = "ethereum:local:foundry"
_TRANSFER = keccak(text="transfer(address,uint256)")[:4]


@pytest.fixture
def run(
    db_url: str, escrow: Any, operator: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,  # noqa: F811
) -> Callable[..., Result]:  # fmt: skip
    directory = tmp_path / "deployments"
    deployment = Deployment("ethereum", "local", CHAIN_ID)
    deployment.contracts["PaymentEscrow"] = DeployedContract(str(escrow.address), 0, "0x")
    deployments.save(deployment, deployments.artifact_path("ethereum", "local", directory))
    monkeypatch.setenv("COINPOS_DEPLOYMENTS_DIR", str(directory))
    monkeypatch.setenv("COINPOS_OPERATOR_KEY", operator.private_key)

    def invoke(*args: str) -> Result:
        return CliRunner().invoke(cli, ["--db", db_url, *args])

    return invoke


def _ok(result: Result) -> Any:
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def _raw_transfer(chain: Any, token: str, sender: str, to: str, amount: int) -> None:
    """An ERC-20 transfer as any wallet sends it: a bare eth_sendTransaction, no coinpos code."""
    data = "0x" + (_TRANSFER + encode(["address", "uint256"], [to, amount])).hex()
    w3 = chain.provider.web3
    tx = w3.eth.send_transaction({"from": sender, "to": token, "data": data})
    assert w3.eth.wait_for_transaction_receipt(tx)["status"] == 1


def _reconcile(run: Callable[..., Result], chain: Any, escrow: Any) -> Result:  # noqa: F811
    return run(
        "reconcile", "--rpc", str(chain.provider.uri), "--escrow", str(escrow.address), "--json"
    )


def test_wallet_from_another_codebase__sweep_capture__store_credited_less_fee__settles(
    run: Callable[..., Result],
    shop: Shop,  # noqa: F811
    issue: Callable[..., Any],  # noqa: F811
    escrow: Any,  # noqa: F811
    funded: Any,  # noqa: F811
    other_customer: Any,
    treasury: Any,
    chain: Any,
    track: Callable[[], Any],  # noqa: F811
) -> None:
    invoices = [issue(amount=1_089), issue(amount=1_222)]
    for invoice in invoices:
        _raw_transfer(
            chain, str(funded.address), other_customer.address, invoice.deposit_address,
            invoice.amount,
        )  # fmt: skip
    track()
    hashes = [i.invoice_hash for i in invoices]
    swept = _ok(run("ops", "sweep", *hashes, "--capture", "--key", "s1", "--network", NETWORK,
                    "--json"))  # fmt: skip
    assert swept["tx_hash"]
    chain.mine(2)
    track()

    assert escrow.pool(funded).captured == 2_311
    with UnitOfWork(shop.engine) as uow:
        balance = uow.session.scalars(select(StoreBalance)).one()
        fees = uow.session.get(FeeBalance, shop.cpw.id)
        # The store's 1 % fee, rounded down per capture: 10 of 1,089 and 12 of 1,222.
        assert (balance.captured, balance.available) == (2_311 - 22, 2_311 - 22)
        assert fees is not None and fees.accrued == 22
        set_rate(uow, "CPW", "KRW", Decimal("1000"))
    assert _ok(_reconcile(run, chain, escrow))[1]["difference"] == 0

    before = funded.balanceOf(treasury)
    requested = run(
        "settle", "request", shop.store.store_id, "CPW", "--all", "--key", "all", "--network",
        NETWORK, "--json",
    )  # fmt: skip
    assert requested.exit_code == 0, requested.output
    _ok(run("settle", "send", "--network", NETWORK, "--json"))
    chain.mine(2)
    track()

    assert funded.balanceOf(treasury) == before + 2_289
    assert escrow.pool(funded)[1:3] == (0, 22)  # captured pool empty, the fees pooled
    with UnitOfWork(shop.engine) as uow:
        balance = uow.session.scalars(select(StoreBalance)).one()
        assert (balance.settled, balance.reserved, balance.available) == (2_289, 0, 0)
        [settlement] = uow.session.scalars(select(Settlement)).all()
        assert settlement.status is SettlementStatus.SETTLED

    lines = _ok(_reconcile(run, chain, escrow))
    assert {(line["coin"], line["field"]) for line in lines} >= {("CPW", "captured")}
    assert all(line["difference"] == 0 for line in lines)


def test_reconcile__a_ledger_that_differs_from_the_pools__exit_1_and_listed(
    run: Callable[..., Result],
    shop: Shop,  # noqa: F811
    issue: Callable[..., Any],  # noqa: F811
    escrow: Any,  # noqa: F811
    funded: Any,  # noqa: F811
    customer: Any,
    chain: Any,
    track: Callable[[], Any],  # noqa: F811
) -> None:
    from coinpos.invoices.service import terms_of

    invoice = issue(amount=500)
    with UnitOfWork(shop.engine) as uow:
        row = uow.session.get(Invoice, invoice.id)
        assert row is not None
        terms, signature = terms_of(row, shop.cpw), row.operator_signature
    escrow.pay(terms.abi(), signature, sender=customer)
    chain.mine(2)
    track()
    agreed = _reconcile(run, chain, escrow)
    assert agreed.exit_code == 0, agreed.output
    held = [line for line in json.loads(agreed.output) if line["field"] == "held"]
    assert [(line["coin"], line["ledger"], line["chain"]) for line in held] == [
        ("CPW", 500, 500), ("ETH", 0, 0),
    ]  # fmt: skip

    # The positive control: a store credit the escrow never captured.
    with UnitOfWork(shop.engine) as uow:
        from coinpos.ledger import lock_balance

        lock_balance(uow.session, shop.store.store_id, shop.cpw.id).captured += 3
        uow.commit()
    result = _reconcile(run, chain, escrow)
    assert result.exit_code == 1, result.output
    [wrong] = [line for line in json.loads(result.output) if line["difference"] != 0]
    assert (wrong["coin"], wrong["field"], wrong["ledger"], wrong["chain"]) == (
        "CPW", "captured", 3, 0,
    )  # fmt: skip
    table = run("reconcile", "--rpc", str(chain.provider.uri), "--escrow", str(escrow.address))
    assert table.exit_code == 1 and "1 figure(s) differ" in table.output


def test_capture_sent_before_the_payment__fails__then_the_same_key_captures(
    run: Callable[..., Result],
    shop: Shop,  # noqa: F811
    issue: Callable[..., Any],  # noqa: F811
    escrow: Any,  # noqa: F811
    funded: Any,  # noqa: F811
    customer: Any,
    chain: Any,
    track: Callable[[], Any],  # noqa: F811
) -> None:
    from coinpos.invoices.service import terms_of

    invoice = issue(amount=700)
    key = f"capture:{invoice.invoice_hash}"
    with UnitOfWork(shop.engine) as uow:
        # The capture was sent before the payment arrived: its transaction reverted on chain.
        from coinpos.ledger import log_request

        entry = log_request(
            uow.session, key, TxKind.CAPTURE, store_id=shop.store.store_id,
            coin_id=shop.cpw.id, amount=700, reference=invoice.invoice_hash, chain_id=CHAIN_ID,
        )  # fmt: skip
        entry.invoice_id = invoice.id
        entry.status = TxStatus.FAILED
        entry.tx_hash = "0x" + "0e" * 32
        entry.failure_reason = "reverted with PaymentEscrowInvalidStatus(expected=1, found=0)"
        uow.commit()
        row = uow.session.get(Invoice, invoice.id)
        assert row is not None
        terms, signature = terms_of(row, shop.cpw), row.operator_signature
    escrow.pay(terms.abi(), signature, sender=customer)  # the cause is gone

    args = ("ops", "capture", invoice.invoice_hash, "--network", NETWORK, "--json")
    retried = _ok(run(*args))
    assert retried["status"] == "pending" and retried["tx_hash"] != "0x" + "0e" * 32
    assert escrow.pool(funded).captured == 700
    again = _ok(run(*args))  # pending now: the same key answers "already done"
    assert again["tx_hash"] == retried["tx_hash"]
    assert again["sent_now"].startswith("(nothing")

    chain.mine(2)
    track()
    with UnitOfWork(shop.engine) as uow:
        done = find_any(uow.session, key)
        assert done is not None and (done.status, done.attempts) == (TxStatus.CONFIRMED, 2)
        [attempt] = uow.session.scalars(select(TransactionAttempt)).all()
        assert attempt.tx_hash == "0x" + "0e" * 32 and "InvalidStatus" in (
            attempt.failure_reason or ""
        )
        assert uow.session.scalars(select(StoreBalance)).one().captured == 700 - 7
