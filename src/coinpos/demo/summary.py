"""The closing check of the story: what the chain holds and what the database says agree.

The escrow keeps no per-store balance (v2): the ledger's totals are checked against its pools
per token with `coinpos reconcile`'s service (held, captured-not-settled, fees, owed), and
what the treasury received against the settlements the ledger settled.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from coinpos.db.models import (
    Coin,
    MiningClaim,
    Settlement,
    SettlementStatus,
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
    from coinpos.reconcile.service import reconcile
    from coinpos.tracker.chain import ChainReader
    from coinpos.tracker.rpc import JsonRpcClient

    with Session(ctx.engine) as session:
        report = reconcile(
            session, ChainReader(JsonRpcClient(str(ctx.chain.provider.uri))), escrow.address
        )
        decimals = {s: d for s, d in session.execute(select(Coin.symbol, Coin.decimals)).tuples()}
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
    pools = [
        Agreement(
            f"{line.coin} {line.field} (ledger vs escrow pool)",
            line.chain,
            line.ledger,
            (decimals.get(line.coin, 18), line.coin),
        )
        for line in report.lines
    ]
    return [
        *pools,
        Agreement(
            "settled to the treasury",
            int(emoney.balanceOf(escrow.treasury())),
            settled,
            coin,
        ),
        Agreement("mining claims paid", claims, int(rewarded or 0)),
    ]
