from __future__ import annotations

import csv
import io
from collections.abc import Callable

import pytest

from coinpos.db.models import PayoutStatus
from coinpos.settlement.payouts import EXPORT_COLUMNS, export_payouts, list_payouts
from coinpos.settlement.service import SettlementRequest, request_settlement, settlement_reference
from coinpos.unit_of_work import UnitOfWork
from coinpos.validation import InvalidInputError
from tests.offchain.settlement.conftest import NOW, Shop


def _settle(shop: Shop, key: str, amount: int, fee_bps: int = 0) -> None:
    with UnitOfWork(shop.engine) as uow:
        request_settlement(
            uow,
            SettlementRequest(shop.store.store_id, shop.coin.symbol, key, amount, fee_bps),
            now=NOW,
        )


@pytest.mark.postgres
def test_export__writes_pending_payouts_once_with_currency_places(
    make_shop: Callable[..., Shop],
) -> None:
    shop = make_shop(fiat="USD")
    shop.capture(1_000_00)
    shop.rate("1.5")
    _settle(shop, "a", 100_00)
    _settle(shop, "b", 1_00, fee_bps=100)
    out = io.StringIO()
    with UnitOfWork(shop.engine) as uow:
        assert export_payouts(uow, out, now=NOW) == 2
    rows = list(csv.reader(io.StringIO(out.getvalue())))
    assert tuple(rows[0]) == EXPORT_COLUMNS
    assert [r[1] for r in rows[1:]] == [settlement_reference("a"), settlement_reference("b")]
    assert [r[7] for r in rows[1:]] == ["150.00", "1.48"]  # fee 0.015 rounds half-even to 0.02
    assert rows[1][3:6] == ["Gangnam Cafe", "Hana Bank", "123-456-789"]
    with UnitOfWork(shop.engine) as uow:
        assert {p.status for p in list_payouts(uow)} == {PayoutStatus.EXPORTED}
        again = io.StringIO()
        assert export_payouts(uow, again, now=NOW) == 0
        assert again.getvalue().strip() == ",".join(EXPORT_COLUMNS)


@pytest.mark.postgres
def test_mark_paid__pending_or_exported_become_paid__paid_is_final(
    make_shop: Callable[..., Shop],
) -> None:
    from coinpos.settlement.payouts import PayoutError, mark_paid

    shop = make_shop()
    shop.capture(1_000_00)
    shop.rate("1000")
    _settle(shop, "a", 10_00)
    _settle(shop, "b", 10_00)
    with UnitOfWork(shop.engine) as uow:
        first, second = (p.id for p in list_payouts(uow))
    with UnitOfWork(shop.engine) as uow:
        export_payouts(uow, io.StringIO(), now=NOW)  # both exported
    with UnitOfWork(shop.engine) as uow:
        paid = mark_paid(uow, first, "HANA-20261123-0001", now=NOW)
        assert (paid.status, paid.paid_at, paid.bank_reference) == (
            PayoutStatus.PAID,
            NOW,
            "HANA-20261123-0001",
        )
    with UnitOfWork(shop.engine) as uow:
        with pytest.raises(PayoutError, match=f"payout {first} is already paid on 2026-11-23"):
            mark_paid(uow, first)
        with pytest.raises(PayoutError, match="no payout 99"):
            mark_paid(uow, 99)
        with pytest.raises(InvalidInputError, match="bank reference must not be empty"):
            mark_paid(uow, second, "  ")
    with UnitOfWork(shop.engine) as uow:
        statuses = [(p.id, p.status, p.bank_reference) for p in list_payouts(uow)]
    assert statuses == [
        (first, PayoutStatus.PAID, "HANA-20261123-0001"),
        (second, PayoutStatus.EXPORTED, None),
    ]


def test_mark_paid__pending_payout_of_a_failed_settlement__is_refused(
    make_shop: Callable[..., Shop],
) -> None:
    from coinpos.db.models import SettlementStatus
    from coinpos.settlement.payouts import PayoutError, mark_paid

    shop = make_shop()
    shop.capture(1_000_00)
    shop.rate("1000")
    _settle(shop, "a", 10_00)
    _settle(shop, "b", 10_00)
    with UnitOfWork(shop.engine) as uow:
        failed, pending = list_payouts(uow)
        failed.settlement.status = SettlementStatus.FAILED
        failed_id, pending_id = failed.id, pending.id
        uow.commit()
    with UnitOfWork(shop.engine) as uow:
        with pytest.raises(PayoutError, match="failed on chain"):
            mark_paid(uow, failed_id)
        assert mark_paid(uow, pending_id).status is PayoutStatus.PAID  # pending → paid directly
    with UnitOfWork(shop.engine) as uow:
        assert [p.status for p in list_payouts(uow)] == [PayoutStatus.PENDING, PayoutStatus.PAID]
