"""A customer's history: invoices they paid, e-money they bought, location rewards.

An invoice counts as theirs when one of their accounts or wallets paid it: the payer the
invoice names, or the sender of a confirmed payment to it (a transfer to its deposit
address, or a direct pay), which is how an open counter invoice paid from their wallet
becomes theirs. E-money bought is their minted fiat deposits; rewards are their approved or
submitted mining claims.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import func, or_, select

from coinpos.db.models import (
    Account,
    ClaimStatus,
    Coin,
    FiatDeposit,
    FiatDepositStatus,
    Invoice,
    InvoiceStatus,
    MiningCampaign,
    MiningClaim,
    TransactionLogEntry,
    TxKind,
    TxStatus,
    Wallet,
)
from coinpos.unit_of_work import UnitOfWork


@dataclass(frozen=True)
class HistoryEntry:
    kind: str  # "invoice_paid", "emoney_bought" or "reward"
    at: datetime
    coin: str | None
    decimals: int | None
    amount: int
    reference: str
    status: str


def _addresses(uow: UnitOfWork, customer_id: int) -> list[str]:
    accounts = uow.session.scalars(
        select(Account.address).where(Account.customer_id == customer_id)
    )
    wallets = uow.session.scalars(select(Wallet.address).where(Wallet.customer_id == customer_id))
    return [*accounts, *wallets]


def customer_history(uow: UnitOfWork, customer_id: int, limit: int = 100) -> list[HistoryEntry]:
    addresses = _addresses(uow, customer_id)
    entries: list[HistoryEntry] = []
    paid = select(Invoice, Coin).join(Coin, Coin.id == Invoice.coin_id)
    lowered = [a.lower() for a in addresses]
    sent_by_them = select(TransactionLogEntry.invoice_id).where(
        TransactionLogEntry.kind == TxKind.PAYMENT,
        TransactionLogEntry.status == TxStatus.CONFIRMED,
        func.lower(TransactionLogEntry.sender).in_(lowered),
    )
    paid = paid.where(
        or_(func.lower(Invoice.payer).in_(lowered), Invoice.id.in_(sent_by_them)),
        Invoice.status.in_([InvoiceStatus.PROCESSING, InvoiceStatus.SETTLED]),
    )
    for invoice, coin in uow.session.execute(paid).tuples():
        entries.append(
            HistoryEntry(
                "invoice_paid", invoice.created_at, coin.symbol, coin.decimals,
                invoice.amount_paid, invoice.invoice_hash, invoice.status.value,
            )
        )  # fmt: skip
    bought = select(FiatDeposit, Coin).join(Coin, Coin.id == FiatDeposit.coin_id)
    bought = bought.where(
        FiatDeposit.customer_id == customer_id, FiatDeposit.status == FiatDepositStatus.MINTED
    )
    for deposit, coin in uow.session.execute(bought).tuples():
        entries.append(
            HistoryEntry(
                "emoney_bought", deposit.updated_at, coin.symbol, coin.decimals,
                deposit.amount, deposit.mint_reference, deposit.status.value,
            )
        )  # fmt: skip
    rewards = select(MiningClaim, MiningCampaign).join(
        MiningCampaign, MiningCampaign.id == MiningClaim.campaign_pk
    )
    rewards = rewards.where(
        MiningClaim.recipient.in_(addresses),
        MiningClaim.status.in_([ClaimStatus.APPROVED, ClaimStatus.SUBMITTED]),
    )
    for claim, campaign in uow.session.execute(rewards).tuples():
        token_coin = uow.session.scalars(
            select(Coin).where(Coin.chain_id == campaign.chain_id, Coin.address == campaign.token)
        ).one_or_none()
        entries.append(
            HistoryEntry(
                "reward", datetime.fromtimestamp(claim.created_at, UTC),
                token_coin.symbol if token_coin else None,
                token_coin.decimals if token_coin else None,
                campaign.reward_per_claim, claim.claim_id or str(claim.id), claim.status.value,
            )
        )  # fmt: skip
    entries.sort(key=lambda e: e.at, reverse=True)
    return entries[:limit]
