"""The escrow's `Invoice` struct in Python (v2), and its EIP-712 digest computed as the contract
does.

The digest is `keccak256(0x1901 ‖ domainSeparator ‖ hashStruct(invoice))` under the domain
("CoinposPaymentEscrow", "2", chainId, escrow). Every field of `Invoice` is static, so
`hashStruct` is the keccak of the type hash followed by the ABI-encoded fields.

The terms name their store only through `storeCommitment = keccak256(abi.encode(storeId,
storeSalt))`, with 32 fresh random bytes of `storeSalt` per invoice (kept in the database,
never on chain). The commitment is also the invoice's uniqueness salt: two invoices of one
store for the same amount and deadlines still have different hashes and deposit addresses.
There are no fee bounds: the store's fee is the exchange's off-chain term (invoices.fee_bps),
applied by the ledger when a capture is confirmed.
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
DOMAIN_VERSION = "2"
ZERO_ADDRESS = "0x0000000000000000000000000000000000000000"
MAX_BPS = 10_000
MAX_AMOUNT = 2**88 - 1
MAX_UINT48 = 2**48 - 1

INVOICE_TYPE = (
    "Invoice(bytes32 storeCommitment,address token,uint256 amount,address payer,"
    "uint48 paymentDeadline,uint48 authorizationExpiry,uint48 refundDeadline)"
)
INVOICE_TYPEHASH = keccak(text=INVOICE_TYPE)
DOMAIN_TYPEHASH = keccak(
    text="EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"
)
_FIELD_TYPES = [
    "bytes32",  # the type hash
    "bytes32",
    "address",
    "uint256",
    "address",
    "uint48",
    "uint48",
    "uint48",
]


class InvoiceTermsError(CoinposError):
    """Terms the escrow would refuse."""


def store_commitment(store_id: bytes, store_salt: bytes) -> bytes:
    """`keccak256(abi.encode(bytes32 storeId, bytes32 storeSalt))`: what an invoice carries
    for its store. Revealing the salt proves the invoice is the store's; without it the
    commitment says nothing, and no two invoices share one."""
    if len(store_id) != 32 or len(store_salt) != 32:
        raise InvoiceTermsError("store id and store salt must be 32 bytes")
    return bytes(keccak(encode(["bytes32", "bytes32"], [store_id, store_salt])))


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
    """Mirror of `IPaymentEscrow.Invoice` (7 fields); `abi()` is the tuple a contract call
    takes."""

    store_commitment: bytes
    token: str
    amount: int
    payer: str
    payment_deadline: int
    authorization_expiry: int
    refund_deadline: int

    def __post_init__(self) -> None:
        if len(self.store_commitment) != 32:
            raise InvoiceTermsError("the store commitment must be 32 bytes")
        if not 0 < self.amount <= MAX_AMOUNT:
            raise InvoiceTermsError(f"amount {self.amount} must be within 1..2**88-1 base units")
        if not (
            0 <= self.payment_deadline <= self.authorization_expiry <= self.refund_deadline
            and self.refund_deadline <= MAX_UINT48
        ):
            raise InvoiceTermsError(
                "deadlines must be ordered: payment <= authorization expiry <= refund deadline"
            )

    @classmethod
    def for_store(
        cls,
        store_id: bytes,
        store_salt: bytes,
        token: str,
        amount: int,
        payer: str,
        payment_deadline: int,
        authorization_expiry: int,
        refund_deadline: int,
    ) -> InvoiceTerms:
        return cls(
            store_commitment(store_id, store_salt),
            token,
            amount,
            payer,
            payment_deadline,
            authorization_expiry,
            refund_deadline,
        )

    def abi(self) -> tuple[Any, ...]:
        return astuple(self)

    def struct_hash(self) -> bytes:
        return keccak(encode(_FIELD_TYPES, [INVOICE_TYPEHASH, *self.abi()]))

    def digest(self, domain: EscrowDomain) -> bytes:
        """The EIP-712 digest: what `escrow.invoiceHash(terms)` returns and the operator signs."""
        return keccak(b"\x19\x01" + domain.separator() + self.struct_hash())
