"""Wallet creation and the wallet's everyday owner operations."""

from __future__ import annotations

from typing import Any

from bench.common import BenchContext, Measurement

ETH = "0x0000000000000000000000000000000000000000"
REF = b"\x00" * 32
CREATION_REFERENCE = "Safe proxy 289,207; SimpleAccount 174,219; Light Account 143,842"


def _coin(ctx: BenchContext, symbol: str) -> Any:
    admin = ctx.admin
    coin = admin.deploy(ctx.project.EMoney, f"Bench {symbol}", symbol, 18, admin)
    coin.grantRole(coin.MINTER_ROLE(), admin, sender=admin)
    return coin


def run(ctx: BenchContext) -> list[Measurement]:
    admin, owner, receiver = ctx.admin, ctx.account(8), ctx.account(9)
    factory = admin.deploy(ctx.project.WalletFactory)
    krw, usd, extra = _coin(ctx, "BKRW"), _coin(ctx, "BUSD"), _coin(ctx, "BXTR")

    def create(salt: int, coins: list[Any]) -> tuple[int, Any]:
        salt32 = salt.to_bytes(32, "big")
        tx = factory.createWallet(owner, salt32, coins, sender=owner)
        wallet = ctx.project.MultiCoinWallet.at(factory.predictAddress(owner, salt32, coins))
        return int(tx.gas_used), wallet

    create_empty, _ = create(1, [])
    create_three, wallet = create(2, [ETH, krw, usd])
    allocate = int(wallet.allocateCoin(extra, sender=owner).gas_used)
    remove = int(wallet.removeCoin(krw, sender=owner).gas_used)
    wallet.allocateCoin(krw, sender=owner)

    owner.transfer(wallet, 10**18)
    for coin in (krw, usd):
        coin.mint(wallet, 10**24, REF, sender=admin)
        coin.mint(receiver, 1, REF, sender=admin)
    holdings = int(wallet.holdings.estimate_gas_cost(sender=owner))
    transfer_token = int(wallet.transferToken(krw, receiver, 10**18, sender=owner).gas_used)
    transfer_eth = int(wallet.transferEth(receiver, 10**17, sender=owner).gas_used)

    group = "wallet"
    return [
        Measurement.gas(
            group,
            "createWallet, no coins",
            create_empty,
            reference=CREATION_REFERENCE,
            target="≤ 100,000",
        ),
        Measurement.gas(group, "createWallet, 3 initial coins (ETH + 2 ERC-20)", create_three),
        Measurement.gas(group, "allocateCoin (4th coin)", allocate),
        Measurement.gas(group, "removeCoin (2nd of 4, order kept)", remove),
        Measurement.gas(
            group, "holdings() of 4 coins (view; eth_estimateGas, incl. 21,000 base)", holdings
        ),
        Measurement.gas(group, "transferToken (EMoney, receiver already holds)", transfer_token),
        Measurement.gas(group, "transferEth (to an account that holds ETH)", transfer_eth),
    ]
