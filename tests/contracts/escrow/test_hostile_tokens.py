"""Non-standard and malicious ERC-20s.

Reentrant, fee-on-transfer, returns false, returns nothing (USDT-style), reverts on zero.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import ape
import pytest
from eth_utils import keccak

from tests.contracts.escrow.conftest import STORE_A, Invoice, Status

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
    # During the void's payout, try to reclaim the same payment again.
    token.arm(escrow, escrow.reclaim.encode_input(invoice.abi()), sender=customer)
    with ape.reverts(escrow.ReentrancyGuardReentrantCall):
        escrow.void(invoice.abi(), sender=operator)
    assert state(invoice)[2] == Status.AUTHORIZED
    assert token.balanceOf(escrow) == AMOUNT


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


def test_fee_on_transfer_token__sweep__records_what_arrived(
    escrow: Any,
    hostile: Callable[[str], Any],
    new_invoice: Callable[..., Invoice],
    customer: Any,
    operator: Any,
    state: Callable[..., Any],
) -> None:
    token = hostile("FeeOnTransferToken")
    invoice = new_invoice(token=token.address, amount=AMOUNT)
    token.transfer(escrow.depositAddress(invoice.abi()), AMOUNT, sender=customer)
    escrow.sweep([invoice.abi()], [customer], sender=operator)
    arrived = AMOUNT - AMOUNT // 100 - (AMOUNT - AMOUNT // 100) // 100
    assert state(invoice)[1] == arrived
    assert token.balanceOf(escrow) == arrived


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


def test_returns_false_token__payout__reverts_and_keeps_state(
    escrow: Any,
    hostile: Callable[[str], Any],
    new_invoice: Callable[..., Invoice],
    sign: Callable[..., bytes],
    customer: Any,
    operator: Any,
    state: Callable[..., Any],
) -> None:
    token = hostile("ReturnsFalseToken")
    invoice = pay(escrow, sign, new_invoice(token=token.address, amount=AMOUNT), customer)
    token.setFailing(True, sender=customer)
    with ape.reverts(escrow.SafeERC20FailedOperation, token=token.address):
        escrow.void(invoice.abi(), sender=operator)
    assert state(invoice) == (customer.address, AMOUNT, Status.AUTHORIZED)


def test_returns_false_token__forwarder__sweep_reverts(
    escrow: Any,
    hostile: Callable[[str], Any],
    new_invoice: Callable[..., Invoice],
    customer: Any,
    operator: Any,
) -> None:
    token = hostile("ReturnsFalseToken")
    invoice = new_invoice(token=token.address, amount=AMOUNT)
    token.transfer(escrow.depositAddress(invoice.abi()), AMOUNT, sender=customer)
    token.setFailing(True, sender=customer)
    with ape.reverts(escrow.SafeERC20FailedOperation, token=token.address):
        escrow.sweep([invoice.abi()], [customer], sender=operator)


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
    escrow.capture(invoice.abi(), AMOUNT // 2, 100, sender=operator)  # releases the other half
    escrow.refund(invoice.abi(), AMOUNT // 4, sender=operator)
    escrow.settle(STORE_A, token, AMOUNT // 8, keccak(text="s"), sender=operator)
    assert token.balanceOf(treasury) == AMOUNT // 8
    assert token.balanceOf(customer) == 100 * AMOUNT - AMOUNT // 2 + AMOUNT // 4
    deposit = new_invoice(token=token.address, amount=AMOUNT)
    token.transfer(escrow.depositAddress(deposit.abi()), AMOUNT, sender=customer)
    escrow.sweep([deposit.abi()], [customer], sender=operator)
    assert state(deposit) == (customer.address, AMOUNT, Status.AUTHORIZED)


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
    escrow.capture(invoice.abi(), AMOUNT, 300, sender=operator)  # nothing released: no transfer
    escrow.settle(
        STORE_A, token, 0, keccak(text="fees only"), sender=operator
    )  # fees only: no transfer
    empty = new_invoice(token=token.address, amount=AMOUNT)
    escrow.sweep([empty.abi()], [customer], sender=operator)  # nothing at the deposit address
    assert state(empty)[2] == Status.NONE
    assert escrow.feeBalance(token) == AMOUNT * 300 // 10_000
    assert token.balanceOf(treasury) == 0
