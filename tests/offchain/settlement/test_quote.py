"""The settlement quote the sales page shows before confirming: the same amount, rate, fee
and payout the request then records, and refused where the request would be."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from coinpos.rates.errors import StaleRateError
from coinpos.settlement.quote import available_balances, quote_settlement
from coinpos.settlement.service import (
    OverSettlementError,
    SettlementError,
    SettlementRequest,
    request_settlement,
)
from coinpos.unit_of_work import UnitOfWork
from coinpos.validation import InvalidInputError
from tests.offchain.settlement.conftest import NOW, Shop


@pytest.mark.parametrize("amount", [None, 4_000, 1])
def test_quote__then_request__records_the_quoted_figures(shop: Shop, amount: int | None) -> None:
    shop.capture(10_000)
    shop.rate("1234.5678")
    with UnitOfWork(shop.engine) as uow:
        quote = quote_settlement(uow, shop.store.store_id, "CPW", amount, now=NOW)
    with UnitOfWork(shop.engine) as uow:
        made = request_settlement(
            uow, SettlementRequest(shop.store.store_id, "CPW", "q-1", amount), now=NOW
        )
        recorded = (made.amount, made.rate, made.rate_id, made.gross_fiat, made.fee_fiat)
        net = made.net_fiat
    assert (quote.amount, quote.rate, quote.rate_id, quote.gross, quote.fee) == recorded
    assert quote.net == net and quote.whole is (amount is None)
    assert quote.available == 10_000


def test_quote__values_the_coins_down_to_the_currency_unit(shop: Shop) -> None:
    shop.capture(10_000)
    shop.rate("1000.009")  # 40 CPW are worth 40000.36 KRW: paid 40000 (the won has no cents)
    with UnitOfWork(shop.engine) as uow:
        quote = quote_settlement(uow, shop.store.store_id, "CPW", 4_000, now=NOW)
    assert (quote.gross, quote.fee, quote.net) == (Decimal(40000), Decimal(400), Decimal(39600))


def test_quote__more_than_the_balance__refused(shop: Shop) -> None:
    shop.capture(10_000)
    shop.capture(5_000, confirmed=False)
    shop.rate("1000")
    with UnitOfWork(shop.engine) as uow, pytest.raises(OverSettlementError, match="only 100"):
        quote_settlement(uow, shop.store.store_id, "CPW", 10_001, now=NOW)


def test_quote__no_confirmed_balance__refused(shop: Shop) -> None:
    shop.capture(5_000, confirmed=False)
    shop.rate("1000")
    with UnitOfWork(shop.engine) as uow, pytest.raises(SettlementError, match="no confirmed"):
        quote_settlement(uow, shop.store.store_id, "CPW", now=NOW)


def test_quote__stale_rate__refused(shop: Shop) -> None:
    shop.capture(10_000)
    shop.rate("1000", age=timedelta(hours=2))
    with UnitOfWork(shop.engine) as uow, pytest.raises(StaleRateError):
        quote_settlement(uow, shop.store.store_id, "CPW", now=NOW)


def test_quote__zero_amount__refused(shop: Shop) -> None:
    shop.capture(10_000)
    shop.rate("1000")
    with UnitOfWork(shop.engine) as uow, pytest.raises(InvalidInputError):
        quote_settlement(uow, shop.store.store_id, "CPW", 0, now=NOW)


def test_available_balances__captured_less_settled(shop: Shop) -> None:
    shop.capture(10_000)
    shop.rate("1000")
    with UnitOfWork(shop.engine) as uow:
        request_settlement(
            uow, SettlementRequest(shop.store.store_id, "CPW", "q-2", 2_500), now=NOW
        )
    with UnitOfWork(shop.engine) as uow:
        [(coin, available)] = available_balances(uow, shop.store.store_id)
        assert (coin.symbol, available) == ("CPW", 7_500)
