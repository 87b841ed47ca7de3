"""What an observer of the chain sees of a transaction, and which of it links two invoices.

A transaction's *footprint* is every 32-byte value it puts where anyone can read it: its sender,
recipient and ETH value, its selector and calldata words, each log's address, topics and data
words, and the key of every storage slot it touched (SLOAD/SSTORE/TLOAD/TSTORE, from anvil's
default struct-logger trace). Values are compared as integers, so an address in a topic and the
same address in calldata are one value.

The property: each transaction concerns a set of invoices (a settlement concerns every invoice
whose capture it settles), and parts of it concern one invoice (see `Observation`). A part that
concerns invoices of every store says nothing that tells the stores apart; any other part
*reveals* its values for its invoices. A value **links** two
invoices of a store when it is revealed for both of them and is not **public**. A value is public
when it is revealed for invoices of every store alike (the token, the escrow, the operator, a
selector, an offset: what every store's transactions share). So a link is a value that an
observer who learnt one invoice's store could follow to another invoice of that store, and to no
invoice of some other store.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

STORAGE_OPS = frozenset({"SLOAD", "SSTORE", "TLOAD", "TSTORE"})


def _words(data: bytes) -> Iterable[int]:
    """`data` cut into 32-byte words (the last one right-padded), as integers."""
    for start in range(0, len(data), 32):
        yield int.from_bytes(data[start : start + 32].ljust(32, b"\0"), "big")


def _bytes(value: Any) -> bytes:
    if isinstance(value, bytes | bytearray):
        return bytes(value)
    return bytes.fromhex(str(value).removeprefix("0x"))


def _int(value: Any) -> int:
    return int.from_bytes(_bytes(value), "big") if not isinstance(value, int) else value


@dataclass(frozen=True)
class Footprint:
    """One transaction's values: `head` (sender, recipient, ETH value, selector, touched storage
    keys), `calldata` (the words in order) and `logs` (each log's address, topics, data words)."""

    head: frozenset[int]
    calldata: tuple[int, ...]
    logs: tuple[frozenset[int], ...]

    def values(self) -> frozenset[int]:
        return self.head.union(self.calldata, *self.logs)


def transaction_footprint(w3: Any, tx_hash: Any) -> Footprint:
    """Every value a transaction shows: tx fields, calldata, logs and touched storage keys."""
    tx = w3.eth.get_transaction(tx_hash)
    receipt = w3.eth.get_transaction_receipt(tx_hash)
    head = {_int(tx["from"]), int(tx["value"])}
    if tx["to"]:
        head.add(_int(tx["to"]))
    data = _bytes(tx["input"])
    if data:
        head.add(int.from_bytes(data[:4], "big"))
    head.update(touched_slots(w3, tx_hash))
    logs = tuple(
        frozenset(
            {_int(log["address"]), *(_int(t) for t in log["topics"]), *_words(_bytes(log["data"]))}
        )
        for log in receipt["logs"]
    )
    return Footprint(frozenset(head), tuple(_words(data[4:])), logs)


def touched_slots(w3: Any, tx_hash: Any) -> set[int]:
    """The keys of the storage (and transient storage) slots a transaction read or wrote, in any
    contract: the top of the stack at each SLOAD/SSTORE/TLOAD/TSTORE of the struct-logger trace."""
    tx_hex = tx_hash if isinstance(tx_hash, str) else "0x" + _bytes(tx_hash).hex()
    trace = w3.provider.make_request(
        "debug_traceTransaction",
        [tx_hex, {"disableMemory": True, "disableStorage": True, "disableStack": False}],
    )
    logs = trace["result"]["structLogs"]
    return {int(step["stack"][-1], 16) for step in logs if step["op"] in STORAGE_OPS}


@dataclass
class Observation:
    """What the observer saw, cut into parts, each with the invoices it concerns.

    A transaction concerns the invoices the test names for it. Within it, an observer can tell
    some parts apart: a log that carries exactly one of the concerned invoices' identifiers (its
    hash, its deposit address) concerns that invoice alone, and so do an invoice's terms where
    they appear in the calldata (the `Invoice` tuple, word for word). Every other value concerns
    the whole set."""

    store_of: Mapping[Hashable, Hashable]
    identifiers: Mapping[int, Hashable]
    terms: Mapping[Hashable, tuple[int, ...]]
    parts: list[tuple[frozenset[int], frozenset[Hashable]]] = field(default_factory=list)

    def record(self, footprint: Footprint, invoices: Iterable[Hashable]) -> None:
        concerned = frozenset(invoices)
        assert concerned, "every transaction concerns at least one invoice"
        assert concerned <= set(self.store_of), "unknown invoice"
        calldata = list(footprint.calldata)
        claimed = [False] * len(calldata)
        for invoice in concerned:
            words = list(self.terms[invoice])
            for start in range(len(calldata) - len(words) + 1):
                if calldata[start : start + len(words)] == words:
                    self.parts.append((frozenset(words), frozenset({invoice})))
                    claimed[start : start + len(words)] = [True] * len(words)
        rest = {w for w, taken in zip(calldata, claimed, strict=True) if not taken}
        self.parts.append((footprint.head | rest, concerned))
        for log in footprint.logs:
            owners = {self.identifiers[v] for v in log if v in self.identifiers} & concerned
            self.parts.append((log, frozenset(owners) if len(owners) == 1 else concerned))


@dataclass(frozen=True)
class Linkability:
    """The analysis of an `Observation`.

    `links`: value -> {store: the invoices of that store it is revealed for}, for every value that
    links two invoices of one store. `public`: the values revealed for every store. `shared`: the
    values revealed for two or more invoices of one store (public or not)."""

    links: dict[int, dict[Hashable, frozenset[Hashable]]]
    public: frozenset[int]
    shared: frozenset[int]

    def figures(self) -> str:
        return (
            f"{len(self.shared)} values shared by invoices of one store: "
            f"{len(self.links)} of them within that store only (links), "
            f"{len(self.shared) - len(self.links)} across every store (public); "
            f"{len(self.public)} public values in all"
        )


def analyse(observation: Observation) -> Linkability:
    """Which values link invoices of one store (see the module docstring for the definitions)."""
    stores = set(observation.store_of.values())
    revealed: dict[int, set[Hashable]] = defaultdict(set)
    for values, concerned in observation.parts:
        if {observation.store_of[i] for i in concerned} == stores:
            continue  # concerns every store: shows nothing that tells stores apart
        for value in values:
            revealed[value] |= concerned
    links: dict[int, dict[Hashable, frozenset[Hashable]]] = {}
    public: set[int] = set()
    shared: set[int] = set()
    for value, invoices in revealed.items():
        by_store: dict[Hashable, set[Hashable]] = defaultdict(set)
        for invoice in invoices:
            by_store[observation.store_of[invoice]].add(invoice)
        repeated = {s: frozenset(i) for s, i in by_store.items() if len(i) >= 2}
        if set(by_store) == stores:
            public.add(value)
        if repeated:
            shared.add(value)
            if set(by_store) != stores:
                links[value] = repeated
    return Linkability(links, frozenset(public), frozenset(shared))
