"""pay, payWithPermit, invoice validation and signature replay."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import ape
import pytest

from tests.contracts.escrow.conftest import PRICE, ZERO, Invoice, Status
from tests.contracts.signing import sign_permit


def test_pay__erc20__holds_funds_and_emits_a_small_event(
    escrow: Any,
    funded: Any,
    new_invoice: Callable[..., Invoice],
    sign: Callable[..., bytes],
    customer: Any,
    state: Callable[..., Any],
) -> None:
    invoice = new_invoice()
    before = funded.balanceOf(customer)
    tx = escrow.pay(invoice.abi(), sign(invoice), sender=customer)
    assert funded.balanceOf(customer) == before - PRICE
    assert funded.balanceOf(escrow) == PRICE
    assert state(invoice) == (customer.address, PRICE, Status.AUTHORIZED)
    [event] = tx.events.filter(escrow.InvoicePaid)
    assert event.invoiceHash == escrow.invoiceHash(invoice.abi())
    assert (event.payer, event.token, event.amount) == (customer.address, funded.address, PRICE)
    # No terms in the event: nothing that names or fingerprints the store.
    assert set(event.event_arguments) == {"invoiceHash", "payer", "token", "amount"}
    assert tuple(escrow.pool(funded)) == (PRICE, 0, 0, 0)


def test_pay__eth__holds_value(
    escrow: Any,
    new_invoice: Callable[..., Invoice],
    sign: Callable[..., bytes],
    customer: Any,
    state: Callable[..., Any],
) -> None:
    invoice = new_invoice(token=ZERO, amount=10**17)
    escrow.pay(invoice.abi(), sign(invoice), sender=customer, value=10**17)
    assert escrow.balance == 10**17
    assert state(invoice) == (customer.address, 10**17, Status.AUTHORIZED)


@pytest.mark.parametrize("value", [0, 10**17 - 1, 10**17 + 1])
def test_pay__eth_wrong_value__reverts(
    escrow: Any,
    new_invoice: Callable[..., Invoice],
    sign: Callable[..., bytes],
    customer: Any,
    value: int,
) -> None:
    invoice = new_invoice(token=ZERO, amount=10**17)
    with ape.reverts(escrow.PaymentEscrowWrongValue, expected=10**17, found=value):
        escrow.pay(invoice.abi(), sign(invoice), sender=customer, value=value)


def test_pay__erc20_with_value__reverts(
    escrow: Any,
    funded: Any,
    new_invoice: Callable[..., Invoice],
    sign: Callable[..., bytes],
    customer: Any,
) -> None:
    invoice = new_invoice()
    with ape.reverts(escrow.PaymentEscrowWrongValue, expected=0, found=1):
        escrow.pay(invoice.abi(), sign(invoice), sender=customer, value=1)


def test_pay__twice__reverts(
    escrow: Any, paid: Callable[..., Invoice], sign: Callable[..., bytes], customer: Any
) -> None:
    invoice = paid()
    with ape.reverts(
        escrow.PaymentEscrowInvalidStatus,
        invoiceHash=escrow.invoiceHash(invoice.abi()),
        expected=Status.NONE,
        found=Status.AUTHORIZED,
    ):
        escrow.pay(invoice.abi(), sign(invoice), sender=customer)


def test_pay__named_payer__only_that_payer(
    escrow: Any,
    funded: Any,
    new_invoice: Callable[..., Invoice],
    sign: Callable[..., bytes],
    customer: Any,
    other_customer: Any,
    state: Callable[..., Any],
) -> None:
    invoice = new_invoice(payer=customer.address)
    with ape.reverts(
        escrow.PaymentEscrowPayerMismatch,
        invoiceHash=escrow.invoiceHash(invoice.abi()),
        expected=customer.address,
        found=other_customer.address,
    ):
        escrow.pay(invoice.abi(), sign(invoice), sender=other_customer)
    escrow.pay(invoice.abi(), sign(invoice), sender=customer)
    assert state(invoice)[2] == Status.AUTHORIZED


def test_pay__after_payment_deadline__reverts(
    chain: Any,
    escrow: Any,
    funded: Any,
    new_invoice: Callable[..., Invoice],
    sign: Callable[..., bytes],
    customer: Any,
) -> None:
    invoice = new_invoice()
    chain.pending_timestamp = invoice.paymentDeadline + 1
    with ape.reverts(escrow.PaymentEscrowPaymentDeadlinePassed, deadline=invoice.paymentDeadline):
        escrow.pay(invoice.abi(), sign(invoice), sender=customer)


def test_pay__at_payment_deadline__succeeds(
    chain: Any,
    escrow: Any,
    funded: Any,
    new_invoice: Callable[..., Invoice],
    sign: Callable[..., bytes],
    customer: Any,
    state: Callable[..., Any],
) -> None:
    invoice = new_invoice()
    chain.pending_timestamp = invoice.paymentDeadline
    escrow.pay(invoice.abi(), sign(invoice), sender=customer)
    assert state(invoice)[2] == Status.AUTHORIZED


def test_pay__zero_amount__reverts(
    escrow: Any, new_invoice: Callable[..., Invoice], sign: Callable[..., bytes], customer: Any
) -> None:
    invoice = new_invoice(amount=0)
    with ape.reverts(escrow.PaymentEscrowZeroAmount):
        escrow.pay(invoice.abi(), sign(invoice), sender=customer)


def test_pay__amount_above_uint88__reverts(
    escrow: Any, new_invoice: Callable[..., Invoice], sign: Callable[..., bytes], customer: Any
) -> None:
    invoice = new_invoice(amount=2**88)
    with ape.reverts(escrow.PaymentEscrowAmountTooLarge, amount=2**88, max=2**88 - 1):
        escrow.pay(invoice.abi(), sign(invoice), sender=customer)


@pytest.mark.parametrize(
    "offsets", [(2, 1, 3), (1, 3, 2), (3, 2, 1)], ids=["payment>auth", "auth>refund", "reversed"]
)
def test_pay__expiries_out_of_order__reverts(
    chain: Any,
    escrow: Any,
    new_invoice: Callable[..., Invoice],
    sign: Callable[..., bytes],
    customer: Any,
    offsets: tuple[int, int, int],
) -> None:
    base = chain.pending_timestamp
    pd, ae, rd = (base + 1000 * o for o in offsets)
    invoice = new_invoice(paymentDeadline=pd, authorizationExpiry=ae, refundDeadline=rd)
    with ape.reverts(
        escrow.PaymentEscrowExpiriesOutOfOrder,
        paymentDeadline=pd,
        authorizationExpiry=ae,
        refundDeadline=rd,
    ):
        escrow.pay(invoice.abi(), sign(invoice), sender=customer)


def test_pay__token_not_allowed__reverts(
    deploy_emoney: Callable[..., Any],
    escrow: Any,
    new_invoice: Callable[..., Invoice],
    sign: Callable[..., bytes],
    customer: Any,
) -> None:
    other = deploy_emoney(name="Other", symbol="OTH")
    invoice = new_invoice(token=other.address)
    with ape.reverts(escrow.PaymentEscrowTokenNotAllowed, token=other.address):
        escrow.pay(invoice.abi(), sign(invoice), sender=customer)


def test_pay__eth_disallowed__reverts(
    escrow: Any,
    admin: Any,
    new_invoice: Callable[..., Invoice],
    sign: Callable[..., bytes],
    customer: Any,
) -> None:
    escrow.setTokenAllowed(ZERO, False, sender=admin)
    invoice = new_invoice(token=ZERO, amount=1)
    with ape.reverts(escrow.PaymentEscrowTokenNotAllowed, token=ZERO):
        escrow.pay(invoice.abi(), sign(invoice), sender=customer, value=1)


def test_pay__signed_by_non_operator__reverts(
    escrow: Any,
    funded: Any,
    new_invoice: Callable[..., Invoice],
    sign: Callable[..., bytes],
    customer: Any,
    stranger: Any,
) -> None:
    invoice = new_invoice()
    with ape.reverts(
        escrow.PaymentEscrowInvalidSignature,
        invoiceHash=escrow.invoiceHash(invoice.abi()),
        recovered=stranger.address,
    ):
        escrow.pay(invoice.abi(), sign(invoice, signer=stranger), sender=customer)


def test_pay__garbage_signature__reverts(
    escrow: Any, funded: Any, new_invoice: Callable[..., Invoice], customer: Any
) -> None:
    invoice = new_invoice()
    with ape.reverts(escrow.PaymentEscrowInvalidSignature, recovered=ZERO):
        escrow.pay(invoice.abi(), b"\x01" * 65, sender=customer)


def test_pay__operator_role_revoked__signature_no_longer_valid(
    escrow: Any,
    funded: Any,
    admin: Any,
    operator: Any,
    new_invoice: Callable[..., Invoice],
    sign: Callable[..., bytes],
    customer: Any,
) -> None:
    invoice = new_invoice()
    signature = sign(invoice)
    escrow.revokeRole(escrow.OPERATOR_ROLE(), operator, sender=admin)
    with ape.reverts(escrow.PaymentEscrowInvalidSignature, recovered=operator.address):
        escrow.pay(invoice.abi(), signature, sender=customer)


@pytest.mark.parametrize(
    "change",
    [
        {"amount": PRICE - 1},
        {"storeCommitment": b"\x22" * 32},
        {"payer": "0x000000000000000000000000000000000000dEaD"},
        {"paymentDeadline": 1},
        {"refundDeadline": 2**40},
    ],
    ids=["amount", "storeCommitment", "payer", "paymentDeadline", "refundDeadline"],
)
def test_pay__altered_terms__signature_rejected(
    escrow: Any,
    funded: Any,
    new_invoice: Callable[..., Invoice],
    sign: Callable[..., bytes],
    customer: Any,
    change: dict[str, Any],
) -> None:
    invoice = new_invoice()
    altered = invoice.but(**change)
    with ape.reverts(
        escrow.PaymentEscrowInvalidSignature, invoiceHash=escrow.invoiceHash(altered.abi())
    ):
        escrow.pay(altered.abi(), sign(invoice), sender=customer)


def test_pay__signature_for_other_escrow__rejected(
    deploy_escrow: Callable[..., Any],
    escrow: Any,
    funded: Any,
    new_invoice: Callable[..., Invoice],
    sign: Callable[..., bytes],
    customer: Any,
) -> None:
    twin = deploy_escrow(funded)
    invoice = new_invoice()
    assert twin.invoiceHash(invoice.abi()) != escrow.invoiceHash(invoice.abi())
    with ape.reverts(escrow.PaymentEscrowInvalidSignature):
        escrow.pay(invoice.abi(), sign(invoice, on=twin), sender=customer)


def test_pay__signature_for_other_chain__rejected(
    escrow: Any,
    operator: Any,
    funded: Any,
    new_invoice: Callable[..., Invoice],
    chain: Any,
    customer: Any,
) -> None:
    from tests.contracts.escrow.conftest import sign_invoice

    invoice = new_invoice()
    signature = sign_invoice(escrow, operator, invoice, chain.chain_id + 1)
    with ape.reverts(escrow.PaymentEscrowInvalidSignature):
        escrow.pay(invoice.abi(), signature, sender=customer)


def test_pay__insufficient_allowance__reverts(
    escrow: Any,
    emoney: Any,
    minter: Any,
    new_invoice: Callable[..., Invoice],
    sign: Callable[..., bytes],
    stranger: Any,
) -> None:
    emoney.mint(stranger, PRICE, b"\x00" * 32, sender=minter)
    invoice = new_invoice()
    with ape.reverts(emoney.ERC20InsufficientAllowance):
        escrow.pay(invoice.abi(), sign(invoice), sender=stranger)


def test_pay__paused__reverts(
    escrow: Any,
    admin: Any,
    funded: Any,
    new_invoice: Callable[..., Invoice],
    sign: Callable[..., bytes],
    customer: Any,
) -> None:
    escrow.pause(sender=admin)
    invoice = new_invoice()
    with ape.reverts(escrow.EnforcedPause):
        escrow.pay(invoice.abi(), sign(invoice), sender=customer)


def test_invoice_hash__matches_eip712_digest(
    escrow: Any,
    new_invoice: Callable[..., Invoice],
    chain: Any,
    operator: Any,
    sign: Callable[..., bytes],
) -> None:
    from eth_account.messages import encode_typed_data
    from eth_utils import keccak

    from tests.contracts.escrow.conftest import INVOICE_TYPES
    from tests.contracts.signing import domain_of

    invoice = new_invoice()
    encoded = encode_typed_data(domain_of(escrow, chain.chain_id), INVOICE_TYPES, invoice.message())
    digest = keccak(b"\x19" + encoded.version + encoded.header + encoded.body)
    assert escrow.invoiceHash(invoice.abi()) == digest
    assert escrow.eip712Domain()[1:3] == ("CoinposPaymentEscrow", "2")


def test_pay_with_permit__no_prior_allowance__pays(
    escrow: Any,
    emoney: Any,
    minter: Any,
    new_invoice: Callable[..., Invoice],
    sign: Callable[..., bytes],
    stranger: Any,
    chain: Any,
    state: Callable[..., Any],
) -> None:
    emoney.mint(stranger, PRICE, b"\x00" * 32, sender=minter)
    invoice = new_invoice()
    deadline = chain.pending_timestamp + 600
    v, r, s = sign_permit(emoney, stranger, escrow, PRICE, deadline, chain.chain_id)
    escrow.payWithPermit(invoice.abi(), sign(invoice), deadline, v, r, s, sender=stranger)
    assert state(invoice) == (stranger.address, PRICE, Status.AUTHORIZED)
    assert emoney.balanceOf(escrow) == PRICE


def test_pay_with_permit__permit_front_run__still_pays(
    escrow: Any,
    emoney: Any,
    minter: Any,
    new_invoice: Callable[..., Invoice],
    sign: Callable[..., bytes],
    stranger: Any,
    other_customer: Any,
    chain: Any,
    state: Callable[..., Any],
) -> None:
    emoney.mint(stranger, PRICE, b"\x00" * 32, sender=minter)
    invoice = new_invoice()
    deadline = chain.pending_timestamp + 600
    v, r, s = sign_permit(emoney, stranger, escrow, PRICE, deadline, chain.chain_id)
    emoney.permit(stranger, escrow, PRICE, deadline, v, r, s, sender=other_customer)
    escrow.payWithPermit(invoice.abi(), sign(invoice), deadline, v, r, s, sender=stranger)
    assert state(invoice)[2] == Status.AUTHORIZED


def test_pay_with_permit__bad_permit_no_allowance__reverts(
    escrow: Any,
    emoney: Any,
    minter: Any,
    new_invoice: Callable[..., Invoice],
    sign: Callable[..., bytes],
    stranger: Any,
    chain: Any,
) -> None:
    emoney.mint(stranger, PRICE, b"\x00" * 32, sender=minter)
    invoice = new_invoice()
    deadline = chain.pending_timestamp + 600
    v, r, s = sign_permit(emoney, stranger, escrow, PRICE - 1, deadline, chain.chain_id)
    with ape.reverts(emoney.ERC20InsufficientAllowance):
        escrow.payWithPermit(invoice.abi(), sign(invoice), deadline, v, r, s, sender=stranger)


def test_pay_with_permit__eth_invoice__reverts(
    escrow: Any, new_invoice: Callable[..., Invoice], sign: Callable[..., bytes], customer: Any
) -> None:
    invoice = new_invoice(token=ZERO)
    with ape.reverts(
        escrow.PaymentEscrowPermitForEth, invoiceHash=escrow.invoiceHash(invoice.abi())
    ):
        escrow.payWithPermit(
            invoice.abi(), sign(invoice), 0, 27, b"\x00" * 32, b"\x00" * 32, sender=customer
        )
