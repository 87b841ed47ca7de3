"""`GET /stores/{store_id}/catalogue`: items with stock, e-money and fiat prices."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from coinpos.catalogue.pricing import priced_catalogue
from coinpos.catalogue.schemas import CatalogueItemOut, CatalogueOut
from coinpos.server.auth import StoreId, Terminal
from coinpos.server.database import get_uow
from coinpos.server.money import coin_amount, fiat_amount
from coinpos.unit_of_work import UnitOfWork

router = APIRouter(tags=["catalogue"])


@router.get("/stores/{store_id}/catalogue", response_model=CatalogueOut)
def get_catalogue(
    store_id: StoreId, principal: Terminal, uow: Annotated[UnitOfWork, Depends(get_uow)]
) -> CatalogueOut:
    items = [
        CatalogueItemOut(
            sku=priced.item.sku,
            name=priced.item.name,
            stock=priced.item.stock,
            price=coin_amount(priced.coin.symbol, priced.coin.decimals, priced.item.price),
            fiat_price=fiat_amount(priced.fiat_price),
        )
        for priced in priced_catalogue(uow, principal.store_id)
    ]
    return CatalogueOut(store_id=principal.store_id, items=items)
