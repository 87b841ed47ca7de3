"""A customer's wallets with every coin's balance, read on chain in one `holdings()` call per
wallet, and each balance's fiat value at the current rate."""

from __future__ import annotations

from dataclasses import dataclass

from eth_abi.abi import decode
from eth_utils.abi import function_signature_to_4byte_selector
from eth_utils.address import to_checksum_address
from sqlalchemy import select

from coinpos.db.models import Coin, Wallet
from coinpos.invoices.terms import ZERO_ADDRESS
from coinpos.rates.valuation import Valuation, Valuer
from coinpos.tracker.rpc import JsonRpcClient
from coinpos.unit_of_work import UnitOfWork

_HOLDINGS = "0x" + bytes(function_signature_to_4byte_selector("holdings()")).hex()


@dataclass(frozen=True)
class Holding:
    token: str
    coin: Coin | None
    balance: int
    value: Valuation | None


@dataclass(frozen=True)
class WalletHoldings:
    wallet: Wallet
    holdings: list[Holding]


def read_holdings(rpc: JsonRpcClient, wallet: str) -> list[tuple[str, int]]:
    """(token, balance) of each coin allocated to the wallet; ETH is the zero address."""
    raw = rpc.call("eth_call", [{"to": wallet, "data": _HOLDINGS}, "latest"])
    data = bytes.fromhex(str(raw).removeprefix("0x"))
    if not data:
        return []  # not deployed yet: a CREATE2 address holds nothing until it is
    [rows] = decode(["(address,uint256)[]"], data)
    return [(to_checksum_address(token), int(balance)) for token, balance in rows]


def customer_wallets(uow: UnitOfWork, customer_id: int) -> list[Wallet]:
    return list(
        uow.session.scalars(
            select(Wallet).where(Wallet.customer_id == customer_id).order_by(Wallet.id)
        )
    )


def wallet_holdings(
    uow: UnitOfWork, wallets: list[Wallet], rpc: JsonRpcClient, fiat: str
) -> list[WalletHoldings]:
    valuer = Valuer(uow.session)
    result = []
    for wallet in wallets:
        coins = {
            (coin.address or ZERO_ADDRESS): coin
            for coin in uow.session.scalars(select(Coin).where(Coin.chain_id == wallet.chain_id))
        }
        holdings = []
        for token, balance in read_holdings(rpc, wallet.address):
            coin = coins.get(token)
            value = (
                None if coin is None else valuer.value(coin.symbol, coin.decimals, balance, fiat)
            )
            holdings.append(Holding(token, coin, balance, value))
        result.append(WalletHoldings(wallet, holdings))
    return result
