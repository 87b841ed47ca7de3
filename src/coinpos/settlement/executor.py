"""The on-chain side of a settlement run, behind a small interface.

The escrow's `settle(token, payout, fees, reference)` moves `payout + fees` out of the token's
captured pool (`payout` to the treasury, `fees` to the fee pool) and refuses a reference it has
seen, so resending a batch after a crash is safe. coinpos.chainops.settlement implements it
over the deployed escrow.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from coinpos.errors import CoinposError
from coinpos.unit_of_work import UnitOfWork


class ExecutorError(CoinposError):
    """The settle call did not succeed. `on_chain`: it failed on chain (a revert, before or
    after sending), so the batch is over; else whether it reached the chain is unknown and
    the same batch is sent again."""

    def __init__(self, message: str, *, on_chain: bool = False) -> None:
        super().__init__(message)
        self.on_chain = on_chain


@dataclass(frozen=True)
class BatchCall:
    """One batch's settle call: its log entry's key, the token (None: the native coin), the
    amounts and the bytes32 reference."""

    key: str
    token: str | None
    payout: int
    fees: int
    reference: str
    coin_id: int


class SettlementExecutor(Protocol):
    def settle(self, uow: UnitOfWork, call: BatchCall) -> str:
        """Sends the settle transaction of the batch whose entry is logged under `call.key`;
        returns its hash. Raises ExecutorError on failure."""
        ...
