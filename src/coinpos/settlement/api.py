"""Manager routes of settlement: request part or all of a store's balance (the rate locked
at request time by the settlement service), and follow it."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request
from sqlalchemy import select

from coinpos.chainops.api import ledger_key
from coinpos.chainops.sender import TransactionSender
from coinpos.db.models import Settlement
from coinpos.money import parse_decimal, to_base_units
from coinpos.server.auth import MANAGER_ROUTE, Manager, StoreId
from coinpos.server.database import get_uow
from coinpos.server.idempotency import idempotency_key
from coinpos.server.money import coin_amount, decimal_text
from coinpos.server.problems import not_found
from coinpos.settlement.schemas import SettlementIn, SettlementOut
from coinpos.settlement.service import SettlementRequest, request_settlement
from coinpos.stores.service import get_coin
from coinpos.unit_of_work import UnitOfWork

router = APIRouter(tags=["settlements"])

UoW = Annotated[UnitOfWork, Depends(get_uow)]


def _out(settlement: Settlement) -> SettlementOut:
    coin = settlement.coin
    return SettlementOut(
        id=settlement.reference,
        store_id=settlement.store_id,
        settled=coin_amount(coin.symbol, coin.decimals, settlement.amount),
        fiat=settlement.fiat,
        rate=decimal_text(settlement.rate),
        fee_bps=settlement.fee_bps,
        gross=decimal_text(settlement.gross_fiat),
        fee=decimal_text(settlement.fee_fiat),
        net=decimal_text(settlement.net_fiat),
        status=settlement.status.value,
        tx_hash=settlement.log_entry.tx_hash,
        failure_reason=settlement.log_entry.failure_reason,
        requested_at=settlement.requested_at,
    )


@router.post(
    "/stores/{store_id}/settlements",
    status_code=201,
    response_model=SettlementOut,
    openapi_extra=MANAGER_ROUTE,
)
def create_settlement(
    request: Request,
    store_id: StoreId,
    body: SettlementIn,
    principal: Manager,
    uow: UoW,
    key: Annotated[str | None, Depends(idempotency_key)],
) -> SettlementOut:
    """The settlement is recorded (rate locked, amount reserved) and stays requested until
    the next settlement run (`coinpos settle send`) carries it on chain with every other
    store's. With a node, the escrow's captured pool is checked to cover it first."""
    coin = get_coin(uow, body.coin)
    wanted = SettlementRequest(
        store_id=principal.store_id,
        coin=coin.symbol,
        idempotency_key=ledger_key(principal.store_id, key),
        amount=None
        if body.amount is None
        else to_base_units(parse_decimal(body.amount), coin.decimals),
        chain_id=coin.chain_id,
    )
    sender: TransactionSender | None = request.app.state.sender
    if sender is None:
        settlement = request_settlement(uow, wanted)
    else:
        from coinpos.chainops.settlement import request_checked

        settlement = request_checked(uow, wanted, sender.escrow)
    return _out(settlement)


@router.get(
    "/stores/{store_id}/settlements/{settlement_id}",
    response_model=SettlementOut,
    openapi_extra=MANAGER_ROUTE,
)
def get_settlement(
    store_id: StoreId,
    settlement_id: Annotated[str, Path(pattern=r"^0x[0-9a-fA-F]{64}$")],
    principal: Manager,
    uow: UoW,
) -> SettlementOut:
    found = uow.session.scalars(
        select(Settlement).where(
            Settlement.reference == settlement_id.lower(),
            Settlement.store_id == principal.store_id,
        )
    ).one_or_none()
    if found is None:
        raise not_found(f"settlement {settlement_id}")
    return _out(found)
