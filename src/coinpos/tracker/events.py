"""Event signatures the tracker filters on, as topic0 hashes.

A test compares them with the compiled escrow ABI, so a changed event cannot go unnoticed.
"""

from __future__ import annotations

from eth_utils.crypto import keccak

_INVOICE_TUPLE = "(bytes32,address,uint256,address,uint48,uint48,uint48,uint16,uint16,bytes32)"

SIGNATURES = {
    "Transfer": "Transfer(address,address,uint256)",
    "InvoicePaid": f"InvoicePaid(bytes32,bytes32,address,{_INVOICE_TUPLE},uint256)",
    "PaymentIncreased": "PaymentIncreased(bytes32,bytes32,uint256,uint256)",
    "PaymentCaptured": "PaymentCaptured(bytes32,bytes32,uint256,uint256,uint256)",
    "PaymentVoided": "PaymentVoided(bytes32,bytes32,uint256)",
    "PaymentReclaimed": "PaymentReclaimed(bytes32,bytes32,uint256)",
    "PaymentRefunded": "PaymentRefunded(bytes32,bytes32,uint256)",
    "StoreSettled": "StoreSettled(bytes32,address,uint256,bytes32,uint256)",
    "DepositReturned": "DepositReturned(bytes32,bytes32,address,uint256)",
}


def topic(signature: str) -> str:
    return "0x" + keccak(text=signature).hex()


TOPICS = {name: topic(sig) for name, sig in SIGNATURES.items()}
TRANSFER = TOPICS["Transfer"]
INVOICE_PAID = TOPICS["InvoicePaid"]

# The function selectors of the sweeps: an InvoicePaid in a sweep transaction reports a
# deposit the tracker already counted from the deposit address, not a second payment.
SWEEP_SELECTORS = frozenset(
    "0x" + keccak(text=sig).hex()[:8]
    for sig in (
        f"sweep({_INVOICE_TUPLE}[],address[])",
        f"sweepAndCapture({_INVOICE_TUPLE}[],address[],uint16[])",
    )
)


def address_topic(address: str) -> str:
    return "0x" + "0" * 24 + address.lower().removeprefix("0x")


def topic_address(value: str) -> str:
    return "0x" + value[-40:].lower()
