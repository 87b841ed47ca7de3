"""Customers (the seed's figures), their accounts, and their multi-coin wallets."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from coinpos.db.base import Base
from coinpos.db.types import UtcDateTime, str_enum, utcnow


class CustomerType(enum.StrEnum):
    INDIVIDUAL = "individual"
    BUSINESS = "business"


class Customer(Base):
    __tablename__ = "customers"

    id: Mapped[int] = mapped_column(primary_key=True)
    login_id: Mapped[str] = mapped_column(String(64), unique=True)
    # argon2id encoded hash (argon2-cffi); never the password itself.
    password_hash: Mapped[str] = mapped_column(String(255))
    name: Mapped[str] = mapped_column(String(200))
    customer_type: Mapped[CustomerType] = mapped_column(str_enum(CustomerType, "customer_type"))
    language: Mapped[str] = mapped_column(String(16))
    country_code: Mapped[str] = mapped_column(String(2))
    phone: Mapped[str | None] = mapped_column(String(32))
    email: Mapped[str | None] = mapped_column(String(254))
    device_type: Mapped[str | None] = mapped_column(String(32))
    subscribed_on: Mapped[date]
    bank_name: Mapped[str | None] = mapped_column(String(100))
    bank_account_number: Mapped[str | None] = mapped_column(String(64))
    # Degrees times 10**6, the same integers the GeoRewards contract uses.
    latitude_e6: Mapped[int | None]
    longitude_e6: Mapped[int | None]
    affiliated_group: Mapped[str | None] = mapped_column(String(100))
    # Unregistering deactivates rather than deletes: payments and payouts keep their customer.
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    unregistered_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class Account(Base):
    """An address a customer uses, with the account code the exchange knows it by."""

    __tablename__ = "accounts"
    __table_args__ = (UniqueConstraint("customer_id", "account_code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    address: Mapped[str] = mapped_column(String(42), unique=True)
    account_code: Mapped[str] = mapped_column(String(32))


class Wallet(Base):
    """A coinpos MultiCoinWallet (a CREATE2 address, known before it is deployed)."""

    __tablename__ = "wallets"
    __table_args__ = (UniqueConstraint("chain_id", "address"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    chain_id: Mapped[int]
    address: Mapped[str] = mapped_column(String(42))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class WalletCoin(Base):
    """A coin allocated to a wallet; balances are read from the chain, not stored."""

    __tablename__ = "wallet_coins"
    __table_args__ = (UniqueConstraint("wallet_id", "coin_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    wallet_id: Mapped[int] = mapped_column(ForeignKey("wallets.id"))
    coin_id: Mapped[int] = mapped_column(ForeignKey("coins.id"))
