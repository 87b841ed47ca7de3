"""Test data builders that go through the services, so tests start from valid state."""

from __future__ import annotations

from sqlalchemy import Engine

from coinpos.customers.service import NewCustomer, register
from coinpos.db.models import Coin, Customer, CustomerType, Store
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
    engine: Engine,
    store_id: str,
    coin_id: int,
    amount: int,
    *,
    fee_bps: int = 0,
    confirmed: bool = True,
    invoice_id: int | None = None,
) -> None:
    """The escrow's PaymentCaptured of `amount` for an invoice of the store (`invoice_id`, or
    a new one with `fee_bps`), written and (unless told otherwise) confirmed as the tracker
    does: the ledger credits the store `amount` less the invoice's fee."""
    import secrets
    from datetime import timedelta

    from coinpos.db.models import Invoice, TxKind
    from coinpos.db.types import utcnow
    from coinpos.ledger import confirm, log_request

    now = utcnow()
    tx_hash = "0x" + secrets.token_hex(32)
    with UnitOfWork(engine) as uow:
        existing = None if invoice_id is None else uow.session.get(Invoice, invoice_id)
        invoice = existing or Invoice(
            invoice_hash="0x" + secrets.token_hex(32), store_id=store_id, coin_id=coin_id,
            amount=amount, pay_deadline=now + timedelta(minutes=15),
            authorization_expiry=now + timedelta(days=1), refund_deadline=now + timedelta(days=7),
            fee_bps=fee_bps, salt="0x" + secrets.token_hex(32),
            deposit_address="0x" + secrets.token_hex(20), payment_uri="ethereum:0x",
            created_at=now,
        )  # fmt: skip
        if existing is None:
            uow.session.add(invoice)
            uow.session.flush()
        entry = log_request(
            uow.session, f"log:31337:{tx_hash}:0", TxKind.CAPTURED, store_id=store_id,
            coin_id=coin_id, amount=amount, reference=invoice.invoice_hash, chain_id=31337,
            now=now - timedelta(minutes=30),
        )  # fmt: skip
        entry.invoice_id = invoice.id
        entry.event = "PaymentCaptured"
        entry.released = 0
        uow.session.flush()
        if confirmed:
            confirm(
                uow.session, entry, chain_id=31337, tx_hash=tx_hash, log_index=0,
                block_number=1, block_hash="0x" + secrets.token_hex(32),
            )  # fmt: skip
        uow.commit()
