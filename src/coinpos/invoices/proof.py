"""Proving to a store (or to anyone it shows) that an invoice is the store's.

On chain an invoice names its store only as storeCommitment = keccak256(abi.encode(storeId,
storeSalt)). Revealing the invoice's store salt lets anyone recompute the commitment from the
store id and the invoice hash from the terms, and compare both with what the escrow's events
and the payment carry. The salt of one invoice says nothing about another's.
"""

from __future__ import annotations

from dataclasses import dataclass

from coinpos.db.models import Coin
from coinpos.invoices.service import get_invoice, terms_of
from coinpos.invoices.terms import EscrowDomain, store_commitment
from coinpos.unit_of_work import UnitOfWork


@dataclass(frozen=True)
class InvoiceProof:
    invoice_hash: str
    store_id: str
    store_salt: str
    store_commitment: str
    # The EIP-712 digest recomputed from the terms (with the commitment): it must equal
    # `invoice_hash`, the key of the escrow's payment and events.
    recomputed_hash: str | None

    @property
    def valid(self) -> bool:
        return self.recomputed_hash is None or self.recomputed_hash == self.invoice_hash


def prove_invoice(uow: UnitOfWork, ref: str) -> InvoiceProof:
    """The store id, salt and commitment of an invoice, and its hash recomputed from them."""
    invoice = get_invoice(uow, ref)
    coin = uow.session.get(Coin, invoice.coin_id)
    assert coin is not None  # a foreign key guarantees it
    commitment = store_commitment(
        bytes.fromhex(invoice.store_id[2:]), bytes.fromhex(invoice.salt[2:])
    )
    recomputed = None
    if invoice.chain_id is not None and invoice.escrow_address is not None:
        domain = EscrowDomain(invoice.chain_id, invoice.escrow_address)
        recomputed = "0x" + terms_of(invoice, coin).digest(domain).hex()
    return InvoiceProof(
        invoice_hash=invoice.invoice_hash,
        store_id=invoice.store_id,
        store_salt=invoice.salt,
        store_commitment="0x" + commitment.hex(),
        recomputed_hash=recomputed,
    )
