"""The closing check of the story: what the chain holds and what the database says agree."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from coinpos.db.models import (
    MiningClaim,
    Settlement,
    SettlementStatus,
    StoreBalance,
)
from coinpos.db.models.mining import ClaimStatus
from coinpos.demo.context import DemoContext
from coinpos.money import format_amount


@dataclass(frozen=True)
class Agreement:
    what: str
    chain: int
    database: int
    # (decimals, symbol) when the figures are base units of a coin; None for a count.
    coin: tuple[int, str] | None = None

    @property
    def agrees(self) -> bool:
        return self.chain == self.database

    def shown(self, value: int) -> str:
        return str(value) if self.coin is None else format_amount(value, *self.coin)


def agreements(ctx: DemoContext, store_id: str) -> list[Agreement]:
    emoney = ctx.contract("EMoney")
    escrow = ctx.contract("PaymentEscrow")
    geo = ctx.contract("GeoRewards")
    with Session(ctx.engine) as session:
        balance = session.scalars(
            select(StoreBalance).where(StoreBalance.store_id == store_id)
        ).one()
        settled = sum(
            session.scalars(
                select(Settlement.amount).where(
                    Settlement.store_id == store_id, Settlement.status == SettlementStatus.SETTLED
                )
            )
        )
        rewarded = session.scalar(
            select(func.count())
            .select_from(MiningClaim)
            .where(MiningClaim.status == ClaimStatus.SUBMITTED)
        )
    claims = sum(int(geo.campaign(i).claims) for i in range(1, int(geo.campaignCount()) + 1))
    coin = (int(emoney.decimals()), str(emoney.symbol()))
    return [
        Agreement(
            "store balance in escrow",
            int(escrow.storeBalance(store_id, emoney.address)),
            balance.available,
            coin,
        ),
        Agreement(
            "settled to the treasury",
            int(emoney.balanceOf(escrow.treasury())),
            settled,
            coin,
        ),
        Agreement("mining claims paid", claims, int(rewarded or 0)),
    ]
