"""Buying e-money: a fiat payment is recorded first, then the coin is minted against it.

The e-money is pegged 1:1 to one fiat currency (`emoney.fiat` in deployments/params.yaml,
USD by default): one whole coin per unit of that currency. A payment in another currency
is refused. The fiat amount converts to base units exactly: an amount with more places
than the coin's decimals is refused rather than rounded, so no rounding rule is ever applied.

The bank reference is the idempotency key:
1. the deposit is written (pending) and committed before anything is sent;
2. the mint carries `reference = keccak256(bank reference)`, which EMoney's `Issued` event
   records, so before minting the chain is asked whether that reference was issued already
   (a crash after the mint but before the commit): if so, that transaction is recorded and
   nothing is minted again;
3. the deposit is marked minted with the transaction hash.
A reference already minted is refused, with nothing changed; a pending or failed one is
resumed when the request repeats it exactly, and refused when any detail differs.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol

from eth_utils.crypto import keccak
from sqlalchemy import select

from coinpos.customers.service import get as get_customer
from coinpos.db.models import Coin, FiatDeposit, FiatDepositStatus
from coinpos.db.types import utcnow
from coinpos.errors import CoinposError
from coinpos.money import fiat_places, to_base_units
from coinpos.unit_of_work import UnitOfWork
from coinpos.validation import InvalidInputError, address, non_empty

DEFAULT_PEG = "USD"


class IssuanceError(CoinposError):
    """An e-money purchase that is refused; nothing is written."""


class DuplicateDepositError(IssuanceError):
    """The bank reference was already used for a deposit."""


class WrongCurrencyError(IssuanceError):
    """A payment in another currency than the one the e-money is pegged to."""


class MintError(IssuanceError):
    """The mint transaction failed or was refused by the node."""


class Minter(Protocol):
    """The e-money contract as issuance needs it (coinpos.issuance.chain has the ape one)."""

    def issued(self, reference: bytes) -> str | None:
        """The hash of the transaction that issued coins against `reference`, if any."""
        ...

    def mint(self, to: str, amount: int, reference: bytes) -> str:
        """Mints and waits for the receipt; returns the transaction hash or raises MintError."""
        ...


@dataclass(frozen=True)
class FiatPayment:
    """A bank payment received from a customer, to be paid out in e-money to `wallet`."""

    customer: str
    wallet: str
    fiat: str
    amount: Decimal
    bank_reference: str


def mint_reference(bank_reference: str) -> bytes:
    """The bytes32 `reference_` the mint carries: keccak256 of the bank reference."""
    return keccak(text=bank_reference)


def emoney_amount(amount: Decimal, fiat: str, peg: str, decimals: int) -> int:
    """Base units of e-money bought by `amount` of `fiat`, at the 1:1 peg, exactly."""
    fiat_places(fiat)
    if fiat != peg:
        raise WrongCurrencyError(f"the e-money is pegged to {peg}; a {fiat} payment is refused")
    if not isinstance(amount, Decimal) or not amount.is_finite() or amount <= 0:
        raise InvalidInputError(f"fiat amount {amount} must be a positive number")
    try:
        return to_base_units(amount, decimals)
    except CoinposError:
        raise InvalidInputError(
            f"fiat amount {amount} has more than the coin's {decimals} decimal places"
        ) from None


def get_deposit(uow: UnitOfWork, bank_reference: str) -> FiatDeposit | None:
    return uow.session.scalars(
        select(FiatDeposit).where(FiatDeposit.bank_reference == bank_reference)
    ).one_or_none()


def record_deposit(uow: UnitOfWork, payment: FiatPayment, coin: Coin, peg: str) -> FiatDeposit:
    """The pending deposit for `payment`, committed; a repeated reference is checked instead.

    A new reference is written. A reference already minted is refused; a pending or failed
    one is returned to be resumed, if the request is the same one.
    """
    reference = non_empty(payment.bank_reference, "bank reference", 100)
    wallet = address(payment.wallet, "wallet")
    amount = emoney_amount(payment.amount, payment.fiat, peg, coin.decimals)
    customer = get_customer(uow, payment.customer)
    existing = get_deposit(uow, reference)
    if existing is not None:
        if existing.status is FiatDepositStatus.MINTED:
            raise DuplicateDepositError(
                f"bank reference {reference!r} was already paid out in {existing.tx_hash}; "
                "nothing is minted again"
            )
        same = (existing.customer_id, existing.wallet_address, existing.fiat, existing.amount) == (
            customer.id,
            wallet,
            payment.fiat,
            amount,
        )
        if not same or existing.coin_id != coin.id:
            raise DuplicateDepositError(
                f"bank reference {reference!r} is already recorded for another payment"
            )
        return existing
    now = utcnow()
    deposit = FiatDeposit(
        customer_id=customer.id,
        coin_id=coin.id,
        wallet_address=wallet,
        fiat=payment.fiat,
        fiat_amount=payment.amount,
        amount=amount,
        bank_reference=reference,
        mint_reference="0x" + mint_reference(reference).hex(),
        status=FiatDepositStatus.PENDING,
        created_at=now,
        updated_at=now,
    )
    uow.session.add(deposit)
    uow.commit()
    return deposit


def buy_emoney(
    uow: UnitOfWork, payment: FiatPayment, coin: Coin, peg: str, minter: Minter
) -> FiatDeposit:
    """Records the payment, mints its e-money once, and marks it minted (see the module)."""
    deposit = record_deposit(uow, payment, coin, peg)
    reference = mint_reference(deposit.bank_reference)
    tx_hash = minter.issued(reference)
    if tx_hash is None:
        try:
            tx_hash = minter.mint(deposit.wallet_address, deposit.amount, reference)
        except MintError as exc:
            deposit.status = FiatDepositStatus.FAILED
            deposit.failure_reason = str(exc)
            deposit.updated_at = utcnow()
            uow.commit()
            raise
    deposit.status = FiatDepositStatus.MINTED
    deposit.tx_hash = tx_hash
    deposit.failure_reason = None
    deposit.updated_at = utcnow()
    uow.commit()
    return deposit
