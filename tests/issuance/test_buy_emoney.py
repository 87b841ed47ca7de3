"""Buying e-money on a real chain and a real database: recorded first, minted once per bank
reference, resumed after a crash between the mint and its record, refused when repeated."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import Engine, func, select

from coinpos.db.models import Coin, FiatDeposit, FiatDepositStatus
from coinpos.issuance.chain import ApeMinter
from coinpos.issuance.service import (
    DuplicateDepositError,
    FiatPayment,
    MintError,
    WrongCurrencyError,
    buy_emoney,
    mint_reference,
    record_deposit,
)
from coinpos.unit_of_work import UnitOfWork
from coinpos.validation import InvalidInputError


def payment(customer: Any, reference: str = "BANK-1", amount: str = "25.10") -> FiatPayment:
    return FiatPayment("minji", str(customer.address), "USD", Decimal(amount), reference)


def deposits(engine: Engine) -> list[tuple[Any, ...]]:
    """(status, amount, fiat amount, tx hash, failure reason) of every deposit."""
    with UnitOfWork(engine) as uow:
        rows = uow.session.scalars(select(FiatDeposit).order_by(FiatDeposit.id))
        return [(r.status, r.amount, r.fiat_amount, r.tx_hash, r.failure_reason) for r in rows]


def test_buy__records_then_mints_with_keccak_of_the_bank_reference(
    engine: Engine,
    cpw: Coin,
    emoney: Any,
    minter: Any,
    customer: Any,
) -> None:
    with UnitOfWork(engine) as uow:
        done = buy_emoney(uow, payment(customer), cpw, "USD", ApeMinter(emoney, minter))
    assert emoney.balanceOf(customer) == 2510
    assert deposits(engine) == [
        (FiatDepositStatus.MINTED, 2510, Decimal("25.10"), done.tx_hash, None)
    ]
    (issued,) = emoney.Issued.query("*").itertuples()
    assert bytes(issued.event_arguments["reference_"]) == mint_reference("BANK-1")


def test_buy__same_bank_reference_again__refused_and_nothing_minted(
    engine: Engine,
    cpw: Coin,
    emoney: Any,
    minter: Any,
    customer: Any,
) -> None:
    minting = ApeMinter(emoney, minter)
    with UnitOfWork(engine) as uow:
        buy_emoney(uow, payment(customer), cpw, "USD", minting)
    with UnitOfWork(engine) as uow, pytest.raises(DuplicateDepositError, match="already paid out"):
        buy_emoney(uow, payment(customer), cpw, "USD", minting)
    assert emoney.balanceOf(customer) == 2510
    assert len(deposits(engine)) == 1


def test_buy__crash_after_the_mint__rerun_records_it_without_minting_again(
    engine: Engine,
    cpw: Coin,
    emoney: Any,
    minter: Any,
    customer: Any,
) -> None:
    with UnitOfWork(engine) as uow:
        record_deposit(uow, payment(customer), cpw, "USD")
    # The process minted, then died before marking the deposit minted.
    receipt = emoney.mint(customer, 2510, mint_reference("BANK-1"), sender=minter)
    with UnitOfWork(engine) as uow:
        done = buy_emoney(uow, payment(customer), cpw, "USD", ApeMinter(emoney, minter))
    assert done.status is FiatDepositStatus.MINTED and done.tx_hash == receipt.txn_hash
    assert emoney.balanceOf(customer) == 2510


def test_buy__mint_refused__deposit_failed_then_retried_once_the_role_is_granted(
    engine: Engine,
    cpw: Coin,
    emoney: Any,
    admin: Any,
    stranger: Any,
    customer: Any,
) -> None:
    with UnitOfWork(engine) as uow, pytest.raises(MintError):
        buy_emoney(uow, payment(customer), cpw, "USD", ApeMinter(emoney, stranger))
    ((status, *_, reason),) = deposits(engine)
    assert status is FiatDepositStatus.FAILED and "AccessControl" in reason
    emoney.grantRole(emoney.MINTER_ROLE(), stranger, sender=admin)
    with UnitOfWork(engine) as uow:
        buy_emoney(uow, payment(customer), cpw, "USD", ApeMinter(emoney, stranger))
    assert emoney.balanceOf(customer) == 2510


def test_buy__same_reference_for_another_amount__refused(
    engine: Engine,
    cpw: Coin,
    customer: Any,
) -> None:
    with UnitOfWork(engine) as uow:
        record_deposit(uow, payment(customer), cpw, "USD")
    with UnitOfWork(engine) as uow, pytest.raises(DuplicateDepositError, match="another payment"):
        record_deposit(uow, payment(customer, amount="30"), cpw, "USD")


@pytest.mark.parametrize(
    ("fiat", "amount", "error", "match"),
    [
        ("EUR", "10", WrongCurrencyError, "pegged to USD"),
        ("USD", "10.001", InvalidInputError, "more than the coin's 2 decimal places"),
        ("USD", "0", InvalidInputError, "must be a positive number"),
        ("XYZ", "10", Exception, "unknown fiat currency"),
    ],
)
def test_record__bad_payment__refused_and_nothing_written(
    engine: Engine,
    cpw: Coin,
    customer: Any,
    fiat: str,
    amount: str,
    error: type,
    match: str,
) -> None:
    bad = FiatPayment("minji", str(customer.address), fiat, Decimal(amount), "BANK-9")
    with UnitOfWork(engine) as uow, pytest.raises(error, match=match):
        record_deposit(uow, bad, cpw, "USD")
    with UnitOfWork(engine) as uow:
        assert uow.session.scalar(select(func.count()).select_from(FiatDeposit)) == 0
