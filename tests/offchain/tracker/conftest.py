"""A fresh anvil per test, a token and an escrow (v2) on it, and invoices in the database
whose deposit addresses the escrow computed.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from eth_abi.abi import encode
from eth_utils.crypto import keccak
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from coinpos.db.models import (
    Invoice,
    Store,
    StoreBalance,
    TransactionLogEntry,
    TxKind,
    TxStatus,
    ValidTransaction,
)
from coinpos.ledger import log_request
from coinpos.stores.service import add_coin
from coinpos.tracker.chain import ChainReader
from coinpos.tracker.config import ConfirmationRule, TrackerConfig
from coinpos.tracker.revert import ErrorDecoder
from coinpos.tracker.rpc import JsonRpcClient
from coinpos.tracker.service import Tracker
from coinpos.unit_of_work import UnitOfWork
from tests.offchain.factories import make_store
from tests.offchain.tracker.anvil import Anvil, contract_type

UNIT = 10**18
ZERO = "0x" + "00" * 20
# IDepositSweeper.Transfer.logIndex of a plain ETH transaction (it has no log).
NO_LOG = 2**32 - 1


@pytest.fixture
def anvil(tmp_path: Path) -> Iterator[Anvil]:
    node = Anvil(state=tmp_path / "anvil-state.json")
    try:
        yield node
    finally:
        node.stop()


@dataclass
class Shop:
    anvil: Anvil
    engine: Engine
    store: Store
    token: Any
    escrow: Any
    coin_id: int
    eth_coin_id: int
    payer: str
    operator: str
    terms: dict[int, tuple[Any, ...]] = field(default_factory=dict)
    # Every ERC-20 of the shop by its coin id; `token` is the first.
    tokens: dict[int, Any] = field(default_factory=dict)
    # The transfers paid to each invoice's deposit address, as a sweep attests them
    # (sender, amount, txHash, logIndex); a sweep takes them.
    transfers: dict[int, list[tuple[str, int, bytes, int]]] = field(default_factory=dict)

    def add_token(self, symbol: str) -> int:
        """Another ERC-20, allowed by the escrow and minted to the payer; its coin id."""
        admin = self.anvil.accounts[0]
        token = self.anvil.deploy("TestToken", f"{symbol} Coin", symbol)
        token.functions.mint(self.payer, 10**9 * UNIT).transact({"from": admin})
        self.escrow.functions.setTokenAllowed(token.address, True).transact({"from": admin})
        with UnitOfWork(self.engine) as uow:
            coin = add_coin(uow, symbol, 31337, 18, token.address)
        self.tokens[coin.id] = token
        return coin.id

    def invoice(
        self,
        amount: int,
        *,
        eth: bool = False,
        pay_deadline: datetime | None = None,
        coin_id: int | None = None,
        fee_bps: int = 0,
        payer: str | None = None,
    ) -> Invoice:
        """An invoice in the database whose deposit address is the escrow's for its terms."""
        now = datetime.now(UTC)
        deadline = pay_deadline or now + timedelta(minutes=15)
        coin_id = self.eth_coin_id if eth else (coin_id or self.coin_id)
        salt = secrets.token_bytes(32)
        store = bytes.fromhex(self.store.store_id[2:])
        terms = (
            keccak(encode(["bytes32", "bytes32"], [store, salt])),
            ZERO if eth else self.tokens[coin_id].address,
            amount,
            payer or ZERO,
            int(deadline.timestamp()),
            int((deadline + timedelta(days=1)).timestamp()),
            int((deadline + timedelta(days=7)).timestamp()),
        )
        invoice_hash = "0x" + self.escrow.functions.invoiceHash(terms).call().hex()
        deposit = self.escrow.functions.depositAddress(terms).call()
        with UnitOfWork(self.engine) as uow:
            invoice = Invoice(
                invoice_hash=invoice_hash,
                store_id=self.store.store_id,
                coin_id=coin_id,
                amount=amount,
                payer=payer,
                pay_deadline=deadline,
                authorization_expiry=deadline + timedelta(days=1),
                refund_deadline=deadline + timedelta(days=7),
                fee_bps=fee_bps,
                salt="0x" + salt.hex(),
                deposit_address=deposit,
                payment_uri=f"ethereum:{deposit}",
                created_at=now,
            )
            uow.session.add(invoice)
            uow.commit()
        self.terms[invoice.id] = terms
        return invoice

    def pay(self, invoice: Invoice, amount: int, sender: str | None = None) -> str:
        """A plain transfer to the invoice's deposit address, as any wallet would make."""
        assert invoice.deposit_address is not None
        sender = sender or self.payer
        if invoice.coin_id == self.eth_coin_id:
            tx = self.anvil.w3.eth.send_transaction(
                {"from": sender, "to": invoice.deposit_address, "value": amount}
            )
            log_index = NO_LOG
        else:
            token = self.tokens[invoice.coin_id]
            tx = token.functions.transfer(invoice.deposit_address, amount).transact(
                {"from": sender}
            )
            receipt = self.anvil.w3.eth.wait_for_transaction_receipt(tx)
            log_index = int(receipt["logs"][0]["logIndex"])
        self.transfers.setdefault(invoice.id, []).append((sender, amount, bytes(tx), log_index))
        return "0x" + bytes(tx).hex()

    def deposit(self, invoice: Invoice, capture: bool = False) -> tuple[Any, ...]:
        """The invoice's IDepositSweeper.Deposit: every transfer paid to it since its last sweep."""
        transfers = self.transfers.pop(invoice.id, [])
        return (self.terms[invoice.id], transfers, [], capture)

    def sweep(self, *invoices: Invoice, capture: bool = False) -> str:
        """The operator sweeps the deposits (capturing them in the sweep with `capture`)."""
        tx = self.escrow.functions.sweep([self.deposit(i, capture) for i in invoices]).transact(
            {"from": self.operator}
        )
        return "0x" + bytes(tx).hex()

    def sweep_and_capture(self, invoice: Invoice) -> str:
        """The operator sweeps the deposit and captures it in the same call."""
        return self.sweep(invoice, capture=True)

    def pool(self, token: Any = None) -> tuple[int, int, int, int]:
        """The escrow's (held, captured, fees, owed) of a token (default: the shop's first)."""
        address = ZERO if token == ZERO else (token or self.token).address
        return tuple(self.escrow.functions.pool(address).call())  # type: ignore[return-value]

    def log_capture(self, invoice: Invoice, tx_hash: str | None, key: str = "capture") -> None:
        """The exchange's own capture, logged as the sender would: pending, with its hash."""
        with UnitOfWork(self.engine) as uow:
            entry = log_request(
                uow.session, f"{key}:{invoice.id}", TxKind.CAPTURE,
                store_id=self.store.store_id, coin_id=invoice.coin_id, amount=invoice.amount,
                reference=invoice.invoice_hash, chain_id=31337,
            )  # fmt: skip
            entry.invoice_id = invoice.id
            entry.tx_hash = tx_hash
            uow.commit()

    def captured(self) -> int:
        with Session(self.engine) as session:
            return sum(session.scalars(select(StoreBalance.captured)))

    def captured_on_chain(self) -> int:
        """The escrow's captured pool of the shop's token (gross: before the exchange's fee)."""
        return self.pool()[1]

    def tracker(
        self, depth: int = 2, engine: Engine | None = None, url: str | None = None, **config: Any
    ) -> Tracker:
        rpc = JsonRpcClient(url or self.anvil.url)
        return Tracker(
            engine or self.engine,
            ChainReader(rpc),
            TrackerConfig(escrow=self.escrow.address, rule=ConfirmationRule(depth=depth), **config),
            ErrorDecoder([contract_type("PaymentEscrow")["abi"]]),
        )

    # -- what the database says ----------------------------------------------------

    def entries(self, status: TxStatus | None = None) -> list[TransactionLogEntry]:
        query = select(TransactionLogEntry).order_by(TransactionLogEntry.id)
        if status is not None:
            query = query.where(TransactionLogEntry.status == status)
        with Session(self.engine) as session:
            return list(session.scalars(query))

    def valid_total(self, invoice: Invoice) -> int:
        """What the confirmed payments of the invoice add up to (deposits and direct pays)."""
        with UnitOfWork(self.engine) as uow:
            rows = uow.session.scalars(
                select(ValidTransaction.amount)
                .join(TransactionLogEntry, TransactionLogEntry.id == ValidTransaction.log_entry_id)
                .where(
                    TransactionLogEntry.invoice_id == invoice.id,
                    ValidTransaction.kind == TxKind.PAYMENT,
                )
            )
            return sum(rows)

    def reload(self, invoice: Invoice) -> Invoice:
        with Session(self.engine) as session:
            found = session.get(Invoice, invoice.id)
            assert found is not None
            return found

    def on_chain(self, invoice: Invoice) -> int:
        assert invoice.deposit_address is not None
        if invoice.coin_id == self.eth_coin_id:
            return int(self.anvil.w3.eth.get_balance(invoice.deposit_address))
        token = self.tokens[invoice.coin_id]
        return int(token.functions.balanceOf(invoice.deposit_address).call())


@pytest.fixture
def make_shop(engine: Engine) -> Callable[[Anvil], Shop]:
    def make(node: Anvil) -> Shop:
        admin, operator, payer = node.accounts[0], node.accounts[1], node.accounts[2]
        token = node.deploy("TestToken", "Test Coin", "TST")
        token.functions.mint(payer, 10**9 * UNIT).transact({"from": admin})
        escrow = node.deploy("PaymentEscrow", admin, node.accounts[3])
        role = escrow.functions.OPERATOR_ROLE().call()
        escrow.functions.grantRole(role, operator).transact({"from": admin})
        for allowed in (token.address, ZERO):
            escrow.functions.setTokenAllowed(allowed, True).transact({"from": admin})
        store = make_store(engine)
        with UnitOfWork(engine) as uow:
            coin = add_coin(uow, "TST", 31337, 18, token.address)
        with UnitOfWork(engine) as uow:
            eth = add_coin(uow, "ETH", 31337, 18, None)
        shop = Shop(node, engine, store, token, escrow, coin.id, eth.id, payer, operator)
        shop.tokens[coin.id] = token
        return shop

    return make


@pytest.fixture
def shop(anvil: Anvil, make_shop: Callable[[Anvil], Shop]) -> Shop:
    return make_shop(anvil)
