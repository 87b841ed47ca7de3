"""Reading the chain: head, block hashes, logs in shrinking ranges, balances and receipts in
JSON-RPC batches.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from coinpos.tracker.errors import RpcError, TrackerError
from coinpos.tracker.rpc import JsonRpcClient


@dataclass(frozen=True)
class BlockRef:
    number: int
    hash: str
    timestamp: int


def as_int(value: Any) -> int:
    return int(value, 16) if isinstance(value, str) else int(value)


def _block(raw: dict[str, Any]) -> BlockRef:
    return BlockRef(as_int(raw["number"]), str(raw["hash"]).lower(), as_int(raw["timestamp"]))


class ChainReader:
    def __init__(self, rpc: JsonRpcClient) -> None:
        self.rpc = rpc
        self._chain_id: int | None = None

    def chain_id(self) -> int:
        if self._chain_id is None:
            self._chain_id = as_int(self.rpc.call("eth_chainId"))
        return self._chain_id

    def head(self) -> int:
        return as_int(self.rpc.call("eth_blockNumber"))

    def tagged(self, tag: str) -> int | None:
        """The number of the `safe` or `finalized` block, None if the node has none."""
        try:
            raw = self.rpc.call("eth_getBlockByNumber", [tag, False])
        except RpcError:
            return None
        return None if raw is None else as_int(raw["number"])

    def blocks(self, numbers: Iterable[int]) -> dict[int, BlockRef]:
        """Headers of the given heights, in one batch; heights past the head are left out."""
        wanted = sorted(set(numbers))
        raws = self.rpc.batch([("eth_getBlockByNumber", [hex(n), False]) for n in wanted])
        return {n: _block(raw) for n, raw in zip(wanted, raws, strict=True) if raw is not None}

    def logs(
        self, start: int, end: int, address: str | Sequence[str], topics: Sequence[Any]
    ) -> list[dict[str, Any]]:
        """All matching logs of [start, end], splitting the range while the node refuses it."""
        query = {"fromBlock": hex(start), "toBlock": hex(end), "address": address, "topics": topics}
        try:
            result = self.rpc.call("eth_getLogs", [query])
        except RpcError as exc:
            if not exc.too_many_results or start == end:
                raise
            middle = (start + end) // 2
            return self.logs(start, middle, address, topics) + self.logs(
                middle + 1, end, address, topics
            )
        if not isinstance(result, list):
            raise TrackerError(f"eth_getLogs [{start}, {end}]: malformed answer")
        return result

    def balances(self, addresses: Sequence[str], block: int) -> list[int]:
        calls = [("eth_getBalance", [a, hex(block)]) for a in addresses]
        return [as_int(v) for v in self.rpc.batch(calls)]

    def receipts(self, tx_hashes: Sequence[str]) -> list[dict[str, Any] | None]:
        return list(self.rpc.batch([("eth_getTransactionReceipt", [h]) for h in tx_hashes]))

    def transactions(self, tx_hashes: Sequence[str]) -> list[dict[str, Any] | None]:
        return list(self.rpc.batch([("eth_getTransactionByHash", [h]) for h in tx_hashes]))

    def replay(self, tx: dict[str, Any], block: int) -> bytes | None:
        """Re-runs a failed transaction on its parent block's state; the revert data, if any."""
        call = {k: tx[k] for k in ("from", "to", "gas", "value", "input") if tx.get(k) is not None}
        try:
            self.rpc.call("eth_call", [call, hex(block - 1)])
        except RpcError as exc:
            data = exc.data
            if isinstance(data, dict):
                data = data.get("data")
            if isinstance(data, str) and data.startswith("0x"):
                return bytes.fromhex(data[2:])
            return b""
        return None
