"""The tracker's hard-coded events against the compiled escrow."""

from __future__ import annotations

from typing import Any

from eth_utils.crypto import keccak

from coinpos.tracker.events import ESCROW_EVENTS, SIGNATURES, TOPICS
from coinpos.tracker.revert import ErrorDecoder
from tests.offchain.tracker.anvil import contract_type


def _canonical(param: dict[str, Any]) -> str:
    if param["type"].startswith("tuple"):
        inner = ",".join(_canonical(c) for c in param["components"])
        return f"({inner}){param['type'][5:]}"
    return str(param["type"])


def _signatures(kind: str) -> dict[str, str]:
    abi = contract_type("PaymentEscrow")["abi"]
    return {
        item["name"]: f"{item['name']}({','.join(_canonical(p) for p in item['inputs'])})"
        for item in abi
        if item["type"] == kind
    }


def test_event_topics__match_the_compiled_escrow() -> None:
    compiled = _signatures("event")
    for name, signature in SIGNATURES.items():
        if name != "Transfer":
            assert compiled[name] == signature
            assert TOPICS[name] == "0x" + keccak(text=signature).hex()


def test_event_fields__are_indexed_as_in_the_compiled_escrow() -> None:
    abi = contract_type("PaymentEscrow")["abi"]
    compiled = {
        item["name"]: [(p["name"], p["indexed"]) for p in item["inputs"]]
        for item in abi
        if item["type"] == "event"
    }
    for name, spec in ESCROW_EVENTS.items():
        # The decoder's names are its own (reference_ is `reference`); the order and the
        # indexed flags are the ABI's.
        assert [f.indexed for f in spec.fields] == [i for _, i in compiled[name]], name
        assert len(spec.fields) == len(compiled[name])


def test_every_money_event_of_the_escrow__is_followed() -> None:
    """A new event that moves money would otherwise go unread by the ledger."""
    abi = contract_type("PaymentEscrow")["abi"]
    events = {item["name"] for item in abi if item["type"] == "event"}
    not_money = {
        "DepositSkipped", "EIP712DomainChanged", "Paused", "Unpaused", "RoleAdminChanged",
        "RoleGranted", "RoleRevoked", "TokenAllowedSet", "TreasurySet",
    }  # fmt: skip
    assert events - not_money == set(ESCROW_EVENTS)


def test_decoder__names_an_escrow_error_and_its_arguments() -> None:
    decoder = ErrorDecoder([contract_type("PaymentEscrow")["abi"]])
    data = keccak(text="PaymentEscrowReferenceUsed(bytes32)")[:4] + b"\x07" * 32
    assert (
        decoder.describe(data)
        == f"reverted with PaymentEscrowReferenceUsed(reference_=0x{'07' * 32})"
    )
    assert decoder.describe(b"\x12\x34\x56\x78").startswith(
        "reverted with unknown error 0x12345678"
    )
    assert decoder.describe(b"") == "reverted without data"
