"""Every model, one module per area, re-exported here so Base.metadata knows all tables."""

from coinpos.db.models.access import ApiKey, CustomerSession, KeyRole, LoginFailure
from coinpos.db.models.catalogue import CatalogueItem
from coinpos.db.models.coins import Coin
from coinpos.db.models.customers import Account, Customer, CustomerType, Wallet, WalletCoin
from coinpos.db.models.idempotency import IdempotencyRecord
from coinpos.db.models.invoice_events import InvoiceEvent
from coinpos.db.models.invoices import (
    Invoice,
    InvoiceExceptionStatus,
    InvoiceLine,
    InvoiceStatus,
)
from coinpos.db.models.issuance import FiatDeposit, FiatDepositStatus
from coinpos.db.models.mining import (
    ClaimStatus,
    MiningCampaign,
    MiningClaim,
    MiningFix,
    RejectionReason,
)
from coinpos.db.models.outbox import Notification, NotificationStatus
from coinpos.db.models.rates import ExchangeRate, RateSource
from coinpos.db.models.settlements import (
    FeeBalance,
    Payout,
    PayoutStatus,
    Settlement,
    SettlementBatch,
    SettlementStatus,
    StoreBalance,
)
from coinpos.db.models.stores import Store, Terminal
from coinpos.db.models.tracker import EthDepositSweep, TrackedBlock, TrackerCursor
from coinpos.db.models.transactions import (
    ESCROW_EVENT_KINDS,
    REQUEST_KINDS,
    TransactionAttempt,
    TransactionLogEntry,
    TxKind,
    TxStatus,
    ValidTransaction,
)
from coinpos.db.models.webhooks import (
    DeliveryStatus,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
    WebhookSubscription,
)

__all__ = [
    "ESCROW_EVENT_KINDS",
    "REQUEST_KINDS",
    "Account",
    "ApiKey",
    "CatalogueItem",
    "ClaimStatus",
    "Coin",
    "Customer",
    "CustomerSession",
    "CustomerType",
    "DeliveryStatus",
    "EthDepositSweep",
    "ExchangeRate",
    "FeeBalance",
    "FiatDeposit",
    "FiatDepositStatus",
    "IdempotencyRecord",
    "Invoice",
    "InvoiceEvent",
    "InvoiceExceptionStatus",
    "InvoiceLine",
    "InvoiceStatus",
    "KeyRole",
    "LoginFailure",
    "MiningCampaign",
    "MiningClaim",
    "MiningFix",
    "Notification",
    "NotificationStatus",
    "Payout",
    "PayoutStatus",
    "RateSource",
    "RejectionReason",
    "Settlement",
    "SettlementBatch",
    "SettlementStatus",
    "Store",
    "StoreBalance",
    "Terminal",
    "TrackedBlock",
    "TrackerCursor",
    "TransactionAttempt",
    "TransactionLogEntry",
    "TxKind",
    "TxStatus",
    "ValidTransaction",
    "Wallet",
    "WalletCoin",
    "WebhookDelivery",
    "WebhookEndpoint",
    "WebhookEvent",
    "WebhookSubscription",
]
