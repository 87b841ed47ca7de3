"""What the wallet page shows, as text, from the services' own figures: holdings with their
rates and fiat values and the total, the history, and campaigns near a position. Nothing
is computed here that a service computes: the fiat values are the holdings service's
(CONVERSION_ROUNDING to the currency's minor unit) and the total is their exact sum."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

from coinpos.customers.history import HistoryEntry
from coinpos.customers.holdings import WalletHoldings
from coinpos.mining.nearby import NearbyCampaign
from coinpos.money import CONVERSION_ROUNDING, format_amount, quantize_fiat

HISTORY_KINDS = {
    "invoice_paid": "Purchase",
    "emoney_bought": "E-money bought",
    "reward": "Location reward",
}


def fiat_text(value: Decimal, fiat: str) -> str:
    """A fiat amount as the page writes it: grouped thousands, the currency's places."""
    return f"{value:,f} {fiat}"


def rate_text(rate: Decimal) -> str:
    return f"{rate.normalize():,f}"


def short(text: str, head: int = 6, tail: int = 4) -> str:
    return text if len(text) <= head + tail + 1 else f"{text[:head]}…{text[-tail:]}"


@dataclass(frozen=True)
class HoldingRow:
    coin: str
    token: str
    balance: str
    rate: str | None
    rate_at: str | None
    value: str | None
    value_exact: str | None  # the service's Decimal, written out, for machines


@dataclass(frozen=True)
class WalletView:
    address: str
    chain_id: int
    rows: list[HoldingRow]


@dataclass(frozen=True)
class HoldingsView:
    fiat: str
    wallets: list[WalletView]
    total: str
    total_exact: str
    unvalued: int  # holdings left out of the total: no current rate or an unknown coin
    coins: list[str]  # the symbols held, in order, for the rate chart


def holdings_view(found: list[WalletHoldings], fiat: str) -> HoldingsView:
    total = quantize_fiat(Decimal(0), fiat, CONVERSION_ROUNDING)  # zero, in the minor unit
    unvalued = 0
    coins: list[str] = []
    wallets = []
    for wallet in found:
        rows = []
        for h in wallet.holdings:
            if h.coin is None:
                rows.append(
                    HoldingRow(
                        short(h.token), h.token, f"{h.balance} base units", None, None, None, None
                    )
                )
                unvalued += 1
                continue
            if h.coin.symbol not in coins:
                coins.append(h.coin.symbol)
            balance = format_amount(h.balance, h.coin.decimals, h.coin.symbol)
            if h.value is None:
                rows.append(HoldingRow(h.coin.symbol, h.token, balance, None, None, None, None))
                unvalued += 1
                continue
            total += h.value.value
            rows.append(
                HoldingRow(
                    h.coin.symbol,
                    h.token,
                    balance,
                    f"{rate_text(h.value.rate)} {fiat}",
                    h.value.observed_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC"),
                    fiat_text(h.value.value, fiat),
                    f"{h.value.value:f}",
                )
            )
        wallets.append(WalletView(wallet.wallet.address, wallet.wallet.chain_id, rows))
    return HoldingsView(fiat, wallets, fiat_text(total, fiat), f"{total:f}", unvalued, coins)


@dataclass(frozen=True)
class HistoryRow:
    kind: str
    label: str
    at: str
    amount: str
    reference: str
    reference_short: str
    status: str


def history_rows(entries: list[HistoryEntry]) -> list[HistoryRow]:
    return [
        HistoryRow(
            kind=e.kind,
            label=HISTORY_KINDS.get(e.kind, e.kind),
            at=e.at.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC"),
            amount=f"{e.amount} base units"
            if e.coin is None or e.decimals is None
            else format_amount(e.amount, e.decimals, e.coin),
            reference=e.reference,
            reference_short=short(e.reference, 10, 6),
            status=e.status.lower(),
        )
        for e in entries
    ]


def distance_text(metres: int) -> str:
    if metres < 1000:
        return f"{metres} m"
    return f"{Decimal(metres).scaleb(-3).quantize(Decimal('0.1'))} km"


@dataclass(frozen=True)
class CampaignRow:
    campaign_id: int
    action: str
    action_short: str
    action_name: str | None  # shown as the action when known; the hash alone otherwise
    reward: str
    distance: str
    distance_m: int
    radius: str
    inside: bool
    who: str
    window: str


def campaign_rows(found: list[NearbyCampaign], now: int) -> list[CampaignRow]:
    def day(seconds: int) -> str:
        return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%d %H:%M UTC")

    return [
        CampaignRow(
            campaign_id=c.campaign_id,
            action=c.action_id,
            action_short=short(c.action_id, 10, 6),
            action_name=c.action_name,
            reward=f"{c.reward_per_claim} base units of {short(c.token)}"
            if c.coin is None or c.decimals is None
            else format_amount(c.reward_per_claim, c.decimals, c.coin),
            distance=distance_text(c.distance_m),
            distance_m=c.distance_m,
            radius=distance_text(c.radius_m),
            inside=c.inside,
            who=f"the first {c.max_claims} to claim" if c.first_come else "everyone who comes",
            window=f"until {day(c.end)}" if c.started(now) else f"from {day(c.start)}",
        )
        for c in found
    ]
