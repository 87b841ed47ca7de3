"""The physical floor: an OpenZeppelin ERC-20 transfer to an address that already holds tokens."""

from __future__ import annotations

from bench.common import BenchContext, Measurement


def plain_transfer_gas(ctx: BenchContext) -> int:
    admin, holder, receiver = ctx.admin, ctx.account(5), ctx.account(6)
    coin = admin.deploy(ctx.project.EMoney, "Bench Coin", "BNC", 18, admin)
    coin.grantRole(coin.MINTER_ROLE(), admin, sender=admin)
    coin.mint(holder, 10**24, b"\x00" * 32, sender=admin)
    coin.mint(receiver, 1, b"\x00" * 32, sender=admin)
    return int(coin.transfer(receiver, 10**18, sender=holder).gas_used)


def run(ctx: BenchContext) -> list[Measurement]:
    return [
        Measurement.gas(
            "floor",
            "ERC-20 transfer (EMoney, receiver already holds)",
            plain_transfer_gas(ctx),
            reference="34,453 (OpenZeppelin 5 ERC-20, TOOLCHAIN.md)",
        )
    ]
