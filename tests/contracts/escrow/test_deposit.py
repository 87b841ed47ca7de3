"""Per-invoice deposit addresses: plain transfers in, operator sweeps, and every odd payment."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import ape
import pytest
from eth_abi import encode
from eth_utils import keccak, to_checksum_address

from tests.contracts.escrow.conftest import PRICE, STORE_A, ZERO, Invoice, Status

ETH_PRICE = 3 * 10**16


@pytest.fixture
def deposit(escrow: Any, funded: Any) -> Callable[..., str]:
    """Pays an invoice's deposit address with a plain transfer; returns the address."""

    def pay(invoice: Invoice, payer: Any, amount: int | None = None) -> str:
        address = escrow.depositAddress(invoice.abi())
        amount = invoice.amount if amount is None else amount
        if invoice.token == ZERO:
            payer.transfer(address, amount)
        else:
            funded.transfer(address, amount, sender=payer)
        return address

    return pay


def events(tx: Any, event: Any) -> list[Any]:
    return list(tx.events.filter(event))


def test_deposit_address__is_create2_of_escrow_and_invoice_hash(
    project: Any, escrow: Any, new_invoice: Callable[..., Invoice]
) -> None:
    invoice = new_invoice()
    creation = project.DepositForwarder.contract_type.deployment_bytecode.bytecode
    init_code = bytes.fromhex(creation.removeprefix("0x")) + encode(["address"], [invoice.token])
    salt = escrow.invoiceHash(invoice.abi())
    raw = keccak(b"\xff" + bytes.fromhex(escrow.address[2:]) + salt + keccak(init_code))[12:]
    assert escrow.depositAddress(invoice.abi()) == to_checksum_address(raw)
    assert escrow.depositAddress(invoice.but(amount=PRICE + 1).abi()) != escrow.depositAddress(
        invoice.abi()
    )


def test_sweep__erc20_paid_before_deployment__records_payment(
    chain: Any,
    escrow: Any,
    funded: Any,
    new_invoice: Callable[..., Invoice],
    deposit: Callable[..., str],
    operator: Any,
    customer: Any,
    state: Callable[..., Any],
) -> None:
    invoice = new_invoice()
    address = deposit(invoice, customer)
    assert chain.provider.get_code(address) == b""
    tx = escrow.sweep([invoice.abi()], [customer], sender=operator)
    assert state(invoice) == (customer.address, PRICE, Status.AUTHORIZED)
    assert funded.balanceOf(address) == 0
    assert funded.balanceOf(escrow) == PRICE
    [paid] = events(tx, escrow.InvoicePaid)
    assert (paid.storeId, paid.payer, paid.amount) == (STORE_A, customer.address, PRICE)
    assert escrow.invoiceHash(tuple(paid.invoice)) == paid.invoiceHash
    # The forwarder removed itself in the same transaction (EIP-6780): no code is left behind.
    assert len(chain.provider.get_code(address)) == 0


def test_sweep__eth_paid_before_deployment__records_payment(
    escrow: Any,
    new_invoice: Callable[..., Invoice],
    deposit: Callable[..., str],
    operator: Any,
    customer: Any,
    state: Callable[..., Any],
) -> None:
    invoice = new_invoice(token=ZERO, amount=ETH_PRICE)
    deposit(invoice, customer)
    escrow.sweep([invoice.abi()], [customer], sender=operator)
    assert state(invoice) == (customer.address, ETH_PRICE, Status.AUTHORIZED)
    assert escrow.balance == ETH_PRICE


def test_sweep__eth_sent_with_2300_gas_stipend__lands_and_is_swept(
    project: Any,
    escrow: Any,
    new_invoice: Callable[..., Invoice],
    operator: Any,
    customer: Any,
    state: Callable[..., Any],
) -> None:
    wallet = customer.deploy(project.EthSender)
    customer.transfer(wallet, ETH_PRICE)
    invoice = new_invoice(token=ZERO, amount=ETH_PRICE)
    address = escrow.depositAddress(invoice.abi())
    wallet.sendWithStipend(address, ETH_PRICE, sender=customer)
    escrow.sweep([invoice.abi()], [wallet], sender=operator)
    assert state(invoice) == (wallet.address, ETH_PRICE, Status.AUTHORIZED)
    # And again after a sweep: the address still has no code, so a stipend transfer still works.
    customer.transfer(wallet, 1)
    wallet.sendWithStipend(address, 1, sender=customer)
    escrow.sweep([invoice.abi()], [wallet], sender=operator)
    assert state(invoice)[1] == ETH_PRICE + 1


def test_sweep__second_payment_after_sweep_same_payer__tops_up(
    chain: Any,
    escrow: Any,
    funded: Any,
    new_invoice: Callable[..., Invoice],
    deposit: Callable[..., str],
    operator: Any,
    customer: Any,
    state: Callable[..., Any],
) -> None:
    invoice = new_invoice()
    deposit(invoice, customer, 10_000)
    escrow.sweep([invoice.abi()], [customer], sender=operator)
    address = deposit(invoice, customer, PRICE - 10_000)  # paid after the forwarder ran once
    assert len(chain.provider.get_code(address)) == 0
    tx = escrow.sweep([invoice.abi()], [customer], sender=operator)
    assert state(invoice) == (customer.address, PRICE, Status.AUTHORIZED)
    [event] = events(tx, escrow.PaymentIncreased)
    assert (event.amount, event.held) == (PRICE - 10_000, PRICE)
    escrow.capture(invoice.abi(), PRICE, 0, sender=operator)
    assert escrow.storeBalance(STORE_A, funded) == PRICE


def test_sweep__extra_payment_after_capture__returned_to_payer(
    escrow: Any,
    funded: Any,
    new_invoice: Callable[..., Invoice],
    deposit: Callable[..., str],
    operator: Any,
    customer: Any,
    state: Callable[..., Any],
) -> None:
    invoice = new_invoice()
    deposit(invoice, customer)
    escrow.sweep([invoice.abi()], [customer], sender=operator)
    escrow.capture(invoice.abi(), PRICE, 0, sender=operator)
    deposit(invoice, customer, 500)
    before = funded.balanceOf(customer)
    tx = escrow.sweep([invoice.abi()], [customer], sender=operator)
    assert funded.balanceOf(customer) == before + 500
    assert state(invoice) == (customer.address, PRICE, Status.CAPTURED)
    [event] = events(tx, escrow.DepositReturned)
    assert (event.payer, event.amount) == (customer.address, 500)


def test_sweep__late_payment__returned_to_payer(
    chain: Any,
    escrow: Any,
    funded: Any,
    new_invoice: Callable[..., Invoice],
    deposit: Callable[..., str],
    operator: Any,
    customer: Any,
    state: Callable[..., Any],
) -> None:
    invoice = new_invoice()
    deposit(invoice, customer)
    chain.pending_timestamp = invoice.paymentDeadline + 1
    before = funded.balanceOf(customer)
    escrow.sweep([invoice.abi()], [customer], sender=operator)
    assert funded.balanceOf(customer) == before + PRICE
    assert state(invoice)[2] == Status.NONE
    assert funded.balanceOf(escrow) == 0


def test_sweep__second_payer_while_held__returned(
    escrow: Any,
    funded: Any,
    new_invoice: Callable[..., Invoice],
    deposit: Callable[..., str],
    operator: Any,
    customer: Any,
    other_customer: Any,
    state: Callable[..., Any],
) -> None:
    invoice = new_invoice()
    deposit(invoice, customer)
    escrow.sweep([invoice.abi()], [customer], sender=operator)
    deposit(invoice, other_customer, 700)
    before = funded.balanceOf(other_customer)
    escrow.sweep([invoice.abi()], [other_customer], sender=operator)
    assert funded.balanceOf(other_customer) == before + 700
    assert state(invoice) == (customer.address, PRICE, Status.AUTHORIZED)


def test_sweep__payer_other_than_invoice_names__returned(
    escrow: Any,
    funded: Any,
    new_invoice: Callable[..., Invoice],
    deposit: Callable[..., str],
    operator: Any,
    customer: Any,
    other_customer: Any,
    state: Callable[..., Any],
) -> None:
    invoice = new_invoice(payer=customer.address)
    deposit(invoice, other_customer)
    before = funded.balanceOf(other_customer)
    escrow.sweep([invoice.abi()], [other_customer], sender=operator)
    assert funded.balanceOf(other_customer) == before + PRICE
    assert state(invoice)[2] == Status.NONE


def test_sweep__token_no_longer_allowed__returned(
    escrow: Any,
    funded: Any,
    admin: Any,
    new_invoice: Callable[..., Invoice],
    deposit: Callable[..., str],
    operator: Any,
    customer: Any,
    state: Callable[..., Any],
) -> None:
    invoice = new_invoice()
    deposit(invoice, customer)
    escrow.setTokenAllowed(funded, False, sender=admin)
    before = funded.balanceOf(customer)
    escrow.sweep([invoice.abi()], [customer], sender=operator)
    assert funded.balanceOf(customer) == before + PRICE
    assert state(invoice)[2] == Status.NONE


def test_sweep__underpayment__held_and_capture_limited_to_arrived(
    escrow: Any,
    funded: Any,
    new_invoice: Callable[..., Invoice],
    deposit: Callable[..., str],
    operator: Any,
    customer: Any,
    state: Callable[..., Any],
) -> None:
    invoice = new_invoice()
    deposit(invoice, customer, PRICE - 45)
    tx = escrow.sweep([invoice.abi()], [customer], sender=operator)
    assert events(tx, escrow.InvoicePaid)[0].amount == PRICE - 45
    assert state(invoice) == (customer.address, PRICE - 45, Status.AUTHORIZED)
    with ape.reverts(
        escrow.PaymentEscrowInsufficientAuthorization, capturable=PRICE - 45, requested=PRICE
    ):
        escrow.capture(invoice.abi(), PRICE, 0, sender=operator)
    escrow.capture(invoice.abi(), PRICE - 45, 0, sender=operator)
    assert escrow.storeBalance(STORE_A, funded) == PRICE - 45


def test_sweep__overpayment__excess_not_capturable_and_released_at_capture(
    escrow: Any,
    funded: Any,
    new_invoice: Callable[..., Invoice],
    deposit: Callable[..., str],
    operator: Any,
    customer: Any,
    state: Callable[..., Any],
) -> None:
    invoice = new_invoice()
    deposit(invoice, customer, PRICE + 655)
    escrow.sweep([invoice.abi()], [customer], sender=operator)
    assert state(invoice)[1] == PRICE + 655
    with ape.reverts(
        escrow.PaymentEscrowInsufficientAuthorization, capturable=PRICE, requested=PRICE + 1
    ):
        escrow.capture(invoice.abi(), PRICE + 1, 0, sender=operator)
    before = funded.balanceOf(customer)
    tx = escrow.capture(invoice.abi(), PRICE, 0, sender=operator)
    assert funded.balanceOf(customer) == before + 655
    assert events(tx, escrow.PaymentCaptured)[0].released == 655
    assert funded.balanceOf(escrow) == PRICE


def test_sweep__overpayment__void_returns_everything(
    escrow: Any,
    funded: Any,
    new_invoice: Callable[..., Invoice],
    deposit: Callable[..., str],
    operator: Any,
    customer: Any,
) -> None:
    invoice = new_invoice()
    deposit(invoice, customer, PRICE + 655)
    escrow.sweep([invoice.abi()], [customer], sender=operator)
    before = funded.balanceOf(customer)
    escrow.void(invoice.abi(), sender=operator)
    assert funded.balanceOf(customer) == before + PRICE + 655


def test_sweep__nothing_arrived__skipped(
    escrow: Any,
    new_invoice: Callable[..., Invoice],
    operator: Any,
    customer: Any,
    state: Callable[..., Any],
) -> None:
    invoice = new_invoice()
    tx = escrow.sweep([invoice.abi()], [customer], sender=operator)
    assert events(tx, escrow.InvoicePaid) == []
    assert state(invoice)[2] == Status.NONE


def test_sweep__many_mixed_tokens__each_recorded(
    escrow: Any,
    funded: Any,
    new_invoice: Callable[..., Invoice],
    deposit: Callable[..., str],
    operator: Any,
    customer: Any,
    other_customer: Any,
    state: Callable[..., Any],
) -> None:
    invoices = [
        new_invoice(),
        new_invoice(token=ZERO, amount=ETH_PRICE),
        new_invoice(),
        new_invoice(),
    ]
    payers = [customer, other_customer, other_customer, customer]
    for invoice, payer in zip(invoices[:3], payers[:3], strict=True):
        deposit(invoice, payer)
    escrow.sweep([i.abi() for i in invoices], payers, sender=operator)
    assert [state(i) for i in invoices] == [
        (customer.address, PRICE, Status.AUTHORIZED),
        (other_customer.address, ETH_PRICE, Status.AUTHORIZED),
        (other_customer.address, PRICE, Status.AUTHORIZED),
        (ZERO, 0, Status.NONE),
    ]
    assert funded.balanceOf(escrow) == 2 * PRICE
    assert escrow.balance == ETH_PRICE


def test_sweep__same_invoice_twice_in_one_call__reverts(
    escrow: Any,
    new_invoice: Callable[..., Invoice],
    deposit: Callable[..., str],
    operator: Any,
    customer: Any,
) -> None:
    invoice = new_invoice()
    deposit(invoice, customer)
    with ape.reverts(escrow.FailedDeployment):
        escrow.sweep([invoice.abi(), invoice.abi()], [customer, customer], sender=operator)


def test_sweep__zero_payer__reverts(
    escrow: Any, new_invoice: Callable[..., Invoice], operator: Any
) -> None:
    with ape.reverts(escrow.PaymentEscrowInvalidAddress, account=ZERO):
        escrow.sweep([new_invoice().abi()], [ZERO], sender=operator)


def test_sweep__length_mismatch__reverts(
    escrow: Any, new_invoice: Callable[..., Invoice], operator: Any, customer: Any
) -> None:
    with ape.reverts(escrow.PaymentEscrowLengthMismatch, expected=1, found=2):
        escrow.sweep([new_invoice().abi()], [customer, customer], sender=operator)


def test_sweep__invalid_terms__reverts(
    escrow: Any, new_invoice: Callable[..., Invoice], operator: Any, customer: Any
) -> None:
    with ape.reverts(escrow.PaymentEscrowZeroAmount):
        escrow.sweep([new_invoice(amount=0).abi()], [customer], sender=operator)


def test_sweep_and_capture__exact_payment__captured_at_once(
    escrow: Any,
    funded: Any,
    new_invoice: Callable[..., Invoice],
    deposit: Callable[..., str],
    operator: Any,
    customer: Any,
    state: Callable[..., Any],
) -> None:
    exact, under = new_invoice(), new_invoice()
    deposit(exact, customer)
    deposit(under, customer, PRICE - 1)
    tx = escrow.sweepAndCapture(
        [exact.abi(), under.abi()], [customer, customer], [100, 100], sender=operator
    )
    assert state(exact) == (customer.address, PRICE, Status.CAPTURED)
    assert state(under) == (customer.address, PRICE - 1, Status.AUTHORIZED)
    assert escrow.storeBalance(STORE_A, funded) == PRICE - PRICE // 100
    assert escrow.accruedFees(STORE_A, funded) == PRICE // 100
    assert len(events(tx, escrow.InvoicePaid)) == 2
    assert [e.invoiceHash for e in events(tx, escrow.PaymentCaptured)] == [
        escrow.invoiceHash(exact.abi())
    ]


def test_sweep_and_capture__fee_out_of_bounds__reverts(
    escrow: Any,
    new_invoice: Callable[..., Invoice],
    deposit: Callable[..., str],
    operator: Any,
    customer: Any,
) -> None:
    invoice = new_invoice(minFeeBps=50, maxFeeBps=100)
    deposit(invoice, customer)
    with ape.reverts(escrow.PaymentEscrowFeeOutOfBounds, feeBps=101):
        escrow.sweepAndCapture([invoice.abi()], [customer], [101], sender=operator)


def test_sweep_and_capture__length_mismatch__reverts(
    escrow: Any, new_invoice: Callable[..., Invoice], operator: Any, customer: Any
) -> None:
    with ape.reverts(escrow.PaymentEscrowLengthMismatch, expected=1, found=0):
        escrow.sweepAndCapture([new_invoice().abi()], [customer], [], sender=operator)
