"""The ledger against the escrow's pools, per token (`coinpos reconcile`).

For each coin of the chain, four figures, each from the ledger and from the escrow's
`pool(token)` view (IPaymentEscrow):

- held: payments not yet captured. Ledger: confirmed direct pays and kept deposits, less
  what confirmed captures took (captured and released), voids and reclaims.
- captured: captured and not yet settled nor refunded, before the exchange's fee. Ledger:
  the stores' balances (captured less settled; a reserved amount is still in the pool) plus
  the exchange's fee account not yet settled.
- fees: the fee pool. Ledger: fees confirmed Settled events moved there, less withdrawals.
- owed: failed returns not yet withdrawn. Ledger: confirmed ReturnOwed less OwedWithdrawn.

Both sides are read at one block: the highest the tracker has scanned below which no escrow
event is still waiting for its confirmation (the view is read at that block, which an
ordinary node serves for its recent state). The ledger moves only on confirmed events, so
there the two must agree to the unit; any difference is listed (a missed or misattributed
event, a settlement whose payout is not the sum of its batch, funds the escrow booked and the
exchange did not).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from eth_abi.abi import decode as abi_decode
from eth_abi.abi import encode as abi_encode
from eth_utils.crypto import keccak
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from coinpos.db.models import (
    Coin,
    FeeBalance,
    StoreBalance,
    TrackerCursor,
    TransactionLogEntry,
    TxKind,
    TxStatus,
    ValidTransaction,
)
from coinpos.errors import CoinposError
from coinpos.tracker.chain import ChainReader

FIELDS = ("held", "captured", "fees", "owed")
ZERO_ADDRESS = "0x" + "00" * 20
_POOL = "0x" + keccak(text="pool(address)")[:4].hex()


class ReconcileError(CoinposError):
    """Reconciliation cannot run (no tracker cursor for the chain, a node that refuses)."""


@dataclass(frozen=True)
class Totals:
    held: int = 0
    captured: int = 0
    fees: int = 0
    owed: int = 0

    def get(self, name: str) -> int:
        return int(getattr(self, name))


@dataclass(frozen=True)
class Line:
    coin: str
    token: str
    field: str
    ledger: int
    chain: int

    @property
    def difference(self) -> int:
        return self.ledger - self.chain

    def as_dict(self) -> dict[str, object]:
        return {
            "coin": self.coin, "token": self.token, "field": self.field, "ledger": self.ledger,
            "chain": self.chain, "difference": self.difference,
        }  # fmt: skip


@dataclass
class Report:
    chain_id: int
    block: int
    lines: list[Line] = field(default_factory=list)

    @property
    def differences(self) -> list[Line]:
        return [line for line in self.lines if line.difference != 0]

    @property
    def agrees(self) -> bool:
        return not self.differences


def _sum(values: Iterable[int | None]) -> int:
    # Summed in Python: uint256 columns are text on SQLite.
    return sum(v or 0 for v in values)


def ledger_totals(session: Session, coin_id: int) -> Totals:
    """The ledger's four figures for a coin, from confirmed events and the balances."""
    rows = session.execute(
        select(
            ValidTransaction.kind, ValidTransaction.amount, ValidTransaction.released,
            TransactionLogEntry.event,
        )
        .join(TransactionLogEntry, TransactionLogEntry.id == ValidTransaction.log_entry_id)
        .where(ValidTransaction.coin_id == coin_id)
    ).tuples()  # fmt: skip
    held = owed = 0
    for kind, amount, released, event in rows:
        if (kind is TxKind.PAYMENT and event is not None) or kind is TxKind.KEPT:
            held += amount
        elif kind is TxKind.CAPTURED:
            held -= amount + (released or 0)
        elif kind in (TxKind.VOIDED, TxKind.RECLAIMED):
            held -= amount
        elif kind is TxKind.RETURN_OWED:
            owed += amount
        elif kind is TxKind.OWED_WITHDRAWN:
            owed -= amount
    balances = session.execute(
        select(StoreBalance.captured, StoreBalance.settled).where(StoreBalance.coin_id == coin_id)
    ).tuples()
    stores = sum(captured - settled for captured, settled in balances)
    fees = session.get(FeeBalance, coin_id)
    unsettled_fees = 0 if fees is None else fees.accrued - fees.settled
    pooled_fees = 0 if fees is None else fees.settled - fees.withdrawn
    return Totals(held, stores + unsettled_fees, pooled_fees, owed)


def chain_totals(chain: ChainReader, escrow: str, token: str, block: int) -> Totals:
    """The escrow's `pool(token)` at `block`."""
    data = _POOL + abi_encode(["address"], [token]).hex()
    raw = chain.rpc.call("eth_call", [{"to": escrow, "data": data}, hex(block)])
    held, captured, fees, owed = abi_decode(
        ["uint256"] * 4, bytes.fromhex(str(raw).removeprefix("0x"))
    )
    return Totals(held, captured, fees, owed)


def reconciled_block(session: Session, chain_id: int) -> int:
    """The block both sides are read at: scanned, and no escrow event at or below it still
    waiting for its depth."""
    scanned = session.scalar(
        select(func.max(TrackerCursor.last_block)).where(TrackerCursor.chain_id == chain_id)
    )
    if scanned is None or scanned < 0:
        raise ReconcileError(f"the tracker has not read chain {chain_id} yet: run `coinpos track`")
    waiting = session.scalar(
        select(func.min(TransactionLogEntry.block_number)).where(
            TransactionLogEntry.chain_id == chain_id,
            TransactionLogEntry.status == TxStatus.PENDING,
            TransactionLogEntry.block_number.is_not(None),
            TransactionLogEntry.event.is_not(None),
        )
    )
    return scanned if waiting is None else min(scanned, waiting - 1)


def reconcile(
    session: Session, chain: ChainReader, escrow: str, *, block: int | None = None
) -> Report:
    """Every coin of the chain: the ledger's figures and the escrow's, at one block."""
    chain_id = chain.chain_id()
    at = reconciled_block(session, chain_id) if block is None else block
    report = Report(chain_id, at)
    coins = session.execute(
        select(Coin.id, Coin.symbol, Coin.address)
        .where(Coin.chain_id == chain_id)
        .order_by(Coin.id)
    ).tuples()
    for coin_id, symbol, address in coins:
        token = (address or ZERO_ADDRESS).lower()
        ours = ledger_totals(session, coin_id)
        theirs = chain_totals(chain, escrow, token, at)
        report.lines += [
            Line(symbol, token, name, ours.get(name), theirs.get(name)) for name in FIELDS
        ]
    return report
