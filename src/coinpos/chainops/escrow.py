"""The deployed PaymentEscrow (v2) as the sender sees it: calldata, reads, events and errors.

Reads: the per-invoice payment, the per-token pools (held, captured, fees, owed), an
account's owed balance, whether a settlement reference is used.

Built on web3 (ape's provider hands over its Web3), with the ABI ape compiled.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from eth_abi.abi import decode
from eth_utils.abi import function_signature_to_4byte_selector
from eth_utils.address import to_checksum_address
from eth_utils.crypto import keccak
from web3 import Web3

from coinpos.invoices.terms import InvoiceTerms

# Solidity's built-in revert payloads, besides the contract's own errors.
_BUILTIN_ERRORS = {"Error": ["string"], "Panic": ["uint256"]}


def _canonical_type(param: dict[str, Any]) -> str:
    kind = str(param["type"])
    if kind.startswith("tuple"):
        inner = ",".join(_canonical_type(c) for c in param["components"])
        return f"({inner}){kind[5:]}"
    return kind


def abi_of(contract_type: Any) -> list[dict[str, Any]]:
    """The ABI of an ape/ethpm ContractType as plain JSON dicts."""
    return [
        item.model_dump(mode="json", by_alias=True, exclude_none=True) for item in contract_type.abi
    ]


@dataclass(frozen=True)
class Pool:
    """`pool(token)`: held + captured + fees + owed is the escrow's balance of the token."""

    held: int
    captured: int
    fees: int
    owed: int


class Escrow:
    def __init__(
        self, w3: Web3, address: str, abi: list[dict[str, Any]], from_block: int = 0
    ) -> None:
        self.w3 = w3
        self.address = to_checksum_address(address)
        self.from_block = from_block
        self.contract = w3.eth.contract(address=self.address, abi=abi)
        self._errors: dict[bytes, tuple[str, list[str]]] = {}
        self._events: dict[str, bytes] = {}
        for name, types in _BUILTIN_ERRORS.items():
            self._errors[_selector(name, types)] = (name, types)
        for item in abi:
            types = [_canonical_type(p) for p in item.get("inputs", [])]
            if item.get("type") == "error":
                self._errors[_selector(item["name"], types)] = (item["name"], types)
            elif item.get("type") == "event":
                self._events[item["name"]] = keccak(text=f"{item['name']}({','.join(types)})")

    def calldata(self, function: str, *args: Any) -> bytes:
        return bytes.fromhex(self.contract.encode_abi(function, args)[2:])

    def pool(self, token: str) -> Pool:
        """The token's pooled totals (address(0) = ETH): nothing on chain is per store."""
        held, captured, fees, owed = self.contract.functions.pool(token).call()
        return Pool(int(held), int(captured), int(fees), int(owed))

    def owed_to(self, account: str, token: str) -> int:
        """What failed returns credited to `account` in `token`, for it to withdraw."""
        return int(self.contract.functions.owedTo(account, token).call())

    def payment(self, invoice_hash: bytes) -> tuple[int, int]:
        """(status, amount) of the escrow's payment state: held, or still refundable."""
        _payer, amount, status = self.contract.functions.payment(invoice_hash).call()
        return int(status), int(amount)

    def payer_of(self, invoice_hash: bytes) -> str:
        """The payer of record of a held or captured payment (the zero address if none)."""
        payer, _amount, _status = self.contract.functions.payment(invoice_hash).call()
        return str(payer)

    def is_reference_used(self, reference: bytes) -> bool:
        return bool(self.contract.functions.isReferenceUsed(reference).call())

    def invoice_hash(self, terms: InvoiceTerms) -> bytes:
        return bytes(self.contract.functions.invoiceHash(terms.abi()).call())

    def deposit_address(self, terms: InvoiceTerms) -> str:
        return str(self.contract.functions.depositAddress(terms.abi()).call())

    def decode_error(self, data: bytes | str | None) -> str:
        """`Name(arg, ...)` of a revert payload, or a plain description when it is unknown."""
        raw = (
            bytes.fromhex(data[2:] if data.startswith("0x") else data)
            if isinstance(data, str)
            else (data or b"")
        )
        if len(raw) < 4:
            return "reverted without a reason"
        found = self._errors.get(raw[:4])
        if found is None:
            return f"reverted with unknown error 0x{raw[:4].hex()}"
        name, types = found
        try:
            values = decode(types, raw[4:])
        except Exception:
            return name
        shown = ", ".join(_show(v) for v in values)
        return f"{name}({shown})"

    def attested(self, invoice_hashes: list[bytes]) -> set[tuple[str, str, int]]:
        """(invoice hash, tx hash, log index) of every transfer a sweep or recovery already
        gave a fate (DepositKept or DepositReturned), for these invoices. Both events end
        their data with the attested (bytes32 txHash, uint32 logIndex)."""
        if not invoice_hashes:
            return set()
        topics = [self._events[name] for name in ("DepositKept", "DepositReturned")]
        found: set[tuple[str, str, int]] = set()
        for start in range(0, len(invoice_hashes), 200):
            part = ["0x" + h.hex() for h in invoice_hashes[start : start + 200]]
            logs = self.w3.eth.get_logs(
                {
                    "address": self.address,
                    "fromBlock": self.from_block,
                    "toBlock": "latest",
                    "topics": [["0x" + t.hex() for t in topics], part],  # type: ignore[dict-item]
                }
            )
            for log in logs:
                data = bytes(log["data"])
                found.add(
                    (
                        "0x" + bytes(log["topics"][1]).hex(),
                        "0x" + data[-64:-32].hex(),
                        int.from_bytes(data[-32:], "big"),
                    )
                )
        return found

    def event_tx_hashes(self, event: str, *topics: bytes | None) -> list[str]:
        """Hashes of the transactions that emitted `event` with these indexed values."""
        filters: list[Any] = [self._events[event]]
        filters += [None if t is None else "0x" + t.hex() for t in topics]
        logs = self.w3.eth.get_logs(
            {
                "address": self.address,
                "fromBlock": self.from_block,
                "toBlock": "latest",
                "topics": filters,
            }
        )
        return ["0x" + bytes(log["transactionHash"]).hex() for log in logs]


def _selector(name: str, types: list[str]) -> bytes:
    return bytes(function_signature_to_4byte_selector(f"{name}({','.join(types)})"))


def _show(value: Any) -> str:
    if isinstance(value, bytes):
        return "0x" + value.hex()
    return str(value)


def bytes32_topic(value: str) -> bytes:
    return bytes.fromhex(value[2:])


def address_topic(value: str) -> bytes:
    return bytes(12) + bytes.fromhex(to_checksum_address(value)[2:])


def forwarder_code(project: Any) -> bytes:
    """DepositForwarder's creation code from the compiled ape project (the escrow embeds it)."""
    code = project.DepositForwarder.contract_type.deployment_bytecode.bytecode
    return bytes.fromhex(str(code).removeprefix("0x"))


def escrow_from_ape(contract: Any, from_block: int = 0) -> Escrow:
    """The Escrow of an ape contract instance, on ape's connected provider."""
    from ape import chain

    return Escrow(
        chain.provider.web3, str(contract.address), abi_of(contract.contract_type), from_block
    )
