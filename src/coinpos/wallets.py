"""MultiCoinWallet inputs: the coins to allocate and the CREATE2 salt, from what a user types."""

from __future__ import annotations

from eth_utils.crypto import keccak
from sqlalchemy import select

from coinpos.db.models import Coin
from coinpos.invoices.terms import ZERO_ADDRESS
from coinpos.stores.service import get_coin
from coinpos.unit_of_work import UnitOfWork
from coinpos.validation import address, bytes32


def coin_address(uow: UnitOfWork, coin: str, chain_id: int) -> tuple[str, int | None]:
    """(address, coin id if the exchange knows it) of a symbol or a token address.

    ETH, the chain's native coin, is the zero address.
    """
    if coin.startswith("0x"):
        token = address(coin, "coin")
        known = uow.session.scalars(
            select(Coin.id).where(Coin.chain_id == chain_id, Coin.address == token)
        ).one_or_none()
        return token, known
    found = get_coin(uow, coin, chain_id)
    return found.address or ZERO_ADDRESS, found.id


def wallet_salt(text: str) -> bytes:
    """A 0x bytes32 as given; other text, its keccak256; nothing, 32 zero bytes."""
    if not text:
        return bytes(32)
    if text.startswith("0x"):
        return bytes.fromhex(bytes32(text, "salt")[2:])
    return keccak(text=text)
