"""The escrow's `Invoice` struct in Python, and its EIP-712 digest computed as the contract does.

The digest is `keccak256(0x1901 ‖ domainSeparator ‖ hashStruct(invoice))` under the domain
("CoinposPaymentEscrow", "1", chainId, escrow). Every field of `Invoice` is static, so
`hashStruct` is the keccak of the type hash followed by the ABI-encoded fields.
"""

from __future__ import annotations

import functools
from dataclasses import astuple, dataclass
from typing import Any

from eth_abi.abi import encode
from eth_utils.address import to_checksum_address
from eth_utils.crypto import keccak

from coinpos.errors import CoinposError

DOMAIN_NAME = "CoinposPaymentEscrow"
DOMAIN_VERSION = "1"
ZERO_ADDRESS = "0x0000000000000000000000000000000000000000"
MAX_BPS = 10_000
MAX_AMOUNT = 2**88 - 1
MAX_UINT48 = 2**48 - 1

INVOICE_TYPE = (
    "Invoice(bytes32 storeId,address token,uint256 amount,address payer,"
    "uint48 paymentDeadline,uint48 authorizationExpiry,uint48 refundDeadline,"
    "uint16 minFeeBps,uint16 maxFeeBps,bytes32 salt)"
)
INVOICE_TYPEHASH = keccak(text=INVOICE_TYPE)
DOMAIN_TYPEHASH = keccak(
    text="EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"
)
_FIELD_TYPES = [
    "bytes32",
    "bytes32",
    "address",
    "uint256",
    "address",
    "uint48",
    "uint48",
    "uint48",
    "uint16",
    "uint16",
    "bytes32",
]


class InvoiceTermsError(CoinposError):
    """Terms the escrow would refuse."""


@dataclass(frozen=True)
class EscrowDomain:
    """Where an invoice is payable: its signature and digest bind it to this chain and escrow."""

    chain_id: int
    escrow: str

    def separator(self) -> bytes:
        return _separator(self.chain_id, self.escrow)


@functools.lru_cache(maxsize=64)
def _separator(chain_id: int, escrow: str) -> bytes:
    """A domain's separator, computed once per (chain, escrow): it is hashed into every
    invoice digest and signature."""
    return bytes(
        keccak(
            encode(
                ["bytes32", "bytes32", "bytes32", "uint256", "address"],
                [
                    DOMAIN_TYPEHASH,
                    keccak(text=DOMAIN_NAME),
                    keccak(text=DOMAIN_VERSION),
                    chain_id,
                    to_checksum_address(escrow),
                ],
            )
        )
    )


@dataclass(frozen=True)
class InvoiceTerms:
    """Mirror of `IPaymentEscrow.Invoice`; `abi()` is the tuple a contract call takes."""

    store_id: bytes
    token: str
    amount: int
    payer: str
    payment_deadline: int
    authorization_expiry: int
    refund_deadline: int
    min_fee_bps: int
    max_fee_bps: int
    salt: bytes

    def __post_init__(self) -> None:
        if len(self.store_id) != 32 or len(self.salt) != 32:
            raise InvoiceTermsError("store id and salt must be 32 bytes")
        if not 0 < self.amount <= MAX_AMOUNT:
            raise InvoiceTermsError(f"amount {self.amount} must be within 1..2**88-1 base units")
        if not (
            0 <= self.payment_deadline <= self.authorization_expiry <= self.refund_deadline
            and self.refund_deadline <= MAX_UINT48
        ):
            raise InvoiceTermsError(
                "deadlines must be ordered: payment <= authorization expiry <= refund deadline"
            )
        if not 0 <= self.min_fee_bps <= self.max_fee_bps <= MAX_BPS:
            raise InvoiceTermsError(
                f"fee bounds {self.min_fee_bps}..{self.max_fee_bps} bps must lie within 0..10000"
            )

    def abi(self) -> tuple[Any, ...]:
        return astuple(self)

    def struct_hash(self) -> bytes:
        return keccak(encode(_FIELD_TYPES, [INVOICE_TYPEHASH, *self.abi()]))

    def digest(self, domain: EscrowDomain) -> bytes:
        """The EIP-712 digest: what `escrow.invoiceHash(terms)` returns and the operator signs."""
        return keccak(b"\x19\x01" + domain.separator() + self.struct_hash())
