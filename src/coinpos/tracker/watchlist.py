"""The deposit addresses the tracker watches: every invoice with one, from its creation
until the monitoring window after its payment deadline has passed.

A deposit address does not depend on the token (escrow v2: constant forwarder code, salt =
the invoice hash), so ETH can arrive at an ERC-20 invoice's address too. `any_address` maps
every watched address, whatever its invoice's coin, for the ETH scan: ETH at an ERC-20
invoice's address is recorded in the chain's ETH coin (`eth_coin_id`), so a sweep can
attest it back to its sender; it never counts as the invoice's payment.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from coinpos.db.models import Coin, Invoice


@dataclass(frozen=True)
class WatchedInvoice:
    id: int
    invoice_hash: str
    store_id: str
    coin_id: int
    # None for ETH; otherwise the ERC-20 address, lowercase.
    token: str | None
    deposit_address: str
    pay_deadline: datetime


@dataclass(frozen=True)
class Watchlist:
    by_token: dict[str | None, dict[str, WatchedInvoice]]
    by_hash: dict[str, WatchedInvoice]
    # The chain's ETH coin, if the exchange lists it.
    eth_coin_id: int | None = None

    @property
    def eth(self) -> dict[str, WatchedInvoice]:
        """ETH invoices by deposit address."""
        return self.by_token.get(None, {})

    @property
    def any_address(self) -> dict[str, WatchedInvoice]:
        """Every watched deposit address, ETH invoice or not (ETH can arrive at any)."""
        if self.eth_coin_id is None:
            return self.eth
        return {a: i for invoices in self.by_token.values() for a, i in invoices.items()}


def load(session: Session, chain_id: int, now: datetime, window: timedelta) -> Watchlist:
    # Columns, not Invoice objects: at 50,000 open invoices the ORM's identity map and
    # instance state cost more than the query.
    rows = session.execute(
        select(
            Invoice.id, Invoice.invoice_hash, Invoice.store_id, Invoice.coin_id,
            Invoice.deposit_address, Invoice.pay_deadline, Coin.address,
        )
        .join(Coin, Coin.id == Invoice.coin_id)
        .where(Coin.chain_id == chain_id, Invoice.pay_deadline >= now - window)
    ).all()  # fmt: skip
    by_token: dict[str | None, dict[str, WatchedInvoice]] = {}
    by_hash: dict[str, WatchedInvoice] = {}
    for invoice_id, invoice_hash, store_id, coin_id, deposit, pay_deadline, token in rows:
        watched = WatchedInvoice(
            id=invoice_id,
            invoice_hash=invoice_hash.lower(),
            store_id=store_id,
            coin_id=coin_id,
            token=token.lower() if token else None,
            deposit_address=(deposit or "").lower(),
            pay_deadline=pay_deadline,
        )
        by_hash[watched.invoice_hash] = watched
        if deposit:
            by_token.setdefault(watched.token, {})[watched.deposit_address] = watched
    eth_coin = session.scalar(
        select(Coin.id).where(Coin.chain_id == chain_id, Coin.address.is_(None))
    )
    return Watchlist(by_token, by_hash, eth_coin)
