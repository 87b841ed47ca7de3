"""Test data builders that go through the services, so tests start from valid state."""

from __future__ import annotations

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from coinpos.customers.service import NewCustomer, register
from coinpos.db.models import Coin, Customer, CustomerType, Store, TransactionLogEntry
from coinpos.stores.service import add_coin, create_store
from coinpos.unit_of_work import UnitOfWork

PASSWORD = "correct horse battery"


def make_store(engine: Engine, name: str = "Gangnam Cafe", fiat: str = "KRW") -> Store:
    with UnitOfWork(engine) as uow:
        return create_store(uow, name, fiat, "Hana Bank", "123-456-789")


def make_coin(
    engine: Engine, symbol: str = "CPW", decimals: int = 2, chain_id: int = 31337
) -> Coin:
    with UnitOfWork(engine) as uow:
        return add_coin(uow, symbol, chain_id, decimals, "0x" + "11" * 20)


def make_customer(engine: Engine, login_id: str = "minji") -> Customer:
    with UnitOfWork(engine) as uow:
        return register(
            uow,
            NewCustomer(
                login_id=login_id,
                name="Kim Minji",
                customer_type=CustomerType.INDIVIDUAL,
                language="ko",
                country_code="KR",
                email="minji@example.com",
                latitude_e6=37_497_942,
                longitude_e6=127_027_621,
            ),
            PASSWORD,
        )


def confirmed_capture(
    session: Session, store_id: str, coin_id: int, amount: int, *, key: str = "capture",
    chain_id: int = 31337, block: int = 1, invoice_id: int | None = None,
) -> TransactionLogEntry:  # fmt: skip
    """A confirmed PaymentCaptured as the tracker records it, of `invoice_id` (by default an
    expired invoice of its own with no fee): the store's balance grows by `amount` less the
    invoice's fee (the ledger follows the escrow's events: a capture request alone would not
    credit it)."""
    import secrets
    from datetime import UTC, datetime, timedelta

    from coinpos.db.models import Invoice, InvoiceStatus, TxKind, TxStatus
    from coinpos.ledger import confirm

    now = datetime.now(UTC)
    invoice = None if invoice_id is None else session.get(Invoice, invoice_id)
    if invoice is None:
        invoice = Invoice(
            invoice_hash="0x" + secrets.token_hex(32), store_id=store_id, coin_id=coin_id,
            amount=amount, pay_deadline=now, authorization_expiry=now + timedelta(days=1),
            refund_deadline=now + timedelta(days=7), fee_bps=0,
            salt="0x" + secrets.token_hex(32), payment_uri="ethereum:0x0",
            status=InvoiceStatus.EXPIRED,
        )  # fmt: skip
        session.add(invoice)
        session.flush()
    tx_hash = "0x" + secrets.token_hex(32)
    entry = TransactionLogEntry(
        idempotency_key=f"log:{chain_id}:{tx_hash}:0:{key}", kind=TxKind.CAPTURED,
        status=TxStatus.PENDING, store_id=store_id, coin_id=coin_id, invoice_id=invoice.id,
        amount=amount, reference=invoice.invoice_hash, event="PaymentCaptured",
        deadline=now + timedelta(days=1),
    )  # fmt: skip
    session.add(entry)
    session.flush()
    confirm(
        session, entry, chain_id=chain_id, tx_hash=tx_hash, log_index=0, block_number=block,
        block_hash="0x" + secrets.token_hex(32),
    )  # fmt: skip
    return entry
