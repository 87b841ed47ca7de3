from __future__ import annotations

from typing import Any

import ape
from eth_utils import keccak

from tests.contracts.wallet.conftest import ZERO

INVOICE = keccak(text="invoice-1")


def test_transferEth__sends_and_emits(wallet: Any, customer: Any, other_customer: Any) -> None:
    other_customer.transfer(wallet, 10**18)
    before = other_customer.balance
    tx = wallet.transferEth(other_customer, 4 * 10**17, sender=customer)
    assert other_customer.balance == before + 4 * 10**17
    assert wallet.balance == 6 * 10**17
    event = tx.events.filter(wallet.EthTransferred)[0]
    assert (event.to, event.amount) == (other_customer.address, 4 * 10**17)


def test_transferEth__more_than_balance__reverts(
    wallet: Any, customer: Any, other_customer: Any
) -> None:
    other_customer.transfer(wallet, 100)
    with ape.reverts(wallet.InsufficientBalance, balance=100, needed=101):
        wallet.transferEth(other_customer, 101, sender=customer)


def test_transferEth__to_zero__reverts(wallet: Any, customer: Any) -> None:
    with ape.reverts(wallet.MultiCoinWalletInvalidRecipient, recipient=ZERO):
        wallet.transferEth(ZERO, 0, sender=customer)


def test_transferEth__recipient_reverts__bubbles_its_error(
    wallet: Any, customer: Any, other_customer: Any, usdt: Any
) -> None:
    # The token has no receive function: the send fails with empty revert data.
    other_customer.transfer(wallet, 100)
    with ape.reverts(wallet.FailedCall):
        wallet.transferEth(usdt.address, 1, sender=customer)


def test_receive__plain_transfer__credits_the_wallet(wallet: Any, other_customer: Any) -> None:
    other_customer.transfer(wallet, 5)
    assert wallet.balance == 5


def test_receive__with_2300_gas_stipend__fails_in_a_clone(
    wallet: Any, customer: Any, payee: Any, other_customer: Any
) -> None:
    # A clone delegatecalls its implementation, a cold account (2,600 gas) under EIP-2929, so a
    # stipend send cannot reach `receive`. Payers must send ETH to a wallet with a full-gas call.
    payee.pay(INVOICE, ZERO, 10, value=10, sender=other_customer)
    with ape.reverts():
        payee.sendWithStipend(wallet, 10, sender=customer)
    payee.sendWithStipend(other_customer, 10, sender=customer)
    assert payee.balance == 0
    assert wallet.balance == 0


def test_transferToken__usdt_style_token_without_bool(
    wallet: Any, customer: Any, other_customer: Any, usdt: Any, minter: Any
) -> None:
    usdt.mint(wallet, 1_000, sender=minter)
    tx = wallet.transferToken(usdt, other_customer, 400, sender=customer)
    assert usdt.balanceOf(other_customer) == 400
    assert usdt.balanceOf(wallet) == 600
    event = tx.events.filter(wallet.TokenTransferred)[0]
    assert (event.token, event.to, event.amount) == (usdt.address, other_customer.address, 400)


def test_transferToken__emoney(
    wallet: Any, customer: Any, other_customer: Any, emoney: Any, minter: Any
) -> None:
    emoney.mint(wallet, 1_000, keccak(text="ref"), sender=minter)
    wallet.transferToken(emoney, other_customer, 1_000, sender=customer)
    assert emoney.balanceOf(other_customer) == 1_000
    assert emoney.balanceOf(wallet) == 0


def test_transferToken__more_than_balance__bubbles_token_error(
    wallet: Any, customer: Any, other_customer: Any, usdt: Any, minter: Any
) -> None:
    usdt.mint(wallet, 10, sender=minter)
    with ape.reverts(
        usdt.WalletTestTokenInsufficientBalance, account=wallet, balance=10, needed=11
    ):
        wallet.transferToken(usdt, other_customer, 11, sender=customer)


def test_transferToken__not_a_token__reverts(
    wallet: Any, customer: Any, other_customer: Any
) -> None:
    with ape.reverts(wallet.SafeERC20FailedOperation, token=other_customer):
        wallet.transferToken(other_customer, customer, 1, sender=customer)


def test_transferToken__to_zero__reverts(wallet: Any, customer: Any, usdt: Any) -> None:
    with ape.reverts(wallet.MultiCoinWalletInvalidRecipient, recipient=ZERO):
        wallet.transferToken(usdt, ZERO, 0, sender=customer)


def test_execute__calls_target_with_value_and_emits(
    wallet: Any, customer: Any, other_customer: Any, payee: Any
) -> None:
    other_customer.transfer(wallet, 1_000)
    data = payee.pay.encode_input(INVOICE, ZERO, 300)
    tx = wallet.execute(payee, 300, data, sender=customer)
    assert payee.balance == 300
    assert wallet.balance == 700
    paid = tx.events.filter(payee.Paid)[0]
    assert (paid.invoice, paid.payer, paid.amount) == (INVOICE, wallet.address, 300)
    executed = tx.events.filter(wallet.Executed)[0]
    assert (executed.target, executed.value, executed.selector) == (payee.address, 300, data[:4])


def test_execute__returns_the_call_result(wallet: Any, customer: Any, payee: Any) -> None:
    data = payee.pay.encode_input(INVOICE, ZERO, 0)
    result = wallet.execute.call(payee, 0, data, sender=customer)
    assert bytes(result) == INVOICE


def test_execute__forwards_value_sent_with_the_call(wallet: Any, customer: Any, payee: Any) -> None:
    wallet.execute(payee, 50, payee.pay.encode_input(INVOICE, ZERO, 50), sender=customer, value=50)
    assert payee.balance == 50
    assert wallet.balance == 0


def test_execute__target_reverts__bubbles_revert_data(
    wallet: Any, customer: Any, payee: Any
) -> None:
    with ape.reverts(payee.WalletTestPayeeRejected, invoice=INVOICE):
        wallet.execute(payee, 0, payee.reject.encode_input(INVOICE), sender=customer)


def test_execute__call_to_address_without_code__reverts(
    wallet: Any, customer: Any, stranger: Any
) -> None:
    with ape.reverts(wallet.AddressEmptyCode, target=stranger):
        wallet.execute(stranger, 0, b"\x12\x34\x56\x78", sender=customer)


def test_execute__value_beyond_balance__reverts(wallet: Any, customer: Any, payee: Any) -> None:
    with ape.reverts(wallet.InsufficientBalance, balance=0, needed=1):
        wallet.execute(payee, 1, payee.pay.encode_input(INVOICE, ZERO, 1), sender=customer)
