"""Errors of the tracker, under the one coinpos base exception."""

from __future__ import annotations

from typing import Any

from coinpos.errors import CoinposError


class TrackerError(CoinposError):
    """Base class of the tracker's errors."""


class NodeUnavailableError(TrackerError):
    """The node did not answer; nothing was committed for the step in progress."""


class ReplayUnavailableError(TrackerError):
    """The node cannot re-run a transaction at its parent block (it keeps no state there)."""


class RpcError(TrackerError):
    """The node answered a call with a JSON-RPC error."""

    def __init__(self, method: str, error: dict[str, Any]) -> None:
        self.method = method
        self.code = int(error.get("code", 0))
        self.message = str(error.get("message", ""))
        self.data = error.get("data")
        super().__init__(f"{method}: {self.message} (code {self.code})")

    @property
    def state_unavailable(self) -> bool:
        """Whether the node keeps no state at the block asked for (geth, erigon, anvil)."""
        text = self.message.lower()
        return any(
            phrase in text
            for phrase in ("missing trie node", "blockoutofrange", "state is not available",
                           "state not available", "pruned", "historical state")
        )  # fmt: skip

    @property
    def too_many_results(self) -> bool:
        """Whether a log query asked for too much, by the wording nodes use for it."""
        text = self.message.lower()
        return any(
            phrase in text
            for phrase in (
                "too many",
                "more than",
                "limit exceeded",
                "range too large",
                "block range",
            )
        )
