"""Why a transaction failed: out of gas, or the custom error it reverted with, decoded
through the contract's ABI (the escrow's errors, OpenZeppelin's, Error(string), Panic).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from eth_abi.abi import decode
from eth_abi.exceptions import DecodingError
from eth_utils.crypto import keccak


def _canonical(param: dict[str, Any]) -> str:
    kind = str(param["type"])
    if kind.startswith("tuple"):
        inner = ",".join(_canonical(c) for c in param.get("components", []))
        return f"({inner}){kind[5:]}"
    return kind


class ErrorDecoder:
    """Custom errors by selector, from one or more ABIs."""

    def __init__(self, abis: Sequence[Sequence[dict[str, Any]]] = ()) -> None:
        self._errors: dict[bytes, tuple[str, list[str], list[str]]] = {
            keccak(text="Error(string)")[:4]: ("Error", ["string"], ["message"]),
            keccak(text="Panic(uint256)")[:4]: ("Panic", ["uint256"], ["code"]),
        }
        for abi in abis:
            for item in abi:
                if item.get("type") != "error":
                    continue
                types = [_canonical(p) for p in item.get("inputs", [])]
                names = [str(p.get("name", "")) for p in item.get("inputs", [])]
                signature = f"{item['name']}({','.join(types)})"
                self._errors[keccak(text=signature)[:4]] = (str(item["name"]), types, names)

    def describe(self, data: bytes) -> str:
        """`Name(arg=value, ...)`, or the raw data when no known error matches."""
        if len(data) < 4:
            return "reverted without data"
        known = self._errors.get(data[:4])
        if known is None:
            return f"reverted with unknown error 0x{data.hex()}"
        name, types, names = known
        try:
            values = decode(types, data[4:])
        except (DecodingError, ValueError):
            return f"reverted with {name} (undecodable arguments)"
        args = ", ".join(
            f"{n}={_show(v)}" if n else _show(v) for n, v in zip(names, values, strict=True)
        )
        return f"reverted with {name}({args})"


def _show(value: Any) -> str:
    if isinstance(value, bytes):
        return "0x" + value.hex()
    return str(value)


def failure_reason(
    receipt: dict[str, Any],
    tx: dict[str, Any] | None,
    revert_data: bytes | None,
    decoder: ErrorDecoder,
) -> str:
    gas_used = int(receipt["gasUsed"], 16)
    if tx is not None and gas_used == int(tx["gas"], 16):
        return f"out of gas (used all {gas_used:,} of its gas limit)"
    if revert_data is None:
        return "reverted (the replay on the parent block succeeded, so the cause was its position)"
    return decoder.describe(revert_data)
