"""The escrow's events the ledger follows, and how each is decoded.

Each event is described once, field by field (name, ABI type, indexed or not); its
signature, its topic0 and its decoding all derive from that. A test compares the signatures
with the compiled escrow ABI, so a changed event cannot go unnoticed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from eth_abi.abi import decode as abi_decode
from eth_utils.crypto import keccak


@dataclass(frozen=True)
class Field:
    name: str
    type: str
    indexed: bool = False


@dataclass(frozen=True)
class EventSpec:
    name: str
    fields: tuple[Field, ...]

    @property
    def signature(self) -> str:
        return f"{self.name}({','.join(f.type for f in self.fields)})"

    @property
    def topic(self) -> str:
        return topic(self.signature)

    def decode(self, log: dict[str, Any]) -> dict[str, Any]:
        """The log's fields by name: addresses lowercase, bytes32 as 0x-hex, ints as int."""
        topics = list(log["topics"][1:])
        indexed = [f for f in self.fields if f.indexed]
        plain = [f for f in self.fields if not f.indexed]
        data = bytes.fromhex(str(log["data"]).removeprefix("0x"))
        values: dict[str, Any] = {}
        for f, word in zip(indexed, topics, strict=True):
            values[f.name] = _normalise(f.type, abi_decode([f.type], bytes.fromhex(word[2:]))[0])
        for f, value in zip(plain, abi_decode([f.type for f in plain], data), strict=True):
            values[f.name] = _normalise(f.type, value)
        return values


def _normalise(kind: str, value: Any) -> Any:
    if kind == "address":
        return str(value).lower()
    if kind.startswith("bytes"):
        return "0x" + bytes(value).hex()
    return value


def topic(signature: str) -> str:
    return "0x" + keccak(text=signature).hex()


def _spec(name: str, *fields: tuple[str, str] | tuple[str, str, bool]) -> EventSpec:
    return EventSpec(name, tuple(Field(*f) for f in fields))


_HASH = ("invoiceHash", "bytes32", True)

# The escrow's money events (IPaymentEscrow, IDepositSweeper).
ESCROW_EVENTS: dict[str, EventSpec] = {
    spec.name: spec
    for spec in (
        # A direct pay: the payment is held from this transaction on.
        _spec("InvoicePaid", _HASH, ("payer", "address", True), ("token", "address"),
              ("amount", "uint256")),
        # One per attested transfer of a sweep: kept (the payment or a top-up) or sent back.
        _spec("DepositKept", _HASH, ("sender", "address", True), ("amount", "uint256"),
              ("txHash", "bytes32"), ("logIndex", "uint32")),
        _spec("DepositReturned", _HASH, ("to", "address", True), ("token", "address"),
              ("amount", "uint256"), ("txHash", "bytes32"), ("logIndex", "uint32")),
        # An underpaid held payment sent back to its payer: a larger deposit from another
        # sender takes its place (its DepositKept events follow).
        _spec("PaymentReplaced", _HASH, ("previousPayer", "address", True), ("amount", "uint256")),
        # The named payer pulled an unswept deposit address back (after the expiry).
        _spec("DepositReclaimed", _HASH, ("payer", "address", True), ("amount", "uint256"),
              ("ethAmount", "uint256")),
        _spec("PaymentCaptured", _HASH, ("amount", "uint256"), ("released", "uint256")),
        _spec("PaymentVoided", _HASH, ("amount", "uint256")),
        _spec("PaymentReclaimed", _HASH, ("amount", "uint256")),
        _spec("PaymentRefunded", _HASH, ("amount", "uint256")),
        _spec("ReturnOwed", ("account", "address", True), ("token", "address", True),
              ("amount", "uint256"), ("invoiceHash", "bytes32", True)),
        _spec("OwedWithdrawn", ("account", "address", True), ("token", "address", True),
              ("to", "address"), ("amount", "uint256")),
        _spec("Settled", ("token", "address", True), ("payout", "uint256"), ("fees", "uint256"),
              ("reference", "bytes32", True)),
        _spec("FeesWithdrawn", ("token", "address", True), ("to", "address", True),
              ("amount", "uint256")),
    )
}  # fmt: skip
BY_TOPIC: dict[str, EventSpec] = {spec.topic: spec for spec in ESCROW_EVENTS.values()}
ESCROW_TOPICS: list[str] = [spec.topic for spec in ESCROW_EVENTS.values()]

SIGNATURES = {
    "Transfer": "Transfer(address,address,uint256)",
    **{name: spec.signature for name, spec in ESCROW_EVENTS.items()},
}
TOPICS = {name: topic(sig) for name, sig in SIGNATURES.items()}
TRANSFER = TOPICS["Transfer"]
INVOICE_PAID = TOPICS["InvoicePaid"]


def address_topic(address: str) -> str:
    return "0x" + "0" * 24 + address.lower().removeprefix("0x")


def topic_address(value: str) -> str:
    return "0x" + value[-40:].lower()
