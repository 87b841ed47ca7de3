"""payInvoice: approve, pay and reset in one transaction, with nothing left behind."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import ape
import pytest
from eth_utils import keccak

from tests.conftest import ONE_EMONEY
from tests.contracts.wallet.conftest import ETH

INVOICE = keccak(text="invoice-1")
REF = keccak(text="ref")


@pytest.fixture
def funded(
    create_wallet: Callable[..., Any],
    customer: Any,
    minter: Any,
    emoney: Any,
    usdt: Any,
) -> Any:
    """The customer's wallet with 1 ETH, 100 EMoney and 1,000 USDT-style units."""
    wallet = create_wallet(customer, coins=[ETH, emoney, usdt])
    customer.transfer(wallet, 10**18)
    emoney.mint(wallet, 100 * ONE_EMONEY, REF, sender=minter)
    usdt.mint(wallet, 1_000, sender=minter)
    return wallet


def test_payInvoice__erc20__moves_exact_amount_and_leaves_no_allowance(
    funded: Any, customer: Any, payee: Any, emoney: Any
) -> None:
    amount = 30 * ONE_EMONEY
    call = payee.pay.encode_input(INVOICE, emoney, amount)
    tx = funded.payInvoice(payee, emoney, amount, call, sender=customer)
    assert emoney.balanceOf(payee) == amount
    assert emoney.balanceOf(funded) == 70 * ONE_EMONEY
    assert emoney.allowance(funded, payee) == 0
    paid = tx.events.filter(payee.Paid)[0]
    assert (paid.invoice, paid.payer, paid.token, paid.amount) == (
        INVOICE,
        funded.address,
        emoney.address,
        amount,
    )
    event = tx.events.filter(funded.InvoicePaid)[0]
    assert (event.escrow, event.token, event.amount) == (payee.address, emoney.address, amount)


def test_payInvoice__event_carries_only_escrow_token_and_amount(funded: Any) -> None:
    abi = next(e for e in funded.contract_type.events if e.name == "InvoicePaid")
    assert [(i.name, i.type) for i in abi.inputs] == [
        ("escrow", "address"),
        ("token", "address"),
        ("amount", "uint256"),
    ]


def test_payInvoice__usdt_style_with_stale_allowance__pays_and_resets(
    funded: Any, customer: Any, payee: Any, usdt: Any
) -> None:
    # A stale allowance makes a plain approve revert on this token; forceApprove copes.
    funded.execute(usdt, 0, usdt.approve.encode_input(payee, 5), sender=customer)
    assert usdt.allowance(funded, payee) == 5
    call = payee.pay.encode_input(INVOICE, usdt, 400)
    funded.payInvoice(payee, usdt, 400, call, sender=customer)
    assert usdt.balanceOf(payee) == 400
    assert usdt.balanceOf(funded) == 600
    assert usdt.allowance(funded, payee) == 0


def test_payInvoice__escrow_pulls_less__rest_of_allowance_is_revoked(
    funded: Any, customer: Any, payee: Any, usdt: Any
) -> None:
    call = payee.pay.encode_input(INVOICE, usdt, 250)
    funded.payInvoice(payee, usdt, 300, call, sender=customer)
    assert usdt.balanceOf(payee) == 250
    assert usdt.balanceOf(funded) == 750
    assert usdt.allowance(funded, payee) == 0


def test_payInvoice__escrow_pulls_more__reverts_with_token_error(
    funded: Any, customer: Any, payee: Any, usdt: Any
) -> None:
    call = payee.pay.encode_input(INVOICE, usdt, 301)
    with ape.reverts(
        usdt.WalletTestTokenInsufficientAllowance,
        owner=funded,
        spender=payee,
        allowance=300,
        needed=301,
    ):
        funded.payInvoice(payee, usdt, 300, call, sender=customer)
    assert usdt.balanceOf(funded) == 1_000


def test_payInvoice__eth__sends_exact_value(funded: Any, customer: Any, payee: Any) -> None:
    amount = 25 * 10**16
    call = payee.pay.encode_input(INVOICE, ETH, amount)
    tx = funded.payInvoice(payee, ETH, amount, call, sender=customer)
    assert payee.balance == amount
    assert funded.balance == 10**18 - amount
    event = tx.events.filter(funded.InvoicePaid)[0]
    assert (event.escrow, event.token, event.amount) == (payee.address, ETH, amount)


def test_payInvoice__eth_amount_differs_from_call__bubbles_escrow_error(
    funded: Any, customer: Any, payee: Any
) -> None:
    call = payee.pay.encode_input(INVOICE, ETH, 100)
    with ape.reverts(payee.WalletTestPayeeWrongValue, expected=100, received=99):
        funded.payInvoice(payee, ETH, 99, call, sender=customer)
    assert funded.balance == 10**18


def test_payInvoice__eth_beyond_balance__reverts(funded: Any, customer: Any, payee: Any) -> None:
    amount = 10**18 + 1
    call = payee.pay.encode_input(INVOICE, ETH, amount)
    with ape.reverts(funded.InsufficientBalance, balance=10**18, needed=amount):
        funded.payInvoice(payee, ETH, amount, call, sender=customer)


@pytest.mark.parametrize("coin", ["emoney", "eth"])
def test_payInvoice__escrow_reverts__bubbles_revert_data(
    funded: Any, customer: Any, payee: Any, emoney: Any, coin: str
) -> None:
    token = emoney if coin == "emoney" else ETH
    with ape.reverts(payee.WalletTestPayeeRejected, invoice=INVOICE):
        funded.payInvoice(payee, token, 1, payee.reject.encode_input(INVOICE), sender=customer)
    assert emoney.allowance(funded, payee) == 0
    assert payee.balance == 0


@pytest.mark.parametrize("coin", ["emoney", "eth"])
def test_payInvoice__escrow_without_code__reverts(
    funded: Any, customer: Any, stranger: Any, emoney: Any, coin: str
) -> None:
    token = emoney if coin == "emoney" else ETH
    with ape.reverts(funded.AddressEmptyCode, target=stranger):
        funded.payInvoice(stranger, token, 1, b"", sender=customer)
    assert emoney.allowance(funded, stranger) == 0
    assert funded.balance == 10**18


def test_payInvoice__returns_the_escrow_result(
    funded: Any, customer: Any, payee: Any, emoney: Any
) -> None:
    call = payee.pay.encode_input(INVOICE, emoney, 1)
    result = funded.payInvoice.call(payee, emoney, 1, call, sender=customer)
    assert bytes(result) == INVOICE
