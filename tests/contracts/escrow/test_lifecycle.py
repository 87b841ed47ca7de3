"""capture, captureMany, void, reclaim, refund, settle, withdrawFees and the admin functions.

Every money movement is checked against the token's pools (held, captured, fees, owed) and the
solvency invariant: held + captured + fees + owed == the escrow's balance.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import ape
import pytest
from eth_abi import encode
from eth_utils import keccak
from web3.exceptions import ContractLogicError

from tests.contracts.escrow.conftest import PRICE, STORE_B, ZERO, Invoice, Status

REF = keccak(text="settlement-1")


def h(escrow: Any, invoice: Invoice) -> bytes:
    return escrow.invoiceHash(invoice.abi())


# --- capture -------------------------------------------------------------------------------------


def test_capture__full__moves_held_to_captured_pool(
    escrow: Any,
    emoney: Any,
    paid: Callable[..., Invoice],
    operator: Any,
    state: Callable[..., Any],
    customer: Any,
    pool: Callable[..., Any],
    solvent: Callable[..., None],
) -> None:
    invoice = paid()
    assert pool(emoney) == (PRICE, 0, 0, 0)
    tx = escrow.capture(invoice.abi(), PRICE, sender=operator)
    assert pool(emoney) == (0, PRICE, 0, 0)
    assert state(invoice) == (customer.address, PRICE, Status.CAPTURED)
    [event] = tx.events.filter(escrow.PaymentCaptured)
    assert (event.invoiceHash, event.amount, event.released) == (h(escrow, invoice), PRICE, 0)
    assert emoney.balanceOf(escrow) == PRICE
    solvent(emoney)


def test_capture__partial__releases_rest_to_payer(
    escrow: Any,
    emoney: Any,
    paid: Callable[..., Invoice],
    operator: Any,
    customer: Any,
    state: Callable[..., Any],
) -> None:
    invoice = paid()
    before = emoney.balanceOf(customer)
    escrow.capture(invoice.abi(), 10_000, sender=operator)
    assert emoney.balanceOf(customer) == before + PRICE - 10_000
    assert tuple(escrow.pool(emoney)) == (0, 10_000, 0, 0)
    assert state(invoice) == (customer.address, 10_000, Status.CAPTURED)


def test_capture__above_authorized__reverts(
    escrow: Any, paid: Callable[..., Invoice], operator: Any
) -> None:
    invoice = paid()
    with ape.reverts(
        escrow.PaymentEscrowInsufficientAuthorization,
        invoiceHash=h(escrow, invoice),
        capturable=PRICE,
        requested=PRICE + 1,
    ):
        escrow.capture(invoice.abi(), PRICE + 1, sender=operator)


def test_capture__twice__reverts(escrow: Any, paid: Callable[..., Invoice], operator: Any) -> None:
    invoice = paid()
    escrow.capture(invoice.abi(), PRICE, sender=operator)
    with ape.reverts(
        escrow.PaymentEscrowInvalidStatus, expected=Status.AUTHORIZED, found=Status.CAPTURED
    ):
        escrow.capture(invoice.abi(), 1, sender=operator)


def test_capture__unpaid__reverts(
    escrow: Any, new_invoice: Callable[..., Invoice], operator: Any
) -> None:
    invoice = new_invoice()
    with ape.reverts(
        escrow.PaymentEscrowInvalidStatus, expected=Status.AUTHORIZED, found=Status.NONE
    ):
        escrow.capture(invoice.abi(), PRICE, sender=operator)


def test_capture__zero__reverts(escrow: Any, paid: Callable[..., Invoice], operator: Any) -> None:
    invoice = paid()
    with ape.reverts(escrow.PaymentEscrowZeroAmount):
        escrow.capture(invoice.abi(), 0, sender=operator)


def test_capture__at_authorization_expiry__reverts(
    chain: Any, escrow: Any, paid: Callable[..., Invoice], operator: Any
) -> None:
    invoice = paid()
    chain.pending_timestamp = invoice.authorizationExpiry
    with ape.reverts(escrow.PaymentEscrowAuthorizationExpired, expiry=invoice.authorizationExpiry):
        escrow.capture(invoice.abi(), PRICE, sender=operator)


def test_capture__after_void__reverts(
    escrow: Any, paid: Callable[..., Invoice], operator: Any
) -> None:
    invoice = paid()
    escrow.void(invoice.abi(), sender=operator)
    with ape.reverts(escrow.PaymentEscrowInvalidStatus, found=Status.CLOSED):
        escrow.capture(invoice.abi(), PRICE, sender=operator)


def test_capture_many__captures_each(
    escrow: Any, emoney: Any, paid: Callable[..., Invoice], operator: Any, state: Callable[..., Any]
) -> None:
    invoices = [paid(), paid(store=STORE_B), paid()]
    escrow.captureMany([i.abi() for i in invoices], [PRICE, 5_000, 1_000], sender=operator)
    # One pool for every store: the captures add up, nothing is kept per store.
    assert tuple(escrow.pool(emoney)) == (0, PRICE + 5_000 + 1_000, 0, 0)
    assert [state(i)[1:] for i in invoices] == [
        (PRICE, Status.CAPTURED),
        (5_000, Status.CAPTURED),
        (1_000, Status.CAPTURED),
    ]


def test_capture_many__one_fails__all_revert(
    escrow: Any, paid: Callable[..., Invoice], operator: Any, state: Callable[..., Any]
) -> None:
    ok, bad = paid(), paid()
    with ape.reverts(escrow.PaymentEscrowInsufficientAuthorization):
        escrow.captureMany([ok.abi(), bad.abi()], [PRICE, PRICE + 1], sender=operator)
    assert state(ok)[2] == Status.AUTHORIZED


def test_capture_many__length_mismatch__reverts(
    escrow: Any, paid: Callable[..., Invoice], operator: Any
) -> None:
    invoices = [paid().abi() for _ in range(2)]
    with ape.reverts(escrow.PaymentEscrowLengthMismatch, expected=2, found=1):
        escrow.captureMany(invoices, [1], sender=operator)


# --- void and reclaim ---------------------------------------------------------------------------


def test_void__returns_funds_and_closes(
    escrow: Any,
    emoney: Any,
    paid: Callable[..., Invoice],
    operator: Any,
    customer: Any,
    state: Callable[..., Any],
) -> None:
    invoice = paid()
    before = emoney.balanceOf(customer)
    tx = escrow.void(invoice.abi(), sender=operator)
    assert emoney.balanceOf(customer) == before + PRICE
    assert state(invoice) == (customer.address, 0, Status.CLOSED)
    assert tx.events.filter(escrow.PaymentVoided)[0].amount == PRICE
    assert tuple(escrow.pool(emoney)) == (0, 0, 0, 0)


def test_void__eth__returns_value(
    escrow: Any,
    new_invoice: Callable[..., Invoice],
    sign: Callable[..., bytes],
    operator: Any,
    customer: Any,
) -> None:
    invoice = new_invoice(token=ZERO, amount=10**18)
    escrow.pay(invoice.abi(), sign(invoice), sender=customer, value=10**18)
    before = customer.balance
    escrow.void(invoice.abi(), sender=operator)
    assert customer.balance == before + 10**18
    assert escrow.balance == 0


def test_void__captured__reverts(escrow: Any, paid: Callable[..., Invoice], operator: Any) -> None:
    invoice = paid()
    escrow.capture(invoice.abi(), PRICE, sender=operator)
    with ape.reverts(
        escrow.PaymentEscrowInvalidStatus, expected=Status.AUTHORIZED, found=Status.CAPTURED
    ):
        escrow.void(invoice.abi(), sender=operator)


def test_reclaim__after_expiry__returns_funds(
    chain: Any,
    escrow: Any,
    emoney: Any,
    paid: Callable[..., Invoice],
    customer: Any,
    state: Callable[..., Any],
) -> None:
    invoice = paid()
    chain.pending_timestamp = invoice.authorizationExpiry
    before = emoney.balanceOf(customer)
    tx = escrow.reclaim(invoice.abi(), sender=customer)
    assert emoney.balanceOf(customer) == before + PRICE
    # The slot is cleared: after the expiry nothing can pay or capture it any more.
    assert state(invoice)[1:] == (0, Status.NONE)
    assert tx.events.filter(escrow.PaymentReclaimed)[0].amount == PRICE
    assert tuple(escrow.pool(emoney)) == (0, 0, 0, 0)
    with ape.reverts(escrow.PaymentEscrowInvalidStatus, found=Status.NONE):
        escrow.reclaim(invoice.abi(), sender=customer)


def test_reclaim__before_expiry__reverts(
    chain: Any, escrow: Any, paid: Callable[..., Invoice], customer: Any
) -> None:
    invoice = paid()
    chain.pending_timestamp = invoice.authorizationExpiry - 1
    with ape.reverts(
        escrow.PaymentEscrowAuthorizationNotExpired, expiry=invoice.authorizationExpiry
    ):
        escrow.reclaim(invoice.abi(), sender=customer)


def test_reclaim__not_payer__reverts(
    chain: Any, escrow: Any, paid: Callable[..., Invoice], customer: Any, stranger: Any
) -> None:
    invoice = paid()
    chain.pending_timestamp = invoice.authorizationExpiry
    with ape.reverts(
        escrow.PaymentEscrowPayerMismatch, expected=customer.address, found=stranger.address
    ):
        escrow.reclaim(invoice.abi(), sender=stranger)


def test_reclaim__while_paused__still_works(
    chain: Any,
    escrow: Any,
    admin: Any,
    paid: Callable[..., Invoice],
    customer: Any,
    state: Callable[..., Any],
) -> None:
    invoice = paid()
    escrow.pause(sender=admin)
    chain.pending_timestamp = invoice.authorizationExpiry
    escrow.reclaim(invoice.abi(), sender=customer)
    assert state(invoice)[2] == Status.NONE


def test_reclaim__captured__reverts(
    chain: Any, escrow: Any, paid: Callable[..., Invoice], operator: Any, customer: Any
) -> None:
    invoice = paid()
    escrow.capture(invoice.abi(), PRICE, sender=operator)
    chain.pending_timestamp = invoice.authorizationExpiry
    with ape.reverts(escrow.PaymentEscrowInvalidStatus, found=Status.CAPTURED):
        escrow.reclaim(invoice.abi(), sender=customer)


# --- refund --------------------------------------------------------------------------------------


def test_refund__partial_then_rest__returns_from_captured_pool(
    escrow: Any,
    emoney: Any,
    paid: Callable[..., Invoice],
    operator: Any,
    customer: Any,
    state: Callable[..., Any],
) -> None:
    invoice = paid()
    escrow.capture(invoice.abi(), PRICE, sender=operator)
    before = emoney.balanceOf(customer)
    escrow.refund(invoice.abi(), 345, sender=operator)
    assert state(invoice)[1:] == (PRICE - 345, Status.CAPTURED)
    escrow.refund(invoice.abi(), PRICE - 345, sender=operator)
    assert emoney.balanceOf(customer) == before + PRICE
    assert tuple(escrow.pool(emoney)) == (0, 0, 0, 0)
    with ape.reverts(escrow.PaymentEscrowInsufficientRefundable, refundable=0, requested=1):
        escrow.refund(invoice.abi(), 1, sender=operator)


def test_refund__above_captured__reverts(
    escrow: Any, paid: Callable[..., Invoice], operator: Any
) -> None:
    invoice = paid()
    escrow.capture(invoice.abi(), 10_000, sender=operator)
    with ape.reverts(
        escrow.PaymentEscrowInsufficientRefundable,
        invoiceHash=h(escrow, invoice),
        refundable=10_000,
        requested=10_001,
    ):
        escrow.refund(invoice.abi(), 10_001, sender=operator)


def test_refund__more_than_captured_pool__reverts(
    escrow: Any, emoney: Any, paid: Callable[..., Invoice], operator: Any
) -> None:
    """Settled money has left the pool: a refund can only come out of what is still captured."""
    invoice = paid()
    escrow.capture(invoice.abi(), PRICE, sender=operator)
    escrow.settle(emoney, 100, 0, REF, sender=operator)
    with ape.reverts(
        escrow.PaymentEscrowInsufficientCaptured,
        token=emoney.address,
        captured=PRICE - 100,
        requested=PRICE,
    ):
        escrow.refund(invoice.abi(), PRICE, sender=operator)


def test_refund__after_deadline__reverts(
    chain: Any, escrow: Any, paid: Callable[..., Invoice], operator: Any
) -> None:
    invoice = paid()
    escrow.capture(invoice.abi(), PRICE, sender=operator)
    chain.pending_timestamp = invoice.refundDeadline + 1
    with ape.reverts(escrow.PaymentEscrowRefundDeadlinePassed, deadline=invoice.refundDeadline):
        escrow.refund(invoice.abi(), 1, sender=operator)


def test_refund__at_deadline__succeeds(
    chain: Any, escrow: Any, paid: Callable[..., Invoice], operator: Any, state: Callable[..., Any]
) -> None:
    invoice = paid()
    escrow.capture(invoice.abi(), PRICE, sender=operator)
    chain.pending_timestamp = invoice.refundDeadline
    escrow.refund(invoice.abi(), 1, sender=operator)
    assert state(invoice)[1] == PRICE - 1


def test_refund__uncaptured__reverts(
    escrow: Any, paid: Callable[..., Invoice], operator: Any
) -> None:
    invoice = paid()
    with ape.reverts(
        escrow.PaymentEscrowInvalidStatus, expected=Status.CAPTURED, found=Status.AUTHORIZED
    ):
        escrow.refund(invoice.abi(), 1, sender=operator)


def test_refund__zero__reverts(escrow: Any, paid: Callable[..., Invoice], operator: Any) -> None:
    invoice = paid()
    escrow.capture(invoice.abi(), PRICE, sender=operator)
    with ape.reverts(escrow.PaymentEscrowZeroAmount):
        escrow.refund(invoice.abi(), 0, sender=operator)


# --- settle and fees -----------------------------------------------------------------------------


def test_settle__moves_payout_to_treasury_and_fees_to_fee_balance(
    escrow: Any,
    emoney: Any,
    paid: Callable[..., Invoice],
    operator: Any,
    treasury: Any,
    solvent: Callable[..., None],
) -> None:
    first, second = paid(), paid(store=STORE_B)
    escrow.captureMany([first.abi(), second.abi()], [PRICE, PRICE], sender=operator)
    # One run carries both stores: the payout is not one store's sum.
    tx = escrow.settle(emoney, 2 * PRICE - 500, 400, REF, sender=operator)
    assert emoney.balanceOf(treasury) == 2 * PRICE - 500
    assert tuple(escrow.pool(emoney)) == (0, 100, 400, 0)
    assert escrow.isReferenceUsed(REF)
    [event] = tx.events.filter(escrow.Settled)
    assert (event.token, event.payout, event.fees, event.reference_) == (
        emoney.address,
        2 * PRICE - 500,
        400,
        REF,
    )
    solvent(emoney)


def test_settle__same_reference_twice__reverts(
    escrow: Any, emoney: Any, paid: Callable[..., Invoice], operator: Any
) -> None:
    invoice = paid()
    escrow.capture(invoice.abi(), PRICE, sender=operator)
    escrow.settle(emoney, 1_000, 0, REF, sender=operator)
    with ape.reverts(escrow.PaymentEscrowReferenceUsed, reference_=REF):
        escrow.settle(emoney, 1_000, 0, REF, sender=operator)


@pytest.mark.parametrize("split", [(PRICE + 1, 0), (PRICE, 1), (0, PRICE + 1)])
def test_settle__more_than_captured__reverts(
    escrow: Any, emoney: Any, paid: Callable[..., Invoice], operator: Any, split: tuple[int, int]
) -> None:
    invoice = paid()
    escrow.capture(invoice.abi(), PRICE, sender=operator)
    with ape.reverts(escrow.PaymentEscrowInsufficientCaptured, captured=PRICE, requested=PRICE + 1):
        escrow.settle(emoney, *split, REF, sender=operator)


def test_settle__held_funds_are_not_settleable(
    escrow: Any, emoney: Any, paid: Callable[..., Invoice], operator: Any
) -> None:
    paid()
    with ape.reverts(escrow.PaymentEscrowInsufficientCaptured, captured=0, requested=1):
        escrow.settle(emoney, 1, 0, REF, sender=operator)


def test_settle__zero__reverts(escrow: Any, emoney: Any, operator: Any) -> None:
    with ape.reverts(escrow.PaymentEscrowZeroAmount):
        escrow.settle(emoney, 0, 0, REF, sender=operator)


def test_settle__fees_only__no_payout(
    escrow: Any, emoney: Any, paid: Callable[..., Invoice], operator: Any, treasury: Any
) -> None:
    invoice = paid()
    escrow.capture(invoice.abi(), PRICE, sender=operator)
    escrow.settle(emoney, 0, 300, REF, sender=operator)
    assert tuple(escrow.pool(emoney)) == (0, PRICE - 300, 300, 0)
    assert emoney.balanceOf(treasury) == 0


def test_withdraw_fees__pays_collected_fees(
    escrow: Any, emoney: Any, paid: Callable[..., Invoice], operator: Any, admin: Any, stranger: Any
) -> None:
    invoice = paid()
    escrow.capture(invoice.abi(), PRICE, sender=operator)
    escrow.settle(emoney, 1, 370, REF, sender=operator)
    tx = escrow.withdrawFees(emoney, stranger, sender=admin)
    assert emoney.balanceOf(stranger) == 370
    assert escrow.pool(emoney)[2] == 0
    assert tx.events.filter(escrow.FeesWithdrawn)[0].amount == 370


def test_withdraw_fees__nothing__reverts(escrow: Any, emoney: Any, admin: Any) -> None:
    with ape.reverts(escrow.PaymentEscrowNoFees, token=emoney.address):
        escrow.withdrawFees(emoney, admin, sender=admin)


def test_withdraw_fees__to_zero__reverts(escrow: Any, emoney: Any, admin: Any) -> None:
    with ape.reverts(escrow.PaymentEscrowInvalidAddress, account=ZERO):
        escrow.withdrawFees(emoney, ZERO, sender=admin)


# --- admin ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("zero_arg", [0, 1], ids=["admin", "treasury"])
def test_constructor__zero_admin_or_treasury__reverts(
    project: Any, chain: Any, admin: Any, treasury: Any, zero_arg: int
) -> None:
    args = [admin.address, treasury.address]
    args[zero_arg] = ZERO
    # ape does not reliably decode a custom error raised by a constructor, so the deployment is
    # simulated with eth_call and the raw revert data compared.
    creation = project.PaymentEscrow.contract_type.deployment_bytecode.bytecode
    data = creation + encode(["address", "address"], args).hex()
    expected = "0x" + (keccak(text="PaymentEscrowInvalidAddress(address)")[:4] + bytes(32)).hex()
    with pytest.raises(ContractLogicError) as revert:
        chain.provider.web3.eth.call({"from": admin.address, "data": data})
    assert revert.value.data == expected


def test_set_treasury__changes_and_rejects_zero(
    escrow: Any, admin: Any, treasury: Any, stranger: Any
) -> None:
    tx = escrow.setTreasury(stranger, sender=admin)
    assert escrow.treasury() == stranger.address
    assert tx.events.filter(escrow.TreasurySet)[0].previous == treasury.address
    with ape.reverts(escrow.PaymentEscrowInvalidAddress, account=ZERO):
        escrow.setTreasury(ZERO, sender=admin)


def test_set_token_allowed__toggles(escrow: Any, emoney: Any, admin: Any) -> None:
    escrow.setTokenAllowed(emoney, False, sender=admin)
    assert not escrow.isTokenAllowed(emoney)
    tx = escrow.setTokenAllowed(emoney, True, sender=admin)
    assert escrow.isTokenAllowed(emoney)
    assert tx.events.filter(escrow.TokenAllowedSet)[0].allowed


def test_unpause__resumes(
    escrow: Any,
    admin: Any,
    funded: Any,
    new_invoice: Callable[..., Invoice],
    sign: Callable[..., bytes],
    customer: Any,
    state: Callable[..., Any],
) -> None:
    escrow.pause(sender=admin)
    escrow.unpause(sender=admin)
    invoice = new_invoice()
    escrow.pay(invoice.abi(), sign(invoice), sender=customer)
    assert state(invoice)[2] == Status.AUTHORIZED


def test_pause__reaches_a_token_listed_while_paused(
    escrow: Any,
    admin: Any,
    deploy_emoney: Callable[..., Any],
    minter: Any,
    new_invoice: Callable[..., Invoice],
    sign: Callable[..., bytes],
    customer: Any,
    state: Callable[..., Any],
) -> None:
    """The pause flag lives in each token's pool word: a token allowed during a pause starts
    paused, and unpause clears it for every token."""
    other = deploy_emoney(name="Other", symbol="OTH")
    other.grantRole(other.MINTER_ROLE(), minter, sender=admin)
    other.mint(customer, PRICE, b"\x00" * 32, sender=minter)
    other.approve(escrow, PRICE, sender=customer)
    escrow.pause(sender=admin)
    escrow.setTokenAllowed(other, True, sender=admin)
    invoice = new_invoice(token=other.address)
    with ape.reverts(escrow.EnforcedPause):
        escrow.pay(invoice.abi(), sign(invoice), sender=customer)
    escrow.unpause(sender=admin)
    escrow.pay(invoice.abi(), sign(invoice), sender=customer)
    assert state(invoice)[2] == Status.AUTHORIZED
    assert escrow.isTokenAllowed(other) and not escrow.paused()
