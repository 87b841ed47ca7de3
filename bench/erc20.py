"""The physical floor: an ERC-20 transfer to an address that already holds tokens.

Both figures come from this run: the e-money (OpenZeppelin ERC-20 with permit and roles)
and, as its reference, a plain OpenZeppelin 5 ERC-20 (the TestToken double).
"""

from __future__ import annotations

from typing import Any

from bench.common import BenchContext, Measurement


def _transfer_gas(ctx: BenchContext, coin: Any, mint: Any) -> int:
    holder, receiver = ctx.account(5), ctx.account(6)
    mint(holder, 10**24)
    mint(receiver, 1)
    return int(coin.transfer(receiver, 10**18, sender=holder).gas_used)


def plain_transfer_gas(ctx: BenchContext) -> int:
    """The e-money's transfer to a holder: the floor other gas figures are compared with."""
    admin = ctx.admin
    coin = admin.deploy(ctx.project.EMoney, "Bench Coin", "BNC", 18, admin)
    coin.grantRole(coin.MINTER_ROLE(), admin, sender=admin)
    return _transfer_gas(
        ctx, coin, lambda to, amount: coin.mint(to, amount, b"\x00" * 32, sender=admin)
    )


def openzeppelin_transfer_gas(ctx: BenchContext) -> int:
    """A plain OpenZeppelin 5 ERC-20's transfer to a holder."""
    admin = ctx.admin
    coin = admin.deploy(ctx.project.TestToken, "Plain Coin", "PLN")
    return _transfer_gas(ctx, coin, lambda to, amount: coin.mint(to, amount, sender=admin))


def run(ctx: BenchContext) -> list[Measurement]:
    plain = openzeppelin_transfer_gas(ctx)
    return [
        Measurement.gas(
            "floor",
            "ERC-20 transfer (EMoney, receiver already holds)",
            plain_transfer_gas(ctx),
            reference=f"{plain:,} (plain OpenZeppelin 5 ERC-20, same run)",
        ),
        Measurement.gas("floor", "ERC-20 transfer (plain OpenZeppelin 5 ERC-20)", plain),
    ]
