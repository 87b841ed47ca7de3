"""Reading the chain: head, blocks, logs in shrinking ranges, balances at the head and
receipts, in JSON-RPC batches of at most `batch_size` calls.

Nothing here reads state at an old block: that needs an archive node, and ordinary nodes
keep state for about the last 128 blocks only.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from coinpos.tracker.errors import ReplayUnavailableError, RpcError, TrackerError
from coinpos.tracker.rpc import JsonRpcClient


@dataclass(frozen=True)
class BlockRef:
    number: int
    hash: str
    timestamp: int


@dataclass(frozen=True)
class LogQuery:
    """One eth_getLogs filter over the blocks [start, end]."""

    start: int
    end: int
    address: str | Sequence[str]
    topics: Sequence[Any]

    def params(self) -> dict[str, Any]:
        return {
            "fromBlock": hex(self.start),
            "toBlock": hex(self.end),
            "address": self.address,
            "topics": self.topics,
        }

    def halves(self) -> tuple[LogQuery, LogQuery]:
        middle = (self.start + self.end) // 2
        return replace(self, end=middle), replace(self, start=middle + 1)


def as_int(value: Any) -> int:
    return int(value, 16) if isinstance(value, str) else int(value)


def block_ref(raw: dict[str, Any]) -> BlockRef:
    return BlockRef(as_int(raw["number"]), str(raw["hash"]).lower(), as_int(raw["timestamp"]))


# Addresses named (in `address` or a topic list) per HTTP request of log queries: nodes cap
# a request's body (anvil at 2 MiB), and 20,000 topics of 66 characters are about 1.4 MB.
LOG_BATCH_ADDRESSES = 20_000


def _named(query: LogQuery) -> int:
    lists = [query.address, *query.topics]
    return sum(len(x) for x in lists if isinstance(x, list)) or 1


def _by_request_size(
    pending: list[tuple[int, LogQuery]],
) -> list[list[tuple[int, LogQuery]]]:
    """The queries in groups naming at most LOG_BATCH_ADDRESSES addresses (a query naming
    more goes alone)."""
    groups: list[list[tuple[int, LogQuery]]] = [[]]
    named = 0
    for item in pending:
        size = _named(item[1])
        if groups[-1] and named + size > LOG_BATCH_ADDRESSES:
            groups.append([])
            named = 0
        groups[-1].append(item)
        named += size
    return groups


class ChainReader:
    def __init__(self, rpc: JsonRpcClient, batch_size: int = 100) -> None:
        self.rpc = rpc
        # Calls per JSON-RPC batch: providers cap it (often at 100 or 1,000).
        self.batch_size = batch_size
        self._chain_id: int | None = None

    @property
    def _chunk(self) -> int:
        """Calls per HTTP request: the configured size, within the client's own cap."""
        return min(self.batch_size, self.rpc.max_batch)

    def _batch(self, calls: Sequence[tuple[str, Sequence[Any]]]) -> list[Any]:
        return self.rpc.batch(calls, chunk=self._chunk)

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
        raws = self._batch([("eth_getBlockByNumber", [hex(n), False]) for n in wanted])
        return {n: block_ref(raw) for n, raw in zip(wanted, raws, strict=True) if raw is not None}

    def full_blocks(self, numbers: Sequence[int]) -> list[dict[str, Any] | None]:
        """Blocks with their full transactions (None past the head), in batches."""
        return list(self._batch([("eth_getBlockByNumber", [hex(n), True]) for n in numbers]))

    def logs(self, queries: Sequence[LogQuery]) -> list[list[dict[str, Any]]]:
        """All matching logs of each query, in the order of `queries`.

        The queries go out together, in JSON-RPC batches of at most `batch_size` calls. A
        query the node refuses as too large ("too many results", "block range too large")
        is split in two halves that go out in the next batch, until it is a single block;
        any other error raises."""
        found: list[dict[int, list[dict[str, Any]]]] = [{} for _ in queries]
        pending = [(i, q) for i, q in enumerate(queries)]
        while pending:
            outcomes: list[Any] = []
            for group in _by_request_size(pending):
                outcomes += self.rpc.batch_outcomes(
                    [("eth_getLogs", [q.params()]) for _, q in group], chunk=self._chunk
                )
            retry: list[tuple[int, LogQuery]] = []
            for (i, query), outcome in zip(pending, outcomes, strict=True):
                if isinstance(outcome, RpcError):
                    if not outcome.too_many_results or query.start == query.end:
                        raise outcome
                    retry += [(i, half) for half in query.halves()]
                elif isinstance(outcome, list):
                    found[i][query.start] = outcome
                else:
                    raise TrackerError(
                        f"eth_getLogs [{query.start}, {query.end}]: malformed answer"
                    )
            pending = retry
        # The pieces of a split query cover disjoint ranges: in order of their first block
        # they give the logs in chain order, as one answer would.
        return [[log for _, part in sorted(parts.items()) for log in part] for parts in found]

    def balances_at_head(self, addresses: Sequence[str]) -> tuple[int, list[int]]:
        """The head's number and the balances at `latest`, in one batch: the only state the
        tracker reads, so any full node can serve it."""
        calls: list[tuple[str, Sequence[Any]]] = [("eth_blockNumber", [])]
        calls += [("eth_getBalance", [a, "latest"]) for a in addresses]
        head, *balances = self._batch(calls)
        return as_int(head), [as_int(v) for v in balances]

    def receipts(self, tx_hashes: Sequence[str]) -> list[dict[str, Any] | None]:
        return list(self._batch([("eth_getTransactionReceipt", [h]) for h in tx_hashes]))

    def transactions(self, tx_hashes: Sequence[str]) -> list[dict[str, Any] | None]:
        return list(self._batch([("eth_getTransactionByHash", [h]) for h in tx_hashes]))

    def replay(self, tx: dict[str, Any], block: int) -> bytes | None:
        """Re-runs a failed transaction on its parent block's state; the revert data, if any.

        The one read of old state: it only explains a failure, so a node that no longer
        has that state (ReplayUnavailableError) costs the reason's detail, nothing else."""
        call = {k: tx[k] for k in ("from", "to", "gas", "value", "input") if tx.get(k) is not None}
        try:
            self.rpc.call("eth_call", [call, hex(block - 1)])
        except RpcError as exc:
            data = exc.data
            if isinstance(data, dict):
                data = data.get("data")
            if isinstance(data, str) and data.startswith("0x"):
                return bytes.fromhex(data[2:])
            if exc.state_unavailable:
                raise ReplayUnavailableError(str(exc)) from exc
            return b""
        return None
