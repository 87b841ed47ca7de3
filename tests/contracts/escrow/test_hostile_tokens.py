"""Non-standard and malicious ERC-20s.

Reentrant, fee-on-transfer, returns false, returns nothing (USDT-style), reverts on zero.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import ape
import pytest
from eth_utils import keccak

from tests.contracts.escrow.conftest import Invoice, Status, deposit, transfer

AMOUNT = 10**18
MAX = 2**256 - 1


@pytest.fixture
def hostile(project: Any, admin: Any, escrow: Any, customer: Any) -> Callable[[str], Any]:
    """Factory: deploys a test-double token, allows it, funds `customer` and approves the escrow."""

    def make(name: str) -> Any:
        token = admin.deploy(getattr(project, name))
        escrow.setTokenAllowed(token, True, sender=admin)
        token.mint(customer, 100 * AMOUNT, sender=admin)
        token.approve(escrow, MAX, sender=customer)
        return token

    return make


def pay(escrow: Any, sign: Callable[..., bytes], invoice: Invoice, payer: Any) -> Invoice:
    escrow.pay(invoice.abi(), sign(invoice), sender=payer)
    return invoice


def test_reentrant_token__reenters_on_pull__reverts(
    escrow: Any,
    hostile: Callable[[str], Any],
    new_invoice: Callable[..., Invoice],
    sign: Callable[..., bytes],
    customer: Any,
    state: Callable[..., Any],
) -> None:
    token = hostile("ReentrantToken")
    first = new_invoice(token=token.address, amount=AMOUNT)
    second = new_invoice(token=token.address, amount=AMOUNT)
    token.arm(escrow, escrow.pay.encode_input(second.abi(), sign(second)), sender=customer)
    with ape.reverts(escrow.ReentrancyGuardReentrantCall):
        escrow.pay(first.abi(), sign(first), sender=customer)
    assert state(first)[2] == Status.NONE


def test_reentrant_token__reenters_on_payout__reverts(
    chain: Any,
    escrow: Any,
    hostile: Callable[[str], Any],
    new_invoice: Callable[..., Invoice],
    sign: Callable[..., bytes],
    customer: Any,
    operator: Any,
    state: Callable[..., Any],
) -> None:
    token = hostile("ReentrantToken")
    invoice = pay(escrow, sign, new_invoice(token=token.address, amount=AMOUNT), customer)
    # During the void's payout, try to reclaim the same payment again: the re-entry reverts
    # (ReentrancyGuardReentrantCall), which makes the token's transfer fail; a failed return never
    # reverts the void, so the payment is closed and its amount owed to the payer.
    token.arm(escrow, escrow.reclaim.encode_input(invoice.abi()), sender=customer)
    tx = escrow.void(invoice.abi(), sender=operator)
    assert state(invoice)[2] == Status.CLOSED
    assert token.balanceOf(escrow) == AMOUNT
    assert escrow.owedTo(customer, token) == AMOUNT
    assert [e.amount for e in tx.events.filter(escrow.ReturnOwed)] == [AMOUNT]


def test_fee_on_transfer_token__pay__reverts_with_amount_received(
    escrow: Any,
    hostile: Callable[[str], Any],
    new_invoice: Callable[..., Invoice],
    sign: Callable[..., bytes],
    customer: Any,
) -> None:
    token = hostile("FeeOnTransferToken")
    invoice = new_invoice(token=token.address, amount=AMOUNT)
    with ape.reverts(
        escrow.PaymentEscrowUnexpectedReceipt,
        token=token.address,
        expected=AMOUNT,
        received=AMOUNT - AMOUNT // 100,
    ):
        escrow.pay(invoice.abi(), sign(invoice), sender=customer)


def test_fee_on_transfer_token__sweep__reverts_with_what_arrived(
    escrow: Any,
    hostile: Callable[[str], Any],
    new_invoice: Callable[..., Invoice],
    customer: Any,
    operator: Any,
    state: Callable[..., Any],
) -> None:
    """The run's balance check: the forwarder sent what was attested, the escrow got less, so
    the batch reverts instead of booking money it does not hold."""
    token = hostile("FeeOnTransferToken")
    invoice = new_invoice(token=token.address, amount=AMOUNT)
    address = escrow.depositAddress(invoice.abi())
    token.transfer(address, AMOUNT, sender=customer)
    at_address = token.balanceOf(address)
    with ape.reverts(
        escrow.PaymentEscrowUnexpectedReceipt,
        token=token.address,
        expected=at_address,
        received=at_address - at_address // 100,
    ):
        escrow.sweep([deposit(invoice, [transfer(customer, at_address)])], sender=operator)
    assert state(invoice)[2] == Status.NONE


def test_returns_false_token__pay__reverts(
    escrow: Any,
    hostile: Callable[[str], Any],
    new_invoice: Callable[..., Invoice],
    sign: Callable[..., bytes],
    customer: Any,
) -> None:
    token = hostile("ReturnsFalseToken")
    token.setFailing(True, sender=customer)
    invoice = new_invoice(token=token.address, amount=AMOUNT)
    with ape.reverts(escrow.SafeERC20FailedOperation, token=token.address):
        escrow.pay(invoice.abi(), sign(invoice), sender=customer)


def test_returns_false_token__void__owed_not_reverted(
    escrow: Any,
    hostile: Callable[[str], Any],
    new_invoice: Callable[..., Invoice],
    sign: Callable[..., bytes],
    customer: Any,
    operator: Any,
    state: Callable[..., Any],
    solvent: Callable[..., None],
) -> None:
    token = hostile("ReturnsFalseToken")
    invoice = pay(escrow, sign, new_invoice(token=token.address, amount=AMOUNT), customer)
    token.setFailing(True, sender=customer)
    tx = escrow.void(invoice.abi(), sender=operator)
    assert state(invoice) == (customer.address, 0, Status.CLOSED)
    [owed] = tx.events.filter(escrow.ReturnOwed)
    assert (owed.account, owed.token, owed.amount) == (customer.address, token.address, AMOUNT)
    assert tuple(escrow.pool(token)) == (0, 0, 0, AMOUNT)
    solvent(token)
    with ape.reverts(escrow.SafeERC20FailedOperation, token=token.address):
        escrow.withdrawOwed(token, customer, sender=customer)  # the caller's own call: reverts
    token.setFailing(False, sender=customer)
    escrow.withdrawOwed(token, customer, sender=customer)
    assert escrow.owedTo(customer, token) == 0
    solvent(token)


def test_returns_false_token__forwarder__deposit_skipped(
    escrow: Any,
    hostile: Callable[[str], Any],
    new_invoice: Callable[..., Invoice],
    customer: Any,
    operator: Any,
) -> None:
    """The forwarder's own transfer fails: the CREATE2 fails, the deposit is skipped."""
    token = hostile("ReturnsFalseToken")
    invoice = new_invoice(token=token.address, amount=AMOUNT)
    token.transfer(escrow.depositAddress(invoice.abi()), AMOUNT, sender=customer)
    token.setFailing(True, sender=customer)
    tx = escrow.sweep([deposit(invoice, [transfer(customer, AMOUNT)])], sender=operator)
    assert len(list(tx.events.filter(escrow.DepositSkipped))) == 1
    assert token.balanceOf(escrow.depositAddress(invoice.abi())) == AMOUNT


def test_no_return_token__full_lifecycle__works(
    escrow: Any,
    hostile: Callable[[str], Any],
    new_invoice: Callable[..., Invoice],
    sign: Callable[..., bytes],
    customer: Any,
    operator: Any,
    treasury: Any,
    state: Callable[..., Any],
) -> None:
    token = hostile("NoReturnToken")
    invoice = pay(escrow, sign, new_invoice(token=token.address, amount=AMOUNT), customer)
    escrow.capture(invoice.abi(), AMOUNT // 2, sender=operator)  # releases the other half
    escrow.refund(invoice.abi(), AMOUNT // 4, sender=operator)
    escrow.settle(token, AMOUNT // 8, 0, keccak(text="s"), sender=operator)
    assert token.balanceOf(treasury) == AMOUNT // 8
    assert token.balanceOf(customer) == 100 * AMOUNT - AMOUNT // 2 + AMOUNT // 4
    later = new_invoice(token=token.address, amount=AMOUNT)
    token.transfer(escrow.depositAddress(later.abi()), AMOUNT, sender=customer)
    escrow.sweep([deposit(later, [transfer(customer, AMOUNT)])], sender=operator)
    assert state(later) == (customer.address, AMOUNT, Status.AUTHORIZED)


def test_reverts_on_zero_token__no_zero_transfer_anywhere(
    escrow: Any,
    hostile: Callable[[str], Any],
    new_invoice: Callable[..., Invoice],
    sign: Callable[..., bytes],
    customer: Any,
    operator: Any,
    treasury: Any,
    state: Callable[..., Any],
) -> None:
    token = hostile("RevertsOnZeroToken")
    invoice = pay(escrow, sign, new_invoice(token=token.address, amount=AMOUNT), customer)
    escrow.capture(invoice.abi(), AMOUNT, sender=operator)  # nothing released: no transfer
    escrow.settle(token, 0, 300, keccak(text="fees only"), sender=operator)  # no transfer
    empty = new_invoice(token=token.address, amount=AMOUNT)
    escrow.sweep([deposit(empty)], sender=operator)  # nothing attested: no forwarder, no transfer
    assert state(empty)[2] == Status.NONE
    assert escrow.pool(token)[2] == 300
    assert token.balanceOf(treasury) == 0
