from __future__ import annotations

from collections.abc import Callable
from typing import Any

import ape
from eth_utils import keccak, to_checksum_address

from tests.conftest import ONE_EMONEY
from tests.contracts.wallet.conftest import ETH, SALT, ZERO

OTHER_SALT = keccak(text="coinpos-wallet-1")
REF = keccak(text="ref")


def clone_address(factory: Any, implementation: str, owner: Any, salt: bytes) -> str:
    """The ERC-1167 clone's CREATE2 address, computed from first principles."""
    init_code = (
        bytes.fromhex("3d602d80600a3d3981f3363d3d373d3d3d363d73")
        + bytes.fromhex(implementation[2:])
        + bytes.fromhex("5af43d82803e903d91602b57fd5bf3")
    )
    owner_salt = keccak(bytes(12) + bytes.fromhex(str(owner)[2:]) + salt)
    preimage = b"\xff" + bytes.fromhex(factory.address[2:]) + owner_salt + keccak(init_code)
    return to_checksum_address(keccak(preimage)[12:])


def test_predictAddress__matches_create2_of_owner_bound_salt(factory: Any, customer: Any) -> None:
    expected = clone_address(factory, factory.implementation(), customer, SALT)
    assert factory.predictAddress(customer, SALT) == expected


def test_predictAddress__differs_by_owner_and_by_salt(
    factory: Any, customer: Any, other_customer: Any
) -> None:
    addresses = {
        factory.predictAddress(customer, SALT),
        factory.predictAddress(customer, OTHER_SALT),
        factory.predictAddress(other_customer, SALT),
    }
    assert len(addresses) == 3


def test_createWallet__deploys_at_predicted_address_owned_by_owner(
    project: Any, factory: Any, customer: Any, stranger: Any
) -> None:
    predicted = factory.predictAddress(customer, SALT)
    assert len(ape.chain.provider.get_code(predicted)) == 0
    tx = factory.createWallet(customer, SALT, [], sender=stranger)
    wallet = project.MultiCoinWallet.at(predicted)
    assert wallet.owner() == customer.address
    assert wallet.pendingOwner() == ZERO
    assert wallet.coins() == []
    created = tx.events.filter(factory.WalletCreated)
    assert len(created) == 1
    assert created[0].owner == customer.address
    assert created[0].wallet == predicted
    assert created[0].salt == SALT


def test_createWallet__is_a_minimal_proxy_of_the_implementation(factory: Any, wallet: Any) -> None:
    code = bytes(ape.chain.provider.get_code(wallet.address))
    assert len(code) == 45
    assert code[10:30] == bytes.fromhex(factory.implementation()[2:])


def test_createWallet__with_initial_coins__allocates_them_in_order(
    create_wallet: Callable[..., Any], customer: Any, emoney: Any, usdt: Any
) -> None:
    wallet = create_wallet(customer, coins=[usdt, ETH, emoney])
    assert wallet.coins() == [usdt.address, ETH, emoney.address]
    assert all(wallet.isCoinAllocated(c) for c in (usdt, ETH, emoney))


def test_createWallet__initial_coin_duplicate__reverts(
    project: Any, factory: Any, customer: Any, usdt: Any
) -> None:
    with ape.reverts(project.MultiCoinWallet.MultiCoinWalletCoinAlreadyAllocated, coin=usdt):
        factory.createWallet(customer, SALT, [usdt, ETH, usdt], sender=customer)
    assert len(ape.chain.provider.get_code(factory.predictAddress(customer, SALT))) == 0


def test_createWallet__too_many_initial_coins__reverts(
    project: Any, factory: Any, customer: Any
) -> None:
    coins = [to_checksum_address(i.to_bytes(20, "big")) for i in range(1, 34)]
    with ape.reverts(project.MultiCoinWallet.MultiCoinWalletTooManyCoins, max=32):
        factory.createWallet(customer, SALT, coins, sender=customer)


def test_createWallet__same_owner_and_salt_twice__reverts(
    factory: Any, wallet: Any, customer: Any, stranger: Any
) -> None:
    with ape.reverts(
        factory.WalletFactoryWalletExists, owner=customer, salt=SALT, wallet=wallet.address
    ):
        factory.createWallet(customer, SALT, [], sender=stranger)
    assert wallet.owner() == customer.address


def test_createWallet__same_owner_other_salt__gives_a_second_wallet(
    create_wallet: Callable[..., Any], wallet: Any, customer: Any
) -> None:
    second = create_wallet(customer, salt=OTHER_SALT)
    assert second.address != wallet.address
    assert second.owner() == customer.address


def test_createWallet__zero_owner__reverts(factory: Any, stranger: Any) -> None:
    with ape.reverts(factory.WalletFactoryInvalidOwner, owner=ZERO):
        factory.createWallet(ZERO, SALT, [], sender=stranger)


def test_createWallet__attacker_with_victims_salt__cannot_take_victims_address(
    project: Any, factory: Any, customer: Any, stranger: Any
) -> None:
    victim_address = factory.predictAddress(customer, SALT)
    factory.createWallet(stranger, SALT, [], sender=stranger)
    attacker_wallet = project.MultiCoinWallet.at(factory.predictAddress(stranger, SALT))
    assert attacker_wallet.address != victim_address
    assert len(ape.chain.provider.get_code(victim_address)) == 0

    factory.createWallet(customer, SALT, [], sender=customer)
    assert project.MultiCoinWallet.at(victim_address).owner() == customer.address


def test_createWallet__by_a_third_party__still_belongs_to_the_owner(
    create_wallet: Callable[..., Any], customer: Any, stranger: Any
) -> None:
    wallet = create_wallet(customer, sender=stranger)
    assert wallet.owner() == customer.address
    with ape.reverts(wallet.OwnableUnauthorizedAccount, account=stranger):
        wallet.transferEth(stranger, 0, sender=stranger)


def test_createWallet__funds_sent_before_deployment__are_usable_after(
    project: Any,
    factory: Any,
    customer: Any,
    other_customer: Any,
    minter: Any,
    emoney: Any,
    usdt: Any,
) -> None:
    predicted = factory.predictAddress(customer, SALT)
    other_customer.transfer(predicted, 3 * 10**18)
    emoney.mint(predicted, 50 * ONE_EMONEY, REF, sender=minter)
    usdt.mint(predicted, 700, sender=minter)

    factory.createWallet(customer, SALT, [ETH, emoney, usdt], sender=customer)
    wallet = project.MultiCoinWallet.at(predicted)
    assert [tuple(h) for h in wallet.holdings()] == [
        (ETH, 3 * 10**18),
        (emoney.address, 50 * ONE_EMONEY),
        (usdt.address, 700),
    ]

    eth_before = other_customer.balance
    wallet.transferEth(other_customer, 10**18, sender=customer)
    wallet.transferToken(emoney, other_customer, 20 * ONE_EMONEY, sender=customer)
    wallet.transferToken(usdt, other_customer, 700, sender=customer)
    assert other_customer.balance == eth_before + 10**18
    assert emoney.balanceOf(other_customer) == 20 * ONE_EMONEY
    assert usdt.balanceOf(other_customer) == 700
    assert wallet.balance == 2 * 10**18


def test_initialize__twice__reverts(
    wallet: Any, factory: Any, customer: Any, stranger: Any
) -> None:
    for caller in (stranger, customer):
        with ape.reverts(wallet.MultiCoinWalletAlreadyInitialized, owner=customer):
            wallet.initialize(caller, [], sender=caller)
    assert wallet.owner() == customer.address


def test_initialize__implementation__is_locked(implementation: Any, stranger: Any) -> None:
    assert implementation.owner() == implementation.address
    with ape.reverts(
        implementation.MultiCoinWalletAlreadyInitialized, owner=implementation.address
    ):
        implementation.initialize(stranger, [], sender=stranger)
    with ape.reverts(implementation.OwnableUnauthorizedAccount, account=stranger):
        implementation.transferOwnership(stranger, sender=stranger)
