"""The settlement executor over the escrow's `settle(token, payout, fees, reference)`, sent
with the operator key through the transaction sender (logged under the batch's key first).

Before sending it checks that the escrow's captured pool of the token covers `payout + fees`:
when it does not, the database counts funds the chain does not hold (a capture not mined, or
reorganised away), and the batch is refused as an unconfirmed balance (it stays requested).
It is idempotent by reference: a batch whose call already reached the chain is found by its
Settled event, and the escrow refuses a reference twice.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from coinpos.chainops.escrow import Escrow, address_topic, bytes32_topic
from coinpos.chainops.sender import ChainRequest, Effect, SendError, TransactionSender
from coinpos.db.models import (
    Coin,
    Settlement,
    SettlementBatch,
    SettlementStatus,
    StoreBalance,
    TxKind,
    TxStatus,
)
from coinpos.invoices.terms import ZERO_ADDRESS
from coinpos.settlement.executor import BatchCall, ExecutorError
from coinpos.settlement.service import (
    SettlementRequest,
    UnconfirmedBalanceError,
    request_settlement,
)
from coinpos.stores.service import get_coin
from coinpos.unit_of_work import UnitOfWork


class UnconfirmedBalanceOnChainError(ExecutorError):
    """The escrow's captured pool holds less of the token than the settlement asks."""


def check_captured_pool(escrow: Escrow, token: str | None, amount: int) -> None:
    captured = escrow.pool(token or ZERO_ADDRESS).captured
    if captured < amount:
        raise UnconfirmedBalanceOnChainError(
            f"unconfirmed balance: the escrow's captured pool holds {captured} base units of "
            f"{token or 'ETH'}, the settlement needs {amount}; the database and the chain disagree"
        )


class EscrowSettlementExecutor:
    """`SettlementExecutor` for coinpos.settlement.batches, backed by the deployed escrow."""

    def __init__(self, sender: TransactionSender) -> None:
        self.sender = sender
        self.escrow = sender.escrow

    def settle(self, uow: UnitOfWork, call: BatchCall) -> str:
        token = call.token or ZERO_ADDRESS
        reference = bytes32_topic(call.reference)
        if not self.escrow.is_reference_used(reference):
            check_captured_pool(self.escrow, call.token, call.payout + call.fees)
        request = ChainRequest(
            key=call.key,
            kind=TxKind.SETTLE,
            function="settle",
            args=(token, call.payout, call.fees, reference),
            coin_id=call.coin_id,
            amount=call.payout,
            reference=call.reference,
            effect=Effect("Settled", (address_topic(token), reference)),
        )
        # The batch's entry is logged already: submit finds it (and a call that reached the
        # chain, by its Settled event) before it sends anything.
        try:
            result = self.sender.submit(uow, request)
        except SendError as exc:
            raise ExecutorError(str(exc)) from None
        if result.status is TxStatus.FAILED:
            raise ExecutorError(result.failure_reason or "reverted", on_chain=True)
        if result.tx_hash is None:
            raise ExecutorError(result.failure_reason or "not sent")
        return result.tx_hash


def requested_total(uow: UnitOfWork, coin_id: int) -> int:
    """What is requested of the coin and not yet settled (in no batch, or in one not sent or
    not yet confirmed), plus the fees of the batches made and not yet confirmed."""
    amounts = uow.session.scalars(
        select(Settlement.amount).where(
            Settlement.coin_id == coin_id,
            Settlement.status.in_((SettlementStatus.REQUESTED, SettlementStatus.SUBMITTED)),
        )
    )
    fees = uow.session.scalars(
        select(SettlementBatch.fees).where(
            SettlementBatch.coin_id == coin_id,
            SettlementBatch.status.in_((SettlementStatus.REQUESTED, SettlementStatus.SUBMITTED)),
        )
    )
    return sum(a or 0 for a in amounts) + sum(f or 0 for f in fees)


def request_checked(
    uow: UnitOfWork,
    request: SettlementRequest,
    escrow: Escrow,
    now: datetime | None = None,
) -> Settlement:
    """A settlement request checked against the chain first: the escrow's captured pool of
    the coin must cover it together with everything already requested and not settled.

    Refused with UnconfirmedBalanceError, nothing written, when it does not. The request is
    recorded, not sent: the next settlement run carries it with every other store's.
    """
    coin: Coin = get_coin(uow, request.coin, request.chain_id)
    balance = uow.session.scalars(
        select(StoreBalance).where(
            StoreBalance.store_id == request.store_id, StoreBalance.coin_id == coin.id
        )
    ).one_or_none()
    available = balance.available if balance else 0
    amount = available if request.amount is None else request.amount
    try:
        # Beyond the store's own balance is over-settlement, refused by request_settlement.
        if 0 < amount <= available:
            check_captured_pool(escrow, coin.address, requested_total(uow, coin.id) + amount)
    except UnconfirmedBalanceOnChainError as exc:
        raise UnconfirmedBalanceError(str(exc)) from None
    finally:
        uow.rollback()
    return request_settlement(uow, request, now)
