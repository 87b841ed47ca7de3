"""Access control and pause.

Every privileged function refuses a caller without its role; every money-moving function
refuses while paused.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import ape
import pytest
from eth_utils import keccak

from tests.contracts.escrow.conftest import PRICE, Invoice, deposit, transfer

OPERATOR_CALLS: dict[str, Callable[[Any, Any, Invoice], Any]] = {
    "capture": lambda e, c, i: e.capture(i.abi(), PRICE, sender=c),
    "captureMany": lambda e, c, i: e.captureMany([i.abi()], [PRICE], sender=c),
    "void": lambda e, c, i: e.void(i.abi(), sender=c),
    "refund": lambda e, c, i: e.refund(i.abi(), 1, sender=c),
    "settle": lambda e, c, i: e.settle(i.token, 1, 0, keccak(text="r"), sender=c),
    "sweep": lambda e, c, i: e.sweep([deposit(i, [transfer(c, 1)])], sender=c),
    "recoverToken": lambda e, c, i: e.recoverToken(i.abi(), c, [transfer(c, 1)], sender=c),
}
ADMIN_CALLS: dict[str, Callable[[Any, Any, Invoice], Any]] = {
    "withdrawFees": lambda e, c, i: e.withdrawFees(i.token, c, sender=c),
    "setTokenAllowed": lambda e, c, i: e.setTokenAllowed(i.token, False, sender=c),
    "setTreasury": lambda e, c, i: e.setTreasury(c, sender=c),
    "pause": lambda e, c, i: e.pause(sender=c),
    "unpause": lambda e, c, i: e.unpause(sender=c),
}


@pytest.mark.parametrize("name", OPERATOR_CALLS)
@pytest.mark.parametrize("who", ["stranger", "admin", "customer"])
def test_operator_function__without_operator_role__reverts(
    request: Any, escrow: Any, paid: Callable[..., Invoice], name: str, who: str
) -> None:
    caller = request.getfixturevalue(who)
    invoice = paid()
    with ape.reverts(
        escrow.AccessControlUnauthorizedAccount,
        account=caller.address,
        neededRole=escrow.OPERATOR_ROLE(),
    ):
        OPERATOR_CALLS[name](escrow, caller, invoice)


@pytest.mark.parametrize("name", ADMIN_CALLS)
@pytest.mark.parametrize("who", ["stranger", "operator"])
def test_admin_function__without_admin_role__reverts(
    request: Any, escrow: Any, new_invoice: Callable[..., Invoice], name: str, who: str
) -> None:
    caller = request.getfixturevalue(who)
    with ape.reverts(
        escrow.AccessControlUnauthorizedAccount,
        account=caller.address,
        neededRole=escrow.DEFAULT_ADMIN_ROLE(),
    ):
        ADMIN_CALLS[name](escrow, caller, new_invoice())


def test_paused__payer_exits_still_work(
    chain: Any, escrow: Any, admin: Any, customer: Any, paid: Callable[..., Invoice]
) -> None:
    """reclaim, reclaimDeposit and withdrawOwed move a payer's own funds: a pause never stops them
    (each gets past the pause check to its own requirement)."""
    invoice = paid(payer=customer.address)
    escrow.pause(sender=admin)
    with ape.reverts(escrow.PaymentEscrowAuthorizationNotExpired):
        escrow.reclaim(invoice.abi(), sender=customer)
    with ape.reverts(escrow.PaymentEscrowAuthorizationNotExpired):
        escrow.reclaimDeposit(invoice.abi(), sender=customer)
    with ape.reverts(escrow.PaymentEscrowNothingOwed):
        escrow.withdrawOwed(invoice.token, customer, sender=customer)
    chain.pending_timestamp = invoice.authorizationExpiry
    escrow.reclaim(invoice.abi(), sender=customer)
    assert tuple(escrow.pool(invoice.token)) == (0, 0, 0, 0)


def test_grant_operator__by_non_admin__reverts(escrow: Any, operator: Any, stranger: Any) -> None:
    with ape.reverts(escrow.AccessControlUnauthorizedAccount, account=operator.address):
        escrow.grantRole(escrow.OPERATOR_ROLE(), stranger, sender=operator)


@pytest.mark.parametrize("name", [n for n in OPERATOR_CALLS] + ["withdrawFees"])
def test_paused__money_moving_function__reverts(
    escrow: Any, admin: Any, operator: Any, paid: Callable[..., Invoice], name: str
) -> None:
    invoice = paid()
    escrow.pause(sender=admin)
    caller = admin if name == "withdrawFees" else operator
    call = ADMIN_CALLS.get(name) or OPERATOR_CALLS[name]
    with ape.reverts(escrow.EnforcedPause):
        call(escrow, caller, invoice)
