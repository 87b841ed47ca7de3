from __future__ import annotations

from typing import Any

import ape

from tests.contracts.wallet.conftest import ZERO


def test_transferOwnership__two_step__new_owner_takes_over(
    wallet: Any, customer: Any, other_customer: Any, payee: Any
) -> None:
    tx = wallet.transferOwnership(other_customer, sender=customer)
    assert wallet.pendingOwner() == other_customer.address
    assert wallet.owner() == customer.address
    started = tx.events.filter(wallet.OwnershipTransferStarted)[0]
    assert (started.previousOwner, started.newOwner) == (customer.address, other_customer.address)

    tx = wallet.acceptOwnership(sender=other_customer)
    assert wallet.owner() == other_customer.address
    assert wallet.pendingOwner() == ZERO
    done = tx.events.filter(wallet.OwnershipTransferred)[0]
    assert (done.previousOwner, done.newOwner) == (customer.address, other_customer.address)

    wallet.allocateCoin(payee, sender=other_customer)
    assert wallet.coins() == [payee.address]


def test_acceptOwnership__not_pending_owner__reverts(
    wallet: Any, customer: Any, other_customer: Any, stranger: Any
) -> None:
    wallet.transferOwnership(other_customer, sender=customer)
    for caller in (stranger, customer):
        with ape.reverts(wallet.OwnableUnauthorizedAccount, account=caller):
            wallet.acceptOwnership(sender=caller)
    assert wallet.owner() == customer.address


def test_transferOwnership__can_be_cancelled_by_owner(
    wallet: Any, customer: Any, other_customer: Any
) -> None:
    wallet.transferOwnership(other_customer, sender=customer)
    wallet.transferOwnership(ZERO, sender=customer)
    with ape.reverts(wallet.OwnableUnauthorizedAccount, account=other_customer):
        wallet.acceptOwnership(sender=other_customer)


def test_renounceOwnership__disabled__reverts(wallet: Any, customer: Any) -> None:
    with ape.reverts(wallet.MultiCoinWalletRenounceDisabled):
        wallet.renounceOwnership(sender=customer)
    assert wallet.owner() == customer.address
