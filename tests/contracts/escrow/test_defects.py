"""Issue 9, section 1: one test per defect of the deposit-address path, on anvil.

Each test says why the previous design (v1) fails it; where it is cheap, the v1 scenario runs
against `PaymentEscrowV1` (the unchanged v1 contract, kept as a test double) and asserts the old
failure, as a control that the scenario really exercises the defect.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import ape
import pytest

from tests.contracts.escrow.conftest import (
    NO_LOG,
    PRICE,
    STORE_A,
    ZERO,
    Invoice,
    Status,
    deposit,
    transfer,
    tx_hash,
)

ETH_PRICE = 3 * 10**16


@pytest.fixture
def v1(project: Any, admin: Any, operator: Any, treasury: Any, emoney: Any) -> Any:
    """The previous design, deployed like the escrow (EMoney and ETH allowed)."""
    escrow = admin.deploy(project.PaymentEscrowV1, admin, treasury)
    escrow.grantRole(escrow.OPERATOR_ROLE(), operator, sender=admin)
    escrow.setTokenAllowed(emoney, True, sender=admin)
    escrow.setTokenAllowed(ZERO, True, sender=admin)
    return escrow


def v1_terms(invoice: Invoice) -> tuple[Any, ...]:
    """The same invoice in v1's 10-field terms (store id in clear, fee bounds, salt)."""
    return (
        STORE_A,
        invoice.token,
        invoice.amount,
        invoice.payer,
        invoice.paymentDeadline,
        invoice.authorizationExpiry,
        invoice.refundDeadline,
        0,
        300,
        invoice.storeCommitment,
    )


def v1_pay_address(v1: Any, emoney: Any, invoice: Invoice, payer: Any, amount: int) -> None:
    emoney.transfer(v1.depositAddress(v1_terms(invoice)), amount, sender=payer)


# --- 1.1 the operator cannot take a named payer's deposit ------------------------------------


def test_defect_1_1__false_sender_attested_for_named_payer__funds_still_reach_the_payer(
    chain: Any,
    escrow: Any,
    funded: Any,
    v1: Any,
    operator: Any,
    customer: Any,
    new_invoice: Callable[..., Invoice],
    pay_address: Callable[..., tuple],
    state: Callable[..., Any],
) -> None:
    """v1 records and returns a deposit to `payers[i]`, which the operator chooses: attesting
    itself as the sender of a named payer's deposit, the operator got the money back (control
    below). v2 uses the invoice's payer for the record, the void and the return; the false
    attestation stays on chain in DepositKept, where anyone can compare it with the transfer log."""
    invoice = new_invoice(payer=customer.address)
    real = pay_address(invoice, customer)
    lie = transfer(operator, PRICE, real[3], real[2])  # the real transfer, a false sender
    tx = escrow.sweep([deposit(invoice, [lie])], sender=operator)
    assert state(invoice) == (customer.address, PRICE, Status.AUTHORIZED)
    [kept] = tx.events.filter(escrow.DepositKept)
    assert (kept.sender, kept.txHash, kept.logIndex) == (operator.address, real[2], real[3])
    before = funded.balanceOf(customer)
    escrow.void(invoice.abi(), sender=operator)
    assert funded.balanceOf(customer) == before + PRICE
    assert funded.balanceOf(operator) == 0

    # A deposit that goes back (after the expiry) goes to the named payer too.
    late = new_invoice(payer=customer.address)
    pay_address(late, customer)
    chain.pending_timestamp = late.authorizationExpiry
    before = funded.balanceOf(customer)
    tx = escrow.sweep([deposit(late, [transfer(operator, PRICE)])], sender=operator)
    [returned] = tx.events.filter(escrow.DepositReturned)
    assert returned.to == customer.address
    assert funded.balanceOf(customer) == before + PRICE
    assert funded.balanceOf(operator) == 0

    # Control: v1 pays the operator it names, with the payer named in the terms.
    terms = new_invoice(payer=customer.address)
    v1_pay_address(v1, funded, terms, customer, PRICE)
    v1.sweep([v1_terms(terms)], [operator], sender=operator)
    assert funded.balanceOf(operator) == PRICE


# --- 1.2 an on-time deposit swept after the payment deadline is kept -------------------------


def test_defect_1_2__on_time_deposit_swept_after_payment_deadline__kept(
    chain: Any,
    escrow: Any,
    funded: Any,
    v1: Any,
    operator: Any,
    customer: Any,
    new_invoice: Callable[..., Invoice],
    pay_address: Callable[..., tuple],
    state: Callable[..., Any],
) -> None:
    """v1 judged lateness at sweep time: a deposit made before the deadline but swept after it
    (the last confirmation window, a pause over the deadline) went back to the payer while the
    tracker, judging by the deposit's block, showed the store a paid invoice (control below). v2
    keeps any deposit swept before the authorization expiry; lateness is the exchange's call."""
    invoice = new_invoice()
    t = pay_address(invoice, customer)
    chain.pending_timestamp = invoice.paymentDeadline + 10 * 60
    tx = escrow.sweep([deposit(invoice, [t], capture=True)], sender=operator)
    assert state(invoice) == (customer.address, PRICE, Status.CAPTURED)
    assert len(list(tx.events.filter(escrow.DepositKept))) == 1
    assert escrow.pool(funded)[1] == PRICE

    # At the authorization expiry a sweep returns everything: nothing can be captured any more.
    expired = new_invoice()
    t = pay_address(expired, customer)
    chain.pending_timestamp = expired.authorizationExpiry
    before = funded.balanceOf(customer)
    escrow.sweep([deposit(expired, [t])], sender=operator)
    assert state(expired)[2] == Status.NONE
    assert funded.balanceOf(customer) == before + PRICE

    # Control: v1 bounces the same on-time deposit.
    terms = new_invoice()
    v1_pay_address(v1, funded, terms, customer, PRICE)
    chain.pending_timestamp = terms.paymentDeadline + 10 * 60
    v1.sweep([v1_terms(terms)], [customer], sender=operator)
    assert v1.payment(v1.invoiceHash(v1_terms(terms))).status == Status.NONE
    assert funded.balanceOf(v1) == 0


# --- 1.3 the named payer's exit from an unswept deposit ---------------------------------------


def test_defect_1_3__named_payer_pulls_unswept_deposit_after_expiry__without_operator_while_paused(
    chain: Any,
    project: Any,
    escrow: Any,
    funded: Any,
    admin: Any,
    customer: Any,
    other_customer: Any,
    new_invoice: Callable[..., Invoice],
    pay_address: Callable[..., tuple],
) -> None:
    """v1 had no way out of a deposit address but the operator's sweep: with the operator gone
    or paused, the funds stayed at the CREATE2 address for ever (control: v1's ABI has no exit).
    v2's `reclaimDeposit` lets the named payer pull it after the authorization expiry, paused or
    not, with no operator involved (ETH sent to the address by mistake comes back with it)."""
    invoice = new_invoice(payer=customer.address)
    pay_address(invoice, customer)
    pay_address(invoice, customer, 777, token=ZERO)
    with ape.reverts(escrow.PaymentEscrowAuthorizationNotExpired):
        escrow.reclaimDeposit(invoice.abi(), sender=customer)
    chain.pending_timestamp = invoice.authorizationExpiry
    escrow.pause(sender=admin)
    with ape.reverts(escrow.PaymentEscrowPayerMismatch):
        escrow.reclaimDeposit(invoice.abi(), sender=other_customer)
    before = funded.balanceOf(customer)
    tx = escrow.reclaimDeposit(invoice.abi(), sender=customer)
    assert funded.balanceOf(customer) == before + PRICE
    assert chain.provider.get_balance(escrow.depositAddress(invoice.abi())) == 0
    [event] = tx.events.filter(escrow.DepositReclaimed)
    assert (event.payer, event.amount, event.ethAmount) == (customer.address, PRICE, 777)
    assert tuple(escrow.pool(funded)) == (0, 0, 0, 0)
    with ape.reverts(escrow.PaymentEscrowNothingToReclaim):
        escrow.reclaimDeposit(invoice.abi(), sender=customer)

    # An ETH invoice's address, the same way.
    eth = new_invoice(payer=customer.address, token=ZERO, amount=ETH_PRICE)
    escrow.unpause(sender=admin)
    pay_address(eth, customer)
    chain.pending_timestamp = eth.authorizationExpiry
    escrow.pause(sender=admin)
    tx = escrow.reclaimDeposit(eth.abi(), sender=customer)
    [event] = tx.events.filter(escrow.DepositReclaimed)
    assert (event.amount, event.ethAmount) == (ETH_PRICE, 0)
    assert chain.provider.get_balance(escrow.depositAddress(eth.abi())) == 0

    # Control: v1 offers the payer nothing to call.
    names = {
        e["name"] for e in project.PaymentEscrowV1.contract_type.model_dump()["abi"] if "name" in e
    }
    assert not {"reclaimDeposit", "recoverToken", "withdrawOwed"} & names


def test_defect_1_3__open_invoice__no_payer_exit(
    chain: Any,
    escrow: Any,
    customer: Any,
    new_invoice: Callable[..., Invoice],
    pay_address: Callable[..., tuple],
) -> None:
    """Open invoices keep only the operator's path (docs/SECURITY.md): the contract cannot tell
    who sent an ERC-20 transfer, so nobody can prove a claim on the address by themselves."""
    invoice = new_invoice()
    pay_address(invoice, customer)
    chain.pending_timestamp = invoice.authorizationExpiry
    with ape.reverts(escrow.PaymentEscrowPayerMismatch, expected=ZERO):
        escrow.reclaimDeposit(invoice.abi(), sender=customer)


# --- 1.4 dust cannot take a payment over ------------------------------------------------------


def test_defect_1_4__dust_and_real_payment_from_two_senders__real_payer_recorded_dust_returned(
    escrow: Any,
    funded: Any,
    v1: Any,
    minter: Any,
    operator: Any,
    customer: Any,
    stranger: Any,
    new_invoice: Callable[..., Invoice],
    pay_address: Callable[..., tuple],
    state: Callable[..., Any],
    solvent: Callable[..., None],
) -> None:
    """v1 records a whole deposit for one `payers[i]`: with 1 wei sent first and the real payment
    after, the first sender was the payer of record and, swept together, got the whole payment
    back on a void (control below). v2 groups the attested transfers by sender: the largest
    total pays, every other sender's part goes back to that sender."""
    funded.mint(stranger, 10, b"\x00" * 32, sender=minter)
    invoice = new_invoice()
    dust = pay_address(invoice, stranger, 1)
    real = pay_address(invoice, customer)
    tx = escrow.sweep([deposit(invoice, [dust, real], capture=True)], sender=operator)
    assert state(invoice) == (customer.address, PRICE, Status.CAPTURED)
    assert funded.balanceOf(stranger) == 10
    [kept] = tx.events.filter(escrow.DepositKept)
    [returned] = tx.events.filter(escrow.DepositReturned)
    assert (kept.sender, kept.amount) == (customer.address, PRICE)
    assert (returned.to, returned.amount, returned.txHash) == (stranger.address, 1, dust[2])
    solvent(funded)

    # Dust swept on its own first: the real payment replaces it, the dust goes back.
    second = new_invoice()
    escrow.sweep([deposit(second, [pay_address(second, stranger, 1)])], sender=operator)
    assert state(second) == (stranger.address, 1, Status.AUTHORIZED)
    tx = escrow.sweep(
        [deposit(second, [pay_address(second, customer)], capture=True)], sender=operator
    )
    [replaced] = tx.events.filter(escrow.PaymentReplaced)
    assert (replaced.previousPayer, replaced.amount) == (stranger.address, 1)
    assert state(second) == (customer.address, PRICE, Status.CAPTURED)
    assert funded.balanceOf(stranger) == 10
    solvent(funded)

    # Control: v1 records the dust sender for the whole amount, and a void pays it all to them.
    terms = new_invoice()
    v1_pay_address(v1, funded, terms, stranger, 1)
    v1_pay_address(v1, funded, terms, customer, PRICE)
    v1.sweep([v1_terms(terms)], [stranger], sender=operator)
    v1.void(v1_terms(terms), sender=operator)
    assert funded.balanceOf(stranger) == 10 + PRICE


# --- 1.5 a failing return never blocks a batch ------------------------------------------------


def test_defect_1_5__payer_without_receive_and_blacklisted_payer__batch_succeeds_returns_owed(
    chain: Any,
    project: Any,
    escrow: Any,
    funded: Any,
    v1: Any,
    admin: Any,
    operator: Any,
    customer: Any,
    new_invoice: Callable[..., Invoice],
    pay_address: Callable[..., tuple],
    state: Callable[..., Any],
    solvent: Callable[..., None],
) -> None:
    """v1 sent returns with `sendValue`/`safeTransfer`: one payer contract without `receive`, or
    one blacklisted payer, reverted the whole sweep, so nobody's deposit was booked (control
    below). v2 credits a failed return to the recipient's owed balance (ReturnOwed) and goes on;
    the recipient withdraws it later to an address that can receive."""
    blk = admin.deploy(project.BlacklistToken)
    escrow.setTokenAllowed(blk, True, sender=admin)
    contract_payer = customer.deploy(project.NoReceivePayer)
    blocked = customer  # a USDC-style blacklist blocks the payer after it paid

    eth_invoice = new_invoice(token=ZERO, amount=ETH_PRICE)
    eth_address = escrow.depositAddress(eth_invoice.abi())
    eth_tx = contract_payer.execute(eth_address, ETH_PRICE, b"", sender=customer, value=ETH_PRICE)
    eth_t = transfer(contract_payer.address, ETH_PRICE, NO_LOG, tx_hash(eth_tx))

    blk_invoice = new_invoice(token=blk.address, amount=PRICE)
    blk.mint(blocked, PRICE, sender=admin)
    blk_t = pay_address(blk_invoice, blocked, token=blk)

    # Both returns are due: the sweep comes after the authorization expiry. A fresh invoice in
    # the same batch is booked all the same.
    chain.pending_timestamp = eth_invoice.authorizationExpiry + 1
    blk.setBlocked(blocked, True, sender=admin)
    fresh = new_invoice()
    fresh_t = pay_address(fresh, customer)
    tx = escrow.sweep(
        [deposit(eth_invoice, [eth_t]), deposit(blk_invoice, [blk_t]), deposit(fresh, [fresh_t])],
        sender=operator,
    )
    owed = {(e.account, e.token): e.amount for e in tx.events.filter(escrow.ReturnOwed)}
    assert owed == {
        (contract_payer.address, ZERO): ETH_PRICE,
        (blocked.address, blk.address): PRICE,
    }
    assert escrow.owedTo(contract_payer, ZERO) == ETH_PRICE
    assert escrow.pool(ZERO)[3] == ETH_PRICE
    assert escrow.pool(blk)[3] == PRICE
    solvent(ZERO)
    solvent(blk)
    assert state(fresh) == (customer.address, PRICE, Status.AUTHORIZED)

    # Later: the contract withdraws to an account that receives; the unblocked payer itself.
    receiver = chain.provider.get_balance(admin.address)
    contract_payer.execute(
        escrow, 0, escrow.withdrawOwed.encode_input(ZERO, admin.address), sender=customer
    )
    assert chain.provider.get_balance(admin.address) == receiver + ETH_PRICE
    blk.setBlocked(blocked, False, sender=admin)
    tx = escrow.withdrawOwed(blk, blocked, sender=blocked)
    assert blk.balanceOf(blocked) == PRICE
    [withdrawn] = tx.events.filter(escrow.OwedWithdrawn)
    assert (withdrawn.account, withdrawn.amount) == (blocked.address, PRICE)
    assert escrow.pool(ZERO)[3] == 0 and escrow.pool(blk)[3] == 0
    solvent(ZERO)
    solvent(blk)
    with ape.reverts(escrow.PaymentEscrowNothingOwed):
        escrow.withdrawOwed(blk, blocked, sender=blocked)

    # Control: in v1 the payer contract's return reverts the whole batch.
    terms = new_invoice(token=ZERO, amount=ETH_PRICE)
    address = v1.depositAddress(v1_terms(terms))
    contract_payer.execute(address, ETH_PRICE, b"", sender=customer, value=ETH_PRICE)
    chain.pending_timestamp = terms.paymentDeadline + 1
    with ape.reverts():
        v1.sweep([v1_terms(terms)], [contract_payer], sender=operator)


def test_defect_1_5__failed_void_refund_and_release__owed_not_reverted(
    escrow: Any,
    project: Any,
    admin: Any,
    operator: Any,
    customer: Any,
    new_invoice: Callable[..., Invoice],
    sign: Callable[..., bytes],
    state: Callable[..., Any],
    solvent: Callable[..., None],
) -> None:
    """The same rule for the operator's single calls: a payer that cannot take ETH back does not
    block its void, its refund or the release of an uncaptured rest."""
    payer = customer.deploy(project.NoReceivePayer)
    invoices = [new_invoice(token=ZERO, amount=ETH_PRICE) for _ in range(3)]
    for invoice in invoices:
        call = escrow.pay.encode_input(invoice.abi(), sign(invoice))
        payer.execute(escrow, ETH_PRICE, call, sender=customer, value=ETH_PRICE)
    escrow.void(invoices[0].abi(), sender=operator)
    escrow.capture(invoices[1].abi(), ETH_PRICE // 2, sender=operator)
    escrow.capture(invoices[2].abi(), ETH_PRICE, sender=operator)
    tx = escrow.refund(invoices[2].abi(), 1000, sender=operator)
    assert len(list(tx.events.filter(escrow.ReturnOwed))) == 1
    assert escrow.owedTo(payer, ZERO) == ETH_PRICE + ETH_PRICE // 2 + 1000
    assert state(invoices[0])[2] == Status.CLOSED
    solvent(ZERO)


# --- 1.6 ETH at an ERC-20 invoice's address, and other tokens ----------------------------------


def test_defect_1_6__eth_at_erc20_invoice_address__returned_to_its_sender(
    chain: Any,
    escrow: Any,
    funded: Any,
    v1: Any,
    operator: Any,
    customer: Any,
    other_customer: Any,
    new_invoice: Callable[..., Invoice],
    pay_address: Callable[..., tuple],
    state: Callable[..., Any],
    solvent: Callable[..., None],
) -> None:
    """v1's forwarder self-destructed any ETH at an ERC-20 invoice's address into the escrow,
    where no balance booked it: the sender's ETH was lost to it (control below). v2 takes the
    attested ETH transfers and sends each back to its sender, with a DepositReturned each."""
    invoice = new_invoice()
    t = pay_address(invoice, customer)
    eth = pay_address(invoice, other_customer, 5 * 10**15, token=ZERO)
    before = chain.provider.get_balance(other_customer.address)
    tx = escrow.sweep([deposit(invoice, [t], [eth], capture=True)], sender=operator)
    assert chain.provider.get_balance(other_customer.address) == before + 5 * 10**15
    returned = [e for e in tx.events.filter(escrow.DepositReturned)]
    assert [(e.to, e.token, e.amount, e.logIndex) for e in returned] == [
        (other_customer.address, ZERO, 5 * 10**15, NO_LOG)
    ]
    assert state(invoice) == (customer.address, PRICE, Status.CAPTURED)
    assert chain.provider.get_balance(escrow.address) == 0
    solvent(ZERO)
    solvent(funded)

    # Control: v1 swallows the ETH.
    terms = new_invoice()
    v1_pay_address(v1, funded, terms, customer, PRICE)
    other_customer.transfer(v1.depositAddress(v1_terms(terms)), 5 * 10**15)
    v1.sweep([v1_terms(terms)], [customer], sender=operator)
    assert chain.provider.get_balance(v1.address) == 5 * 10**15


def test_defect_1_6__other_token_at_invoice_address__recovered_to_its_senders(
    project: Any,
    escrow: Any,
    admin: Any,
    operator: Any,
    customer: Any,
    other_customer: Any,
    new_invoice: Callable[..., Invoice],
) -> None:
    """Another token at an invoice's address goes back to each sender through `recoverToken`,
    attested like a sweep (a named payer's: to the payer)."""
    other = admin.deploy(project.TestToken, "Other", "OTH")
    invoice = new_invoice()
    address = escrow.depositAddress(invoice.abi())
    other.mint(customer, 300, sender=admin)
    other.mint(other_customer, 200, sender=admin)
    a = other.transfer(address, 300, sender=customer)
    b = other.transfer(address, 200, sender=other_customer)
    with ape.reverts(escrow.PaymentEscrowNotForeignToken):
        escrow.recoverToken(
            invoice.abi(), invoice.token, [transfer(customer, 300)], sender=operator
        )
    tx = escrow.recoverToken(
        invoice.abi(),
        other,
        [
            transfer(customer, 300, 0, tx_hash(a)),
            transfer(other_customer, 200, 0, tx_hash(b)),
        ],
        sender=operator,
    )
    assert (other.balanceOf(customer), other.balanceOf(other_customer)) == (300, 200)
    assert other.balanceOf(escrow) == 0
    assert len(list(tx.events.filter(escrow.DepositReturned))) == 2


# --- attestation that does not add up -----------------------------------------------------------


def test_mismatched_attestation__deposit_skipped_funds_stay_others_proceed(
    escrow: Any,
    funded: Any,
    operator: Any,
    customer: Any,
    other_customer: Any,
    new_invoice: Callable[..., Invoice],
    pay_address: Callable[..., tuple],
    state: Callable[..., Any],
) -> None:
    """A sum that is not what is at the address (a wrong attestation, or a transfer that arrived
    since) makes the forwarder revert: that deposit is skipped with DepositSkipped and its funds
    stay at the address for a later, correct sweep; the rest of the batch goes on."""
    short = new_invoice()
    t = pay_address(short, customer)
    fine = new_invoice()
    f = pay_address(fine, other_customer)
    wrong = (t[0], t[1] - 1, t[2], t[3])
    tx = escrow.sweep([deposit(short, [wrong]), deposit(fine, [f])], sender=operator)
    [skipped] = tx.events.filter(escrow.DepositSkipped)
    assert (skipped.invoiceHash, skipped.expectedToken) == (
        escrow.invoiceHash(short.abi()),
        PRICE - 1,
    )
    assert funded.balanceOf(escrow.depositAddress(short.abi())) == PRICE
    assert state(short)[2] == Status.NONE
    assert state(fine) == (other_customer.address, PRICE, Status.AUTHORIZED)
    # A 1-wei transfer just before a sweep delays that one deposit; the next sweep, attested
    # right, books it.
    escrow.sweep([deposit(short, [t])], sender=operator)
    assert state(short) == (customer.address, PRICE, Status.AUTHORIZED)


def test_defect_ids__every_defect_of_section_1_has_a_test() -> None:
    """Positive control for the naming: a test named for each defect 1.1–1.6 exists here."""
    names = [n for n in globals() if n.startswith("test_defect_1_")]
    assert {n[len("test_defect_") : len("test_defect_") + 3] for n in names} == {
        f"1_{i}" for i in range(1, 7)
    }
