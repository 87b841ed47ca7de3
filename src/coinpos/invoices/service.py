"""Issuing invoices: terms mirroring the escrow's `Invoice`, signed by the operator, with the
deposit address, an EIP-681 transfer URI and its QR code, stored on one `Invoice` row.

Store unlinkability (issue 9): the terms carry only `storeCommitment = keccak256(abi.encode(
storeId, storeSalt))`, with a fresh random 32-byte storeSalt per invoice kept in
`invoices.salt`; each derived deadline gets a random 0..59 s added (never shortened), so two
invoices of a store created in the same second share no deadline value. The store's fee rate
at creation is copied to `invoices.fee_bps`: it never goes on chain, the ledger applies it
when the capture is confirmed.

One request, one unit of work: the stock of every cart line is taken with a conditional
UPDATE (so the last item cannot be sold twice), the row and its lines are written, the QR
files are drawn (unless the issuer has no QR folder: the server draws them on request), then
everything commits together. A refused request changes nothing.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from eth_utils.address import to_checksum_address
from sqlalchemy import select, update

from coinpos.catalogue.service import reserve_stock
from coinpos.chainops.keys import OperatorKey
from coinpos.db.models import CatalogueItem, Coin, Invoice, InvoiceLine, InvoiceStatus, Terminal
from coinpos.db.types import utcnow
from coinpos.errors import CoinposError
from coinpos.invoices import events as invoice_events
from coinpos.invoices.deposit import deposit_address
from coinpos.invoices.terms import ZERO_ADDRESS, EscrowDomain, InvoiceTerms
from coinpos.payment_uri import ether_payment_uri, token_payment_uri
from coinpos.qr import write_png, write_svg
from coinpos.stores.service import InactiveError, get_coin, get_store
from coinpos.tracker.outbox import notify
from coinpos.unit_of_work import UnitOfWork
from coinpos.validation import InvalidInputError, address, ascii_digits

# BTCPay Server's default invoice expiry.
DEFAULT_PAY_WINDOW = timedelta(minutes=15)
DEFAULT_AUTHORIZATION_WINDOW = timedelta(days=7)
DEFAULT_REFUND_WINDOW = timedelta(days=30)
# A derived deadline is moved later by a random 0..DEADLINE_JITTER-1 seconds.
DEADLINE_JITTER = 60


class InvoiceError(CoinposError):
    """An invoice request that is refused; nothing is written."""


class UnknownInvoiceError(InvoiceError):
    def __init__(self, ref: str) -> None:
        super().__init__(f"no invoice {ref}")


@dataclass(frozen=True)
class CartLine:
    sku: str
    quantity: int


@dataclass(frozen=True)
class NewInvoice:
    """What the POS asks for: an amount, or a cart of catalogue items (priced in the coin)."""

    store_id: str
    coin: str
    amount: int | None = None
    cart: tuple[CartLine, ...] = ()
    payer: str | None = None
    terminal: str | None = None
    pay_window: timedelta = DEFAULT_PAY_WINDOW
    authorization_window: timedelta = DEFAULT_AUTHORIZATION_WINDOW
    refund_window: timedelta = DEFAULT_REFUND_WINDOW


@dataclass(frozen=True)
class Issuer:
    """What signing an invoice needs: the escrow's domain, its forwarder code and the key.
    `qr_dir` None draws no QR files."""

    domain: EscrowDomain
    forwarder_code: bytes
    key: OperatorKey
    qr_dir: Path | None = field(default=Path("out") / "invoices")


def _timestamp(moment: datetime) -> int:
    return int(moment.timestamp())


def _moment(timestamp: int) -> datetime:
    return datetime.fromtimestamp(timestamp, UTC)


def token_of(coin: Coin) -> str:
    return to_checksum_address(coin.address) if coin.address else ZERO_ADDRESS


def terms_of(invoice: Invoice, coin: Coin) -> InvoiceTerms:
    """The on-chain terms of a stored invoice, rebuilt exactly (the commitment from the
    store id and the invoice's store salt)."""
    return InvoiceTerms.for_store(
        store_id=bytes.fromhex(invoice.store_id[2:]),
        store_salt=bytes.fromhex(invoice.salt[2:]),
        token=token_of(coin),
        amount=invoice.amount,
        payer=invoice.payer or ZERO_ADDRESS,
        payment_deadline=_timestamp(invoice.pay_deadline),
        authorization_expiry=_timestamp(invoice.authorization_expiry),
        refund_deadline=_timestamp(invoice.refund_deadline),
    )


def _jitter() -> int:
    return secrets.randbelow(DEADLINE_JITTER)


def _take_cart(
    uow: UnitOfWork, store_id: str, coin: Coin, cart: tuple[CartLine, ...]
) -> list[InvoiceLine]:
    lines = []
    for line in cart:
        if line.quantity <= 0:
            raise InvalidInputError(f"quantity {line.quantity} of {line.sku!r} must be positive")
        item = uow.session.scalars(
            select(CatalogueItem).where(
                CatalogueItem.store_id == store_id, CatalogueItem.sku == line.sku
            )
        ).one_or_none()
        if item is None:
            raise InvoiceError(f"store {store_id} has no catalogue item {line.sku!r}")
        if item.removed_at is not None:
            raise InvoiceError(f"item {line.sku!r} was removed from the catalogue")
        if item.coin_id != coin.id:
            raise InvoiceError(f"item {line.sku!r} is not priced in {coin.symbol}")
        reserve_stock(uow, item.id, line.quantity)
        lines.append(InvoiceLine(item_id=item.id, quantity=line.quantity, unit_price=item.price))
    return lines


def _terminal_id(uow: UnitOfWork, store_id: str, code: str | None) -> int | None:
    if code is None:
        return None
    terminal = uow.session.scalars(
        select(Terminal).where(Terminal.store_id == store_id, Terminal.code == code)
    ).one_or_none()
    if terminal is None:
        raise InvoiceError(f"store {store_id} has no terminal {code!r}")
    if not terminal.active:
        raise InactiveError(f"terminal {code!r} is deactivated: it takes no new invoices")
    return terminal.id


def issue_invoice(
    uow: UnitOfWork,
    request: NewInvoice,
    issuer: Issuer,
    now: datetime | None = None,
    salt: bytes | None = None,
    jitter: Callable[[], int] = _jitter,
) -> Invoice:
    """Creates, signs and stores an invoice; returns the committed row.

    `salt` is the store salt (default: 32 random bytes); `jitter` gives the seconds added to
    each derived deadline (default: random in 0..59)."""
    store = get_store(uow, request.store_id)
    if not store.active:
        raise InactiveError(
            f"store {store.name!r} ({store.store_id}) is deactivated: it takes no new invoices"
        )
    coin = get_coin(uow, request.coin, issuer.domain.chain_id)
    if (request.amount is None) == (not request.cart):
        raise InvalidInputError("give either an amount or a cart, not both or neither")
    if request.amount is not None and request.amount <= 0:
        raise InvalidInputError(f"amount {request.amount} must be a positive number of base units")
    for window in (request.pay_window, request.authorization_window, request.refund_window):
        if window < timedelta(0):
            raise InvalidInputError("invoice windows must not be negative")
    payer = address(request.payer, "payer") if request.payer else None
    terminal_id = _terminal_id(uow, store.store_id, request.terminal)
    lines = _take_cart(uow, store.store_id, coin, request.cart)
    amount = request.amount or sum(line.unit_price * line.quantity for line in lines)

    start = _timestamp(now or utcnow())
    # Each window is the one asked for plus 0..59 s: never shorter.
    pay_deadline = start + int(request.pay_window.total_seconds()) + jitter()
    authorization_expiry = (
        pay_deadline + int(request.authorization_window.total_seconds()) + jitter()
    )
    refund_deadline = authorization_expiry + int(request.refund_window.total_seconds()) + jitter()
    store_salt = salt or secrets.token_bytes(32)
    terms = InvoiceTerms.for_store(
        store_id=bytes.fromhex(store.store_id[2:]),
        store_salt=store_salt,
        token=token_of(coin),
        amount=amount,
        payer=payer or ZERO_ADDRESS,
        payment_deadline=pay_deadline,
        authorization_expiry=authorization_expiry,
        refund_deadline=refund_deadline,
    )
    digest = terms.digest(issuer.domain)
    deposit = deposit_address(issuer.domain.escrow, digest, issuer.forwarder_code)
    if coin.address is None:
        uri = ether_payment_uri(deposit, amount, chain_id=issuer.domain.chain_id)
    else:
        uri = token_payment_uri(terms.token, deposit, amount, chain_id=issuer.domain.chain_id)
    invoice_hash = "0x" + digest.hex()
    png = svg = None
    if issuer.qr_dir is not None:
        png = write_png(uri, issuer.qr_dir / f"{invoice_hash}.png")
        svg = write_svg(uri, issuer.qr_dir / f"{invoice_hash}.svg")
    invoice = Invoice(
        invoice_hash=invoice_hash,
        store_id=store.store_id,
        terminal_id=terminal_id,
        coin_id=coin.id,
        amount=amount,
        payer=payer,
        pay_deadline=_moment(terms.payment_deadline),
        authorization_expiry=_moment(terms.authorization_expiry),
        refund_deadline=_moment(terms.refund_deadline),
        fee_bps=store.fee_bps,
        salt="0x" + store_salt.hex(),
        deposit_address=deposit,
        payment_uri=uri,
        chain_id=issuer.domain.chain_id,
        escrow_address=to_checksum_address(issuer.domain.escrow),
        operator_signature="0x"
        + issuer.key.sign_typed(issuer.domain.separator(), terms.struct_hash()).hex(),
        qr_png_path=None if png is None else str(png),
        qr_svg_path=None if svg is None else str(svg),
        created_at=_moment(start),
    )
    uow.session.add(invoice)
    uow.session.flush()
    for line in lines:
        line.invoice_id = invoice.id
        uow.session.add(line)
    invoice_events.record(uow.session, [invoice_events.created(invoice)], invoice.created_at)
    uow.commit()
    return invoice


def get_invoice(uow: UnitOfWork, ref: str) -> Invoice:
    """An invoice by its hash (0x…) or its number."""
    if ref.startswith("0x"):
        query = select(Invoice).where(Invoice.invoice_hash == ref.lower())
    elif ascii_digits(ref):
        query = select(Invoice).where(Invoice.id == int(ref))
    else:
        raise InvalidInputError(f"invoice {ref!r} is neither a 0x hash nor a number")
    invoice = uow.session.scalars(query).one_or_none()
    if invoice is None:
        raise UnknownInvoiceError(ref)
    return invoice


def invoice_items(uow: UnitOfWork, invoice: Invoice) -> list[tuple[str, int, int]]:
    """(sku, quantity, unit price) of each catalogue line of the invoice."""
    rows = uow.session.execute(
        select(CatalogueItem.sku, InvoiceLine.quantity, InvoiceLine.unit_price)
        .join(CatalogueItem, CatalogueItem.id == InvoiceLine.item_id)
        .where(InvoiceLine.invoice_id == invoice.id)
        .order_by(InvoiceLine.id)
    )
    return [(sku, quantity, price) for sku, quantity, price in rows.tuples()]


def terminal_code(uow: UnitOfWork, invoice: Invoice) -> str | None:
    if invoice.terminal_id is None:
        return None
    terminal = uow.session.get(Terminal, invoice.terminal_id)
    return None if terminal is None else terminal.code


def cancel_invoice(uow: UnitOfWork, invoice: Invoice, now: datetime | None = None) -> Invoice:
    """Marks an unpaid New invoice Invalid and puts its cart's items back in stock.

    One conditional UPDATE decides, so a payment the tracker records at the same moment
    either lands first (and the cancel is refused) or finds the invoice Invalid, where a
    late payment is still recorded and flagged, never lost. The change goes to the outbox
    in the same transaction, as the tracker's status changes do.
    """
    cancelled = uow.session.execute(
        update(Invoice)
        .where(
            Invoice.id == invoice.id,
            Invoice.status == InvoiceStatus.NEW,
            Invoice.amount_paid == 0,
        )
        .values(status=InvoiceStatus.INVALID)
    )
    if cancelled.rowcount != 1:  # type: ignore[attr-defined]
        uow.rollback()
        current = uow.session.get(Invoice, invoice.id)
        assert current is not None
        uow.session.refresh(current)
        raise InvoiceError(
            f"invoice {current.invoice_hash} is {current.status}"
            + (" with a payment" if current.amount_paid else "")
            + ": only an unpaid New invoice can be cancelled"
        )
    for item_id, quantity in uow.session.execute(
        select(InvoiceLine.item_id, InvoiceLine.quantity).where(
            InvoiceLine.invoice_id == invoice.id
        )
    ).tuples():
        uow.session.execute(
            update(CatalogueItem)
            .where(CatalogueItem.id == item_id)
            .values(stock=CatalogueItem.stock + quantity)
        )
    invoice_events.record(
        uow.session,
        [
            invoice_events.StatusChange(
                invoice.id, invoice.invoice_hash, invoice.store_id, invoice.amount, 0,
                InvoiceStatus.INVALID, None, InvoiceStatus.NEW, None,
            )
        ],
        now or utcnow(),
    )  # fmt: skip
    notify(
        uow.session,
        f"invoice:{invoice.id}:{InvoiceStatus.INVALID.value}:0",
        "invoice_status",
        {
            "invoice_hash": invoice.invoice_hash,
            "store_id": invoice.store_id,
            "status": InvoiceStatus.INVALID.value,
            "previous": InvoiceStatus.NEW.value,
            "exception_status": None,
            "amount": str(invoice.amount),
            "amount_paid": "0",
        },
        now or utcnow(),
    )
    uow.commit()
    uow.session.refresh(invoice)
    return invoice
