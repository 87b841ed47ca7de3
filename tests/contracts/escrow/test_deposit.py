"""Per-invoice deposit addresses: plain transfers in, attested sweeps, and every odd payment."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import ape
from eth_utils import keccak, to_checksum_address

from tests.contracts.escrow.conftest import (
    PRICE,
    STORE_A,
    STORE_B,
    ZERO,
    Invoice,
    Status,
    deposit,
    transfer,
)

ETH_PRICE = 3 * 10**16


def events(tx: Any, event: Any) -> list[Any]:
    return list(tx.events.filter(event))


def test_deposit_address__is_create2_of_escrow_invoice_hash_and_constant_init_code(
    project: Any, escrow: Any, new_invoice: Callable[..., Invoice]
) -> None:
    invoice = new_invoice()
    creation = project.DepositForwarder.contract_type.deployment_bytecode.bytecode
    init_code = bytes.fromhex(creation.removeprefix("0x"))  # no constructor argument
    salt = escrow.invoiceHash(invoice.abi())
    raw = keccak(b"\xff" + bytes.fromhex(escrow.address[2:]) + salt + keccak(init_code))[12:]
    assert escrow.depositAddress(invoice.abi()) == to_checksum_address(raw)
    assert escrow.depositAddress(invoice.but(amount=PRICE + 1).abi()) != escrow.depositAddress(
        invoice.abi()
    )


def test_deposit_address__same_terms_other_store__nothing_in_common(
    escrow: Any, new_invoice: Callable[..., Invoice]
) -> None:
    """The forwarder and the address depend on no store: two invoices of two stores with the
    same terms differ only by their blinded commitment."""
    a, b = new_invoice(store=STORE_A), new_invoice(store=STORE_B)
    b = b.but(paymentDeadline=a.paymentDeadline, authorizationExpiry=a.authorizationExpiry)
    b = b.but(refundDeadline=a.refundDeadline)
    assert a.storeCommitment != b.storeCommitment
    assert escrow.depositAddress(a.abi()) != escrow.depositAddress(b.abi())


def test_sweep__erc20_paid_before_deployment__records_payment_with_its_attestation(
    chain: Any,
    escrow: Any,
    funded: Any,
    new_invoice: Callable[..., Invoice],
    pay_address: Callable[..., tuple],
    operator: Any,
    customer: Any,
    state: Callable[..., Any],
    solvent: Callable[..., None],
) -> None:
    invoice = new_invoice()
    t = pay_address(invoice, customer)
    address = escrow.depositAddress(invoice.abi())
    assert chain.provider.get_code(address) == b""
    tx = escrow.sweep([deposit(invoice, [t])], sender=operator)
    assert state(invoice) == (customer.address, PRICE, Status.AUTHORIZED)
    assert funded.balanceOf(address) == 0
    assert funded.balanceOf(escrow) == PRICE
    [kept] = events(tx, escrow.DepositKept)
    assert (kept.invoiceHash, kept.sender, kept.amount, kept.txHash, kept.logIndex) == (
        escrow.invoiceHash(invoice.abi()),
        customer.address,
        PRICE,
        t[2],
        t[3],
    )
    assert events(tx, escrow.InvoicePaid) == []
    # The forwarder removed itself in the same transaction (EIP-6780): no code is left behind.
    assert len(chain.provider.get_code(address)) == 0
    assert tuple(escrow.pool(funded)) == (PRICE, 0, 0, 0)
    solvent(funded)


def test_sweep__eth_paid_before_deployment__records_payment(
    escrow: Any,
    new_invoice: Callable[..., Invoice],
    pay_address: Callable[..., tuple],
    operator: Any,
    customer: Any,
    state: Callable[..., Any],
    solvent: Callable[..., None],
) -> None:
    invoice = new_invoice(token=ZERO, amount=ETH_PRICE)
    t = pay_address(invoice, customer)
    escrow.sweep([deposit(invoice, [t])], sender=operator)
    assert state(invoice) == (customer.address, ETH_PRICE, Status.AUTHORIZED)
    assert escrow.balance == ETH_PRICE
    solvent(ZERO)


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
    escrow.sweep([deposit(invoice, [transfer(wallet, ETH_PRICE, 0)])], sender=operator)
    assert state(invoice) == (wallet.address, ETH_PRICE, Status.AUTHORIZED)
    # And again after a sweep: the address still has no code, so a stipend transfer still works.
    customer.transfer(wallet, 1)
    wallet.sendWithStipend(address, 1, sender=customer)
    escrow.sweep([deposit(invoice, [transfer(wallet, 1, 0)])], sender=operator)
    assert state(invoice)[1] == ETH_PRICE + 1


def test_sweep__second_payment_after_sweep_same_payer__tops_up(
    chain: Any,
    escrow: Any,
    funded: Any,
    new_invoice: Callable[..., Invoice],
    pay_address: Callable[..., tuple],
    operator: Any,
    customer: Any,
    state: Callable[..., Any],
) -> None:
    invoice = new_invoice()
    first = pay_address(invoice, customer, 10_000)
    escrow.sweep([deposit(invoice, [first])], sender=operator)
    second = pay_address(invoice, customer, PRICE - 10_000)  # paid after the forwarder ran once
    assert len(chain.provider.get_code(escrow.depositAddress(invoice.abi()))) == 0
    tx = escrow.sweep([deposit(invoice, [second], capture=True)], sender=operator)
    assert state(invoice) == (customer.address, PRICE, Status.CAPTURED)
    [kept] = events(tx, escrow.DepositKept)
    assert kept.amount == PRICE - 10_000
    assert events(tx, escrow.PaymentCaptured)[0].amount == PRICE
    assert tuple(escrow.pool(funded)) == (0, PRICE, 0, 0)


def test_sweep__extra_payment_after_capture__returned_to_sender(
    escrow: Any,
    funded: Any,
    new_invoice: Callable[..., Invoice],
    pay_address: Callable[..., tuple],
    operator: Any,
    customer: Any,
    state: Callable[..., Any],
) -> None:
    invoice = new_invoice()
    escrow.sweep(
        [deposit(invoice, [pay_address(invoice, customer)], capture=True)], sender=operator
    )
    extra = pay_address(invoice, customer, 500)
    before = funded.balanceOf(customer)
    tx = escrow.sweep([deposit(invoice, [extra])], sender=operator)
    assert funded.balanceOf(customer) == before + 500
    assert state(invoice) == (customer.address, PRICE, Status.CAPTURED)
    [event] = events(tx, escrow.DepositReturned)
    assert (event.to, event.token, event.amount, event.txHash) == (
        customer.address,
        funded.address,
        500,
        extra[2],
    )


def test_sweep__second_sender_while_held__returned(
    escrow: Any,
    funded: Any,
    new_invoice: Callable[..., Invoice],
    pay_address: Callable[..., tuple],
    operator: Any,
    customer: Any,
    other_customer: Any,
    state: Callable[..., Any],
) -> None:
    invoice = new_invoice()
    escrow.sweep([deposit(invoice, [pay_address(invoice, customer)])], sender=operator)
    other = pay_address(invoice, other_customer, 700)
    before = funded.balanceOf(other_customer)
    escrow.sweep([deposit(invoice, [other])], sender=operator)
    assert funded.balanceOf(other_customer) == before + 700
    assert state(invoice) == (customer.address, PRICE, Status.AUTHORIZED)


def test_sweep__named_payer__any_attested_sender_is_the_payers(
    escrow: Any,
    funded: Any,
    new_invoice: Callable[..., Invoice],
    pay_address: Callable[..., tuple],
    operator: Any,
    customer: Any,
    other_customer: Any,
    state: Callable[..., Any],
) -> None:
    """A named payer's deposit is the payer's whoever the attestation names: recorded for it
    (another wallet of the payer's paying is the usual case)."""
    invoice = new_invoice(payer=customer.address)
    t = pay_address(invoice, other_customer)
    escrow.sweep([deposit(invoice, [t])], sender=operator)
    assert state(invoice) == (customer.address, PRICE, Status.AUTHORIZED)


def test_sweep__token_no_longer_allowed__returned(
    escrow: Any,
    funded: Any,
    admin: Any,
    new_invoice: Callable[..., Invoice],
    pay_address: Callable[..., tuple],
    operator: Any,
    customer: Any,
    state: Callable[..., Any],
) -> None:
    invoice = new_invoice()
    t = pay_address(invoice, customer)
    escrow.setTokenAllowed(funded, False, sender=admin)
    before = funded.balanceOf(customer)
    escrow.sweep([deposit(invoice, [t])], sender=operator)
    assert funded.balanceOf(customer) == before + PRICE
    assert state(invoice)[2] == Status.NONE


def test_sweep__underpayment__held_and_capture_limited_to_arrived(
    escrow: Any,
    funded: Any,
    new_invoice: Callable[..., Invoice],
    pay_address: Callable[..., tuple],
    operator: Any,
    customer: Any,
    state: Callable[..., Any],
) -> None:
    invoice = new_invoice()
    t = pay_address(invoice, customer, PRICE - 45)
    escrow.sweep([deposit(invoice, [t], capture=True)], sender=operator)
    assert state(invoice) == (customer.address, PRICE - 45, Status.AUTHORIZED)
    with ape.reverts(
        escrow.PaymentEscrowInsufficientAuthorization, capturable=PRICE - 45, requested=PRICE
    ):
        escrow.capture(invoice.abi(), PRICE, sender=operator)
    escrow.capture(invoice.abi(), PRICE - 45, sender=operator)
    assert escrow.pool(funded)[1] == PRICE - 45


def test_sweep__overpayment__excess_not_capturable_and_released_at_capture(
    escrow: Any,
    funded: Any,
    new_invoice: Callable[..., Invoice],
    pay_address: Callable[..., tuple],
    operator: Any,
    customer: Any,
    state: Callable[..., Any],
) -> None:
    invoice = new_invoice()
    t = pay_address(invoice, customer, PRICE + 655)
    escrow.sweep([deposit(invoice, [t], capture=True)], sender=operator)
    assert state(invoice) == (customer.address, PRICE + 655, Status.AUTHORIZED)
    with ape.reverts(
        escrow.PaymentEscrowInsufficientAuthorization, capturable=PRICE, requested=PRICE + 1
    ):
        escrow.capture(invoice.abi(), PRICE + 1, sender=operator)
    before = funded.balanceOf(customer)
    tx = escrow.capture(invoice.abi(), PRICE, sender=operator)
    assert funded.balanceOf(customer) == before + 655
    assert events(tx, escrow.PaymentCaptured)[0].released == 655
    assert funded.balanceOf(escrow) == PRICE


def test_sweep__overpayment__void_returns_everything(
    escrow: Any,
    funded: Any,
    new_invoice: Callable[..., Invoice],
    pay_address: Callable[..., tuple],
    operator: Any,
    customer: Any,
) -> None:
    invoice = new_invoice()
    escrow.sweep([deposit(invoice, [pay_address(invoice, customer, PRICE + 655)])], sender=operator)
    before = funded.balanceOf(customer)
    escrow.void(invoice.abi(), sender=operator)
    assert funded.balanceOf(customer) == before + PRICE + 655


def test_sweep__nothing_attested__skipped_without_events(
    escrow: Any,
    new_invoice: Callable[..., Invoice],
    operator: Any,
    state: Callable[..., Any],
) -> None:
    invoice = new_invoice()
    tx = escrow.sweep([deposit(invoice)], sender=operator)
    assert events(tx, escrow.DepositKept) == [] and events(tx, escrow.DepositSkipped) == []
    assert state(invoice)[2] == Status.NONE


def test_sweep__attested_but_nothing_arrived__skipped(
    escrow: Any,
    new_invoice: Callable[..., Invoice],
    operator: Any,
    customer: Any,
    state: Callable[..., Any],
) -> None:
    invoice = new_invoice()
    tx = escrow.sweep([deposit(invoice, [transfer(customer, PRICE)])], sender=operator)
    [skipped] = events(tx, escrow.DepositSkipped)
    assert (skipped.token, skipped.expectedToken, skipped.expectedEth) == (invoice.token, PRICE, 0)
    assert state(invoice)[2] == Status.NONE


def test_sweep__many_mixed_tokens__each_recorded_pools_written_per_token(
    escrow: Any,
    funded: Any,
    new_invoice: Callable[..., Invoice],
    pay_address: Callable[..., tuple],
    operator: Any,
    customer: Any,
    other_customer: Any,
    state: Callable[..., Any],
    solvent: Callable[..., None],
) -> None:
    invoices = [
        new_invoice(),
        new_invoice(token=ZERO, amount=ETH_PRICE),
        new_invoice(),
        new_invoice(),
    ]
    payers = [customer, other_customer, other_customer]
    transfers = [pay_address(i, p) for i, p in zip(invoices[:3], payers, strict=True)]
    batch = [
        deposit(i, [t], capture=n == 2)
        for n, (i, t) in enumerate(zip(invoices[:3], transfers, strict=True))
    ]
    escrow.sweep([*batch, deposit(invoices[3])], sender=operator)
    assert [state(i) for i in invoices] == [
        (customer.address, PRICE, Status.AUTHORIZED),
        (other_customer.address, ETH_PRICE, Status.AUTHORIZED),
        (other_customer.address, PRICE, Status.CAPTURED),
        (ZERO, 0, Status.NONE),
    ]
    assert tuple(escrow.pool(funded)) == (PRICE, PRICE, 0, 0)
    assert tuple(escrow.pool(ZERO)) == (ETH_PRICE, 0, 0, 0)
    solvent(funded)
    solvent(ZERO)


def test_sweep__same_invoice_twice_in_one_call__second_skipped(
    escrow: Any,
    new_invoice: Callable[..., Invoice],
    pay_address: Callable[..., tuple],
    operator: Any,
    customer: Any,
    state: Callable[..., Any],
) -> None:
    """The forwarder's account lives until the end of the transaction, so a second CREATE2 at the
    same address fails: that entry is skipped, the first is booked once."""
    invoice = new_invoice()
    t = pay_address(invoice, customer)
    tx = escrow.sweep([deposit(invoice, [t]), deposit(invoice, [t])], sender=operator)
    assert len(events(tx, escrow.DepositSkipped)) == 1
    assert state(invoice) == (customer.address, PRICE, Status.AUTHORIZED)


def test_sweep__transfer_without_sender_or_amount__reverts(
    escrow: Any, new_invoice: Callable[..., Invoice], operator: Any, customer: Any
) -> None:
    invoice = new_invoice()
    for bad in (transfer(ZERO, 1), transfer(customer, 0)):
        with ape.reverts(escrow.PaymentEscrowInvalidTransfer):
            escrow.sweep([deposit(invoice, [bad])], sender=operator)
    eth = new_invoice(token=ZERO, amount=ETH_PRICE)
    with ape.reverts(escrow.PaymentEscrowInvalidTransfer):
        escrow.sweep([deposit(eth, [], [transfer(customer, 1)])], sender=operator)


def test_sweep__invalid_terms__reverts(
    escrow: Any, new_invoice: Callable[..., Invoice], operator: Any, customer: Any
) -> None:
    with ape.reverts(escrow.PaymentEscrowZeroAmount):
        escrow.sweep([deposit(new_invoice(amount=0), [transfer(customer, 1)])], sender=operator)


def test_sweep__exact_payment_captured_at_once__under_and_over_stay_held(
    escrow: Any,
    funded: Any,
    new_invoice: Callable[..., Invoice],
    pay_address: Callable[..., tuple],
    operator: Any,
    customer: Any,
    state: Callable[..., Any],
) -> None:
    exact, under, over = new_invoice(), new_invoice(), new_invoice()
    tx = escrow.sweep(
        [
            deposit(exact, [pay_address(exact, customer)], capture=True),
            deposit(under, [pay_address(under, customer, PRICE - 1)], capture=True),
            deposit(over, [pay_address(over, customer, PRICE + 1)], capture=True),
        ],
        sender=operator,
    )
    assert state(exact) == (customer.address, PRICE, Status.CAPTURED)
    assert state(under) == (customer.address, PRICE - 1, Status.AUTHORIZED)
    assert state(over) == (customer.address, PRICE + 1, Status.AUTHORIZED)
    assert tuple(escrow.pool(funded)) == (2 * PRICE, PRICE, 0, 0)
    assert len(events(tx, escrow.DepositKept)) == 3
    assert [e.invoiceHash for e in events(tx, escrow.PaymentCaptured)] == [
        escrow.invoiceHash(exact.abi())
    ]


def test_sweep__several_senders_open_invoice__largest_pays_ties_go_to_the_first(
    escrow: Any,
    funded: Any,
    minter: Any,
    new_invoice: Callable[..., Invoice],
    pay_address: Callable[..., tuple],
    operator: Any,
    customer: Any,
    other_customer: Any,
    stranger: Any,
    state: Callable[..., Any],
) -> None:
    funded.mint(stranger, PRICE, b"\x00" * 32, sender=minter)
    invoice = new_invoice()
    parts = [
        pay_address(invoice, other_customer, 4_000),
        pay_address(invoice, customer, 3_000),
        pay_address(invoice, customer, 3_000),  # customer's total, 6,000, is the largest
        pay_address(invoice, stranger, 5_000),
    ]
    before = {a.address: funded.balanceOf(a) for a in (customer, other_customer, stranger)}
    tx = escrow.sweep([deposit(invoice, parts)], sender=operator)
    assert state(invoice) == (customer.address, 6_000, Status.AUTHORIZED)
    assert funded.balanceOf(other_customer) == before[other_customer.address] + 4_000
    assert funded.balanceOf(stranger) == before[stranger.address] + 5_000
    assert [e.sender for e in events(tx, escrow.DepositKept)] == [customer.address] * 2
    assert sorted(e.amount for e in events(tx, escrow.DepositReturned)) == [4_000, 5_000]

    tie = new_invoice()
    parts = [pay_address(tie, other_customer, 100), pay_address(tie, customer, 100)]
    escrow.sweep([deposit(tie, parts)], sender=operator)
    assert state(tie) == (other_customer.address, 100, Status.AUTHORIZED)


def test_sweep__held_payment_not_underpaid__not_replaced(
    escrow: Any,
    funded: Any,
    new_invoice: Callable[..., Invoice],
    pay_address: Callable[..., tuple],
    operator: Any,
    customer: Any,
    other_customer: Any,
    state: Callable[..., Any],
) -> None:
    """Only an underpaid held payment gives way; a fully paid one keeps its payer, and the larger
    deposit of another sender goes back."""
    invoice = new_invoice()
    escrow.sweep([deposit(invoice, [pay_address(invoice, customer)])], sender=operator)
    big = pay_address(invoice, other_customer, 2 * PRICE)
    tx = escrow.sweep([deposit(invoice, [big])], sender=operator)
    assert events(tx, escrow.PaymentReplaced) == []
    assert state(invoice) == (customer.address, PRICE, Status.AUTHORIZED)
