"""Invoice issuance against a deployed escrow: the Python digest, signature and deposit
address are exactly what the contract computes and accepts."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import ape
import pytest
from sqlalchemy import func, select

from coinpos.catalogue.service import OutOfStockError, add_item
from coinpos.chainops.escrow import Escrow
from coinpos.db.models import CatalogueItem, Invoice, InvoiceLine
from coinpos.invoices.service import (
    CartLine,
    InvoiceError,
    Issuer,
    NewInvoice,
    issue_invoice,
    terms_of,
)
from coinpos.payment_uri import EtherPaymentRequest, TokenPaymentRequest, parse_payment_uri
from coinpos.stores.service import UnknownStoreError
from coinpos.unit_of_work import UnitOfWork
from tests.chainops.conftest import Shop

AUTHORIZED = 1


def _stock(uow: UnitOfWork) -> dict[str, int]:
    rows = uow.session.execute(select(CatalogueItem.sku, CatalogueItem.stock)).tuples().all()
    return dict(rows)


def _terms(shop: Shop, invoice: Invoice) -> Any:
    coin = shop.cpw if invoice.coin_id == shop.cpw.id else shop.eth
    return terms_of(invoice, coin)


def test_issue__python_hash_equals_escrow_invoiceHash(
    issue: Callable[..., Invoice], shop: Shop, escrow_client: Escrow
) -> None:
    invoice = issue()
    terms = _terms(shop, invoice)
    assert "0x" + escrow_client.invoice_hash(terms).hex() == invoice.invoice_hash


def test_issue__eth_with_named_payer__hash_and_deposit_address_match_chain(
    issue: Callable[..., Invoice], shop: Shop, escrow_client: Escrow, customer: Any
) -> None:
    invoice = issue(coin="ETH", amount=10**16, payer=str(customer.address).lower())
    terms = _terms(shop, invoice)
    assert invoice.payer == customer.address
    assert "0x" + escrow_client.invoice_hash(terms).hex() == invoice.invoice_hash
    assert escrow_client.deposit_address(terms) == invoice.deposit_address


def test_issue__deposit_address_equals_escrow_depositAddress(
    issue: Callable[..., Invoice], shop: Shop, escrow_client: Escrow
) -> None:
    invoice = issue()
    assert escrow_client.deposit_address(_terms(shop, invoice)) == invoice.deposit_address


def test_issue__operator_signature_is_accepted_by_pay(
    issue: Callable[..., Invoice], shop: Shop, escrow: Any, funded: Any, customer: Any
) -> None:
    invoice = issue()
    terms = _terms(shop, invoice)
    receipt = escrow.pay(terms.abi(), invoice.operator_signature, sender=customer)
    assert [e.event_name for e in receipt.events] == ["InvoicePaid", "Transfer"]
    payment = escrow.payment(invoice.invoice_hash)
    assert (payment.payer, payment.amount, payment.status) == (customer, 12_345, AUTHORIZED)


def test_issue__signature_of_other_key__is_refused_by_pay(
    issue: Callable[..., Invoice],
    shop: Shop,
    escrow: Any,
    funded: Any,
    customer: Any,
    stranger: Any,
) -> None:
    from coinpos.chainops.keys import LocalKey

    invoice = issue()
    forged = LocalKey(stranger.private_key).sign_digest(bytes.fromhex(invoice.invoice_hash[2:]))
    with ape.reverts(escrow.PaymentEscrowInvalidSignature):
        escrow.pay(_terms(shop, invoice).abi(), forged, sender=customer)


def test_issue__token_uri_is_a_transfer_to_the_deposit_address__and_qr_files_written(
    issue: Callable[..., Invoice], emoney: Any
) -> None:
    invoice = issue()
    request = parse_payment_uri(invoice.payment_uri)
    assert isinstance(request, TokenPaymentRequest)
    assert (request.token, request.recipient, request.amount, request.chain_id) == (
        emoney.address,
        invoice.deposit_address,
        12_345,
        31337,
    )
    assert invoice.qr_png_path and invoice.qr_png_path.endswith(f"{invoice.invoice_hash}.png")
    with open(invoice.qr_png_path, "rb") as png:
        assert png.read(8) == b"\x89PNG\r\n\x1a\n"
    assert invoice.qr_svg_path
    with open(invoice.qr_svg_path, "rb") as svg:
        assert b"<svg" in svg.read()


def test_issue__eth_uri_paid_by_plain_transfer__lands_at_the_deposit_address(
    issue: Callable[..., Invoice], customer: Any, chain: Any
) -> None:
    invoice = issue(coin="ETH", amount=10**16)
    request = parse_payment_uri(invoice.payment_uri)
    assert isinstance(request, EtherPaymentRequest)
    assert request.recipient == invoice.deposit_address and request.value == 10**16
    customer.transfer(request.recipient, request.value)
    assert chain.provider.get_balance(invoice.deposit_address) == 10**16


def test_issue__default_deadlines__15_minute_payment_window(
    issue: Callable[..., Invoice],
) -> None:
    invoice = issue()
    # 15 minutes plus the random 0..59 s each derived deadline gets: never shorter.
    assert 15 * 60 <= (invoice.pay_deadline - invoice.created_at).total_seconds() < 16 * 60
    assert invoice.pay_deadline <= invoice.authorization_expiry <= invoice.refund_deadline


def test_issue__from_cart__prices_the_items_and_takes_stock(
    issue: Callable[..., Invoice], shop: Shop
) -> None:
    with UnitOfWork(shop.engine) as uow:
        add_item(uow, shop.store.store_id, "LATTE", "Latte", "CPW", 4_500, 3, 31337)
    with UnitOfWork(shop.engine) as uow:
        add_item(uow, shop.store.store_id, "BAGEL", "Bagel", "CPW", 3_250, 1, 31337)
    invoice = issue(amount=None, cart=(CartLine("LATTE", 2), CartLine("BAGEL", 1)))
    assert invoice.amount == 2 * 4_500 + 3_250
    with UnitOfWork(shop.engine) as uow:
        stock = _stock(uow)
        lines = uow.session.execute(
            select(InvoiceLine.quantity, InvoiceLine.unit_price).order_by(InvoiceLine.id)
        ).all()
    assert stock == {"LATTE": 1, "BAGEL": 0}
    assert [tuple(line) for line in lines] == [(2, 4_500), (1, 3_250)]


def test_issue__cart_beyond_stock__is_refused_and_nothing_changes(
    issue: Callable[..., Invoice], shop: Shop
) -> None:
    with UnitOfWork(shop.engine) as uow:
        add_item(uow, shop.store.store_id, "LATTE", "Latte", "CPW", 4_500, 3, 31337)
    with UnitOfWork(shop.engine) as uow:
        add_item(uow, shop.store.store_id, "BAGEL", "Bagel", "CPW", 3_250, 1, 31337)
    with pytest.raises(OutOfStockError):
        issue(amount=None, cart=(CartLine("LATTE", 1), CartLine("BAGEL", 2)))
    with UnitOfWork(shop.engine) as uow:
        stock = _stock(uow)
        invoices = uow.session.scalar(select(func.count()).select_from(Invoice))
    assert stock == {"LATTE": 3, "BAGEL": 1}
    assert invoices == 0


def test_issue__unknown_store__is_refused(shop: Shop, issuer: Issuer) -> None:
    with UnitOfWork(shop.engine) as uow, pytest.raises(UnknownStoreError):
        issue_invoice(uow, NewInvoice(store_id="0x" + "ab" * 32, coin="CPW", amount=1), issuer)


def test_issue__amount_and_cart_together__are_refused(
    issue: Callable[..., Invoice],
) -> None:
    with pytest.raises(InvoiceError.__mro__[1]):
        issue(amount=5, cart=(CartLine("LATTE", 1),))
