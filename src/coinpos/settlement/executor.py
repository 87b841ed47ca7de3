"""The on-chain side of a settlement, behind a small interface.

The escrow's `settle(storeId, token, amount, reference)` moves the coins from the store's
balance to the treasury and refuses a reference it has seen, so resending after a crash
is safe. The ape-backed implementation plugs in here once the escrow is deployed.
"""

from __future__ import annotations

from typing import Protocol

from coinpos.errors import CoinposError


class ExecutorError(CoinposError):
    """The settle call could not be sent; whether it reached the chain is unknown."""


class SettlementExecutor(Protocol):
    def settle(self, store_id: str, token: str | None, amount: int, reference: str) -> str:
        """Sends the settle transaction; returns its hash. Raises ExecutorError on failure."""
        ...
