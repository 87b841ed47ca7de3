"""Re-entry into the wallet and the factory from a token call and from an ETH send.

Every state-changing entry point of MultiCoinWallet is re-entered by a malicious token (from
inside the wallet's `transferToken` and `payInvoice`) and by a malicious ETH receiver (from
inside `transferEth`); each re-entry tries to move funds or take the wallet, and each must fail
while the outer operation completes with exact balances. The factory hands control to no other
contract while it deploys, which a call trace checks. `tests/contracts/test_reentrancy_coverage.py`
fails when an entry point of either contract has no case here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from eth_abi import encode
from eth_utils import keccak, to_checksum_address

from tests.contracts.wallet.conftest import ETH, SALT, ZERO

INVOICE = keccak(text="invoice-1")
JUNK_COIN = "0x000000000000000000000000000000000000dEaD"
FUNDED_WEI = 10**18
FUNDED_TOKENS = 1_000


def error(signature: str, types: list[str], values: list[Any]) -> bytes:
    return keccak(text=signature)[:4] + encode(types, values)


def unauthorized(account: Any) -> bytes:
    return error("OwnableUnauthorizedAccount(address)", ["address"], [str(account)])


@dataclass(frozen=True)
class Target:
    """What a re-entering contract aims at: the wallet, its owner, its token and a payee."""

    wallet: Any
    owner: Any
    usdt: Any
    payee: Any
    thief: Any


@dataclass(frozen=True)
class Attack:
    """One re-entry: its call data, and the revert data it must fail with (None: must succeed
    and change nothing, for the wallet's `receive`, which takes ETH from anyone by design)."""

    call: Callable[[Target], bytes]
    refusal: Callable[[Target], bytes] | None


def _owner_only(call: Callable[[Target], bytes]) -> Attack:
    return Attack(call, lambda t: unauthorized(t.thief))


WALLET_ATTACKS: dict[str, Attack] = {
    "initialize": Attack(
        lambda t: t.wallet.initialize.encode_input(t.thief, []),
        lambda t: error("MultiCoinWalletAlreadyInitialized(address)", ["address"], [str(t.owner)]),
    ),
    "allocateCoin": _owner_only(lambda t: t.wallet.allocateCoin.encode_input(JUNK_COIN)),
    "removeCoin": _owner_only(lambda t: t.wallet.removeCoin.encode_input(t.usdt)),
    "transferEth": _owner_only(lambda t: t.wallet.transferEth.encode_input(t.thief, FUNDED_WEI)),
    "transferToken": _owner_only(
        lambda t: t.wallet.transferToken.encode_input(t.usdt, t.thief, FUNDED_TOKENS)
    ),
    "execute": _owner_only(
        lambda t: t.wallet.execute.encode_input(
            t.usdt, 0, t.usdt.transfer.encode_input(t.thief, FUNDED_TOKENS)
        )
    ),
    "payInvoice": _owner_only(
        lambda t: t.wallet.payInvoice.encode_input(
            t.payee, t.usdt, FUNDED_TOKENS, t.payee.pay.encode_input(INVOICE, t.usdt, FUNDED_TOKENS)
        )
    ),
    "transferOwnership": _owner_only(lambda t: t.wallet.transferOwnership.encode_input(t.thief)),
    "acceptOwnership": _owner_only(lambda t: t.wallet.acceptOwnership.encode_input()),
    "receive": Attack(lambda t: b"", None),
}

# The factory's one entry point runs no code but its own, the new clone's and the
# implementation's, so no token or ETH receiver ever gets control to re-enter it.
FACTORY_ENTRY_POINTS_CHECKED_BY_TRACE = ("createWallet",)


@pytest.fixture
def funded(create_wallet: Callable[..., Any], customer: Any, minter: Any, usdt: Any) -> Any:
    wallet = create_wallet(customer, coins=[ETH, usdt])
    customer.transfer(wallet, FUNDED_WEI)
    usdt.mint(wallet, FUNDED_TOKENS, sender=minter)
    return wallet


@pytest.fixture
def receiver(project: Any, admin: Any) -> Any:
    """An ETH receiver that re-enters the wallet from its `receive`."""
    return admin.deploy(project.ReentrantEthReceiver)


def assert_refused(hook: Any, attack: Attack, target: Target) -> None:
    assert hook.hookRan()
    if attack.refusal is None:
        assert hook.hookSucceeded()
    else:
        assert not hook.hookSucceeded()
        assert bytes(hook.hookReturnData()) == attack.refusal(target)


def assert_wallet_intact(wallet: Any, customer: Any, usdt: Any, wei: int, tokens: int) -> None:
    assert wallet.balance == wei
    assert usdt.balanceOf(wallet) == tokens
    assert wallet.owner() == customer.address
    assert wallet.pendingOwner() == ZERO
    assert wallet.coins() == [ETH, usdt.address]


@pytest.mark.parametrize("entry_point", sorted(WALLET_ATTACKS))
def test_transferToken__reentrant_token__each_entry_point_refused(
    funded: Any, customer: Any, other_customer: Any, usdt: Any, payee: Any, entry_point: str
) -> None:
    attack = WALLET_ATTACKS[entry_point]
    target = Target(funded, customer, usdt, payee, thief=usdt)
    usdt.setHook(funded, attack.call(target), sender=other_customer)

    funded.transferToken(usdt, other_customer, 100, sender=customer)

    assert_refused(usdt, attack, target)
    assert usdt.balanceOf(other_customer) == 100
    assert usdt.balanceOf(usdt) == 0
    assert_wallet_intact(funded, customer, usdt, FUNDED_WEI, FUNDED_TOKENS - 100)


@pytest.mark.parametrize("entry_point", sorted(WALLET_ATTACKS))
def test_payInvoice__reentrant_token__each_entry_point_refused(
    funded: Any, customer: Any, stranger: Any, usdt: Any, payee: Any, entry_point: str
) -> None:
    attack = WALLET_ATTACKS[entry_point]
    target = Target(funded, customer, usdt, payee, thief=usdt)
    usdt.setHook(funded, attack.call(target), sender=stranger)

    funded.payInvoice(payee, usdt, 300, payee.pay.encode_input(INVOICE, usdt, 300), sender=customer)

    assert_refused(usdt, attack, target)
    assert usdt.balanceOf(payee) == 300
    assert usdt.balanceOf(usdt) == 0
    assert usdt.allowance(funded, payee) == 0
    assert_wallet_intact(funded, customer, usdt, FUNDED_WEI, FUNDED_TOKENS - 300)


@pytest.mark.parametrize("entry_point", sorted(WALLET_ATTACKS))
def test_transferEth__reentrant_receiver__each_entry_point_refused(
    funded: Any, customer: Any, stranger: Any, usdt: Any, payee: Any, receiver: Any,
    entry_point: str,
) -> None:  # fmt: skip
    attack = WALLET_ATTACKS[entry_point]
    target = Target(funded, customer, usdt, payee, thief=receiver)
    receiver.setHook(funded, attack.call(target), sender=stranger)

    funded.transferEth(receiver, 10**17, sender=customer)

    assert_refused(receiver, attack, target)
    assert receiver.balance == 10**17
    assert usdt.balanceOf(receiver) == 0
    assert_wallet_intact(funded, customer, usdt, FUNDED_WEI - 10**17, FUNDED_TOKENS)


def called_addresses(node: Any) -> set[str]:
    """Every address a call tree enters, the root included."""
    found = {to_checksum_address(node.address)}
    for child in node.calls:
        found |= called_addresses(child)
    return found


def test_createWallet__hands_control_to_no_token_or_receiver(
    project: Any, factory: Any, stranger: Any, usdt: Any, receiver: Any
) -> None:
    """A re-entering token among the initial coins and a re-entering receiver as the owner, both
    armed to call createWallet again: the factory calls neither, only the clone it deploys (which
    delegates to the implementation), so neither gets the chance."""
    coins = [ETH, usdt.address]
    again = factory.createWallet.encode_input(receiver, SALT, coins)
    usdt.setHook(factory, again, sender=stranger)
    receiver.setHook(factory, again, sender=stranger)
    predicted = factory.predictAddress(receiver, SALT, coins)
    stranger.transfer(predicted, 10**17)

    tx = factory.createWallet(receiver, SALT, coins, sender=stranger)

    entered = called_addresses(tx.trace.get_calltree())
    assert entered == {factory.address, predicted, factory.implementation()}
    assert not usdt.hookRan()
    assert not receiver.hookRan()
    wallet = project.MultiCoinWallet.at(predicted)
    assert wallet.owner() == receiver.address
    assert wallet.coins() == coins
    assert wallet.balance == 10**17
