"""The main paths end to end: pay, capture, sweep-and-capture, settle, with the pools balanced."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from eth_utils import keccak

from tests.contracts.escrow.conftest import PRICE, Invoice, Status, deposit


def test_pay_capture_sweep_and_capture_settle__pools_follow_and_stay_solvent(
    escrow: Any,
    funded: Any,
    operator: Any,
    treasury: Any,
    customer: Any,
    other_customer: Any,
    new_invoice: Callable[..., Invoice],
    sign: Callable[..., bytes],
    state: Callable[..., Any],
    pool: Callable[..., Any],
    solvent: Callable[..., None],
    pay_address: Callable[..., tuple],
) -> None:
    direct = new_invoice()
    escrow.pay(direct.abi(), sign(direct), sender=customer)
    assert pool(funded) == (PRICE, 0, 0, 0)
    solvent(funded)

    escrow.capture(direct.abi(), PRICE, sender=operator)
    assert state(direct) == (customer.address, PRICE, Status.CAPTURED)
    assert pool(funded) == (0, PRICE, 0, 0)

    private = new_invoice()
    t = pay_address(private, other_customer)
    tx = escrow.sweep([deposit(private, [t], capture=True)], sender=operator)
    [kept] = tx.events.filter(escrow.DepositKept)
    assert (kept.sender, kept.amount, kept.txHash, kept.logIndex) == (
        other_customer.address,
        PRICE,
        t[2],
        t[3],
    )
    [captured] = tx.events.filter(escrow.PaymentCaptured)
    assert captured.amount == PRICE
    assert state(private) == (other_customer.address, PRICE, Status.CAPTURED)
    assert pool(funded) == (0, 2 * PRICE, 0, 0)
    solvent(funded)

    before = funded.balanceOf(treasury)
    reference = keccak(text="batch-1")
    tx = escrow.settle(funded, 2 * PRICE - 100, 100, reference, sender=operator)
    [settled] = tx.events.filter(escrow.Settled)
    assert (settled.payout, settled.fees, settled.reference_) == (2 * PRICE - 100, 100, reference)
    assert funded.balanceOf(treasury) == before + 2 * PRICE - 100
    assert pool(funded) == (0, 0, 100, 0)
    assert escrow.isReferenceUsed(reference)
    solvent(funded)
