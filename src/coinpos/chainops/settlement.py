"""The settlement executor over the escrow's `settle`, sent with the operator key.

Before sending it checks that the escrow's on-chain `storeBalance(storeId, token)` covers
the amount: when it does not, the database counts funds the chain does not hold (a capture
not mined, or reorganised away), and the settlement is refused as an unconfirmed balance.
It is idempotent by settlement reference: a reference the escrow already used is answered
with the transaction that used it, and nothing is sent.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from coinpos.chainops.escrow import Escrow, address_topic, bytes32_topic
from coinpos.chainops.sender import SendError, TransactionSender
from coinpos.db.models import Settlement, StoreBalance
from coinpos.invoices.terms import ZERO_ADDRESS
from coinpos.settlement.executor import ExecutorError
from coinpos.settlement.service import (
    SettlementRequest,
    UnconfirmedBalanceError,
    request_settlement,
)
from coinpos.stores.service import get_coin, get_store
from coinpos.unit_of_work import UnitOfWork


class UnconfirmedBalanceOnChainError(ExecutorError):
    """The escrow holds less for the store than the settlement asks."""


def check_store_balance(escrow: Escrow, store_id: str, token: str | None, amount: int) -> None:
    held = escrow.store_balance(bytes32_topic(store_id), token or ZERO_ADDRESS)
    if held < amount:
        raise UnconfirmedBalanceOnChainError(
            f"unconfirmed balance: the escrow holds {held} base units for store {store_id}, "
            f"the settlement asks {amount}; the database and the chain disagree"
        )


class EscrowSettlementExecutor:
    """`SettlementExecutor` for coinpos.settlement.service, backed by the deployed escrow."""

    def __init__(self, sender: TransactionSender) -> None:
        self.sender = sender
        self.escrow = sender.escrow

    def settle(self, store_id: str, token: str | None, amount: int, reference: str) -> str:
        token_address = token or ZERO_ADDRESS
        ref = bytes32_topic(reference)
        if self.escrow.is_reference_used(ref):
            done = self.escrow.event_tx_hashes(
                "StoreSettled", bytes32_topic(store_id), address_topic(token_address), ref
            )
            if not done:
                raise ExecutorError(f"reference {reference} was used for another store or coin")
            return done[0]
        check_store_balance(self.escrow, store_id, token, amount)
        try:
            return self.sender.transact(
                "settle", bytes32_topic(store_id), token_address, amount, ref
            )
        except SendError as exc:
            raise ExecutorError(str(exc)) from None


def settle_store(
    uow: UnitOfWork,
    request: SettlementRequest,
    executor: EscrowSettlementExecutor,
    now: datetime | None = None,
) -> Settlement:
    """A settlement checked against the chain first, then requested, logged and sent.

    Refused with UnconfirmedBalanceError, nothing written, when the database would settle
    funds the escrow does not hold for the store. Asking beyond the database's own balance
    is left to `request_settlement`, which refuses it as over-settlement.
    """
    store = get_store(uow, request.store_id)
    coin = get_coin(uow, request.coin, request.chain_id)
    balance = uow.session.scalars(
        select(StoreBalance).where(
            StoreBalance.store_id == store.store_id, StoreBalance.coin_id == coin.id
        )
    ).one_or_none()
    available = balance.available if balance else 0
    amount = available if request.amount is None else request.amount
    try:
        if amount <= available:
            check_store_balance(executor.escrow, store.store_id, coin.address, amount)
    except UnconfirmedBalanceOnChainError as exc:
        raise UnconfirmedBalanceError(str(exc)) from None
    finally:
        uow.rollback()
    return request_settlement(uow, request, executor, now)
