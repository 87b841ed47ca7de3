from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Any

import ape
from eth_abi import encode
from eth_utils import keccak, to_checksum_address

from tests.conftest import ONE_EMONEY
from tests.contracts.wallet.conftest import ETH, SALT, ZERO

OTHER_SALT = keccak(text="coinpos-wallet-1")
REF = keccak(text="ref")


def clone_address(implementation: str, deployer: str, create2_salt: bytes) -> str:
    """The ERC-1167 clone's CREATE2 address, computed from first principles."""
    init_code = (
        bytes.fromhex("3d602d80600a3d3981f3363d3d373d3d3d363d73")
        + bytes.fromhex(implementation[2:])
        + bytes.fromhex("5af43d82803e903d91602b57fd5bf3")
    )
    preimage = b"\xff" + bytes.fromhex(deployer[2:]) + create2_salt + keccak(init_code)
    return to_checksum_address(keccak(preimage)[12:])


def bound_salt(owner: Any, salt: bytes, coins: list[Any]) -> bytes:
    """The factory's CREATE2 salt: the owner, the initial coins and the user's salt."""
    coins_hash = keccak(encode(["address[]"], [[str(c) for c in coins]]))
    return keccak(encode(["address", "bytes32", "bytes32"], [str(owner), coins_hash, salt]))


def owner_only_salt(owner: Any, salt: bytes) -> bytes:
    """The salt before the coins were bound, `keccak256(abi.encode(owner, salt))`."""
    return keccak(encode(["address", "bytes32"], [str(owner), salt]))


def test_predictAddress__matches_create2_of_the_bound_salt(
    factory: Any, customer: Any, usdt: Any
) -> None:
    for coins in ([], [ETH], [usdt, ETH]):
        expected = clone_address(
            factory.implementation(), factory.address, bound_salt(customer, SALT, coins)
        )
        assert factory.predictAddress(customer, SALT, coins) == expected


def test_predictAddress__differs_by_owner_by_salt_and_by_coin_list(
    factory: Any, customer: Any, other_customer: Any, usdt: Any
) -> None:
    addresses = {
        factory.predictAddress(customer, SALT, []),
        factory.predictAddress(customer, OTHER_SALT, []),
        factory.predictAddress(other_customer, SALT, []),
        factory.predictAddress(customer, SALT, [ETH]),
        factory.predictAddress(customer, SALT, [ETH, usdt]),
        factory.predictAddress(customer, SALT, [usdt, ETH]),
    }
    assert len(addresses) == 6


def test_createWallet__deploys_at_predicted_address_owned_by_owner(
    project: Any, factory: Any, customer: Any, stranger: Any
) -> None:
    predicted = factory.predictAddress(customer, SALT, [])
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
    predicted = factory.predictAddress(customer, SALT, [usdt, ETH, usdt])
    assert len(ape.chain.provider.get_code(predicted)) == 0


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
    victim_address = factory.predictAddress(customer, SALT, [])
    factory.createWallet(stranger, SALT, [], sender=stranger)
    attacker_wallet = project.MultiCoinWallet.at(factory.predictAddress(stranger, SALT, []))
    assert attacker_wallet.address != victim_address
    assert len(ape.chain.provider.get_code(victim_address)) == 0

    factory.createWallet(customer, SALT, [], sender=customer)
    assert project.MultiCoinWallet.at(victim_address).owner() == customer.address


def front_run(
    project: Any,
    predict: Callable[[list[Any]], str],
    create: Callable[..., Any],
    owner: Any,
    attacker: Any,
    wanted: list[Any],
    junk: list[Any],
) -> Any:
    """The owner predicts its wallet with `wanted` coins; `attacker` first deploys the same owner
    and salt with `junk` coins; then the owner deploys. Returns the wallet at the prediction."""
    predicted = predict(wanted)
    create(junk, attacker)
    # When the address was taken this reverts; the caller checks what is there.
    with contextlib.suppress(ape.exceptions.ContractLogicError):
        create(wanted, owner)
    return project.MultiCoinWallet.at(predicted)


def test_createWallet__front_run_with_another_coin_list__leaves_the_owners_address_free(
    project: Any, admin: Any, factory: Any, customer: Any, stranger: Any, emoney: Any
) -> None:
    wanted = [ETH, emoney.address]
    junk = [to_checksum_address(i.to_bytes(20, "big")) for i in range(1, 33)]

    wallet = front_run(
        project,
        lambda coins: factory.predictAddress(customer, SALT, coins),
        lambda coins, sender: factory.createWallet(customer, SALT, coins, sender=sender),
        customer, stranger, wanted, junk,
    )  # fmt: skip
    assert wallet.owner() == customer.address
    assert wallet.coins() == wanted
    front_runners = project.MultiCoinWallet.at(factory.predictAddress(customer, SALT, junk))
    assert front_runners.address != wallet.address
    assert front_runners.coins() == junk

    # Positive control: the same attack on the previous factory, whose salt bound only the
    # owner, takes the owner's predicted address with the junk list.
    owner_salt = admin.deploy(project.OwnerSaltWalletFactory, factory.implementation())
    taken = front_run(
        project,
        lambda coins: owner_salt.predictAddress(customer, SALT),
        lambda coins, sender: owner_salt.createWallet(customer, SALT, coins, sender=sender),
        customer, stranger, wanted, junk,
    )  # fmt: skip
    assert taken.coins() == junk
    assert taken.address == clone_address(
        factory.implementation(), owner_salt.address, owner_only_salt(customer, SALT)
    )


def test_createWallet__same_owner_and_salt_other_order__is_another_wallet(
    create_wallet: Callable[..., Any], customer: Any, emoney: Any, usdt: Any
) -> None:
    first = create_wallet(customer, coins=[usdt, emoney])
    second = create_wallet(customer, coins=[emoney, usdt])
    assert first.address != second.address
    assert first.coins() == [usdt.address, emoney.address]
    assert second.coins() == [emoney.address, usdt.address]


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
    coins = [ETH, emoney.address, usdt.address]
    predicted = factory.predictAddress(customer, SALT, coins)
    other_customer.transfer(predicted, 3 * 10**18)
    emoney.mint(predicted, 50 * ONE_EMONEY, REF, sender=minter)
    usdt.mint(predicted, 700, sender=minter)

    factory.createWallet(customer, SALT, coins, sender=customer)
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
