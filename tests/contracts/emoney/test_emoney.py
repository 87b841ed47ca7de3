from __future__ import annotations

from typing import Any

import ape
import pytest
from eth_utils import keccak

from tests.conftest import EMONEY_DECIMALS, ONE_EMONEY
from tests.contracts.signing import sign_permit

ZERO = "0x0000000000000000000000000000000000000000"
REF = keccak(text="fiat-payment-1")
MAX_UINT = 2**256 - 1


def test_constructor__sets_metadata_and_admin(deploy_emoney: Any, admin: Any) -> None:
    coin = deploy_emoney(name="Coinpos Dollar", symbol="CPD", decimals=6)
    assert coin.name() == "Coinpos Dollar"
    assert coin.symbol() == "CPD"
    assert coin.decimals() == 6
    assert coin.totalSupply() == 0
    assert coin.hasRole(coin.DEFAULT_ADMIN_ROLE(), admin)
    assert not coin.hasRole(coin.MINTER_ROLE(), admin)


@pytest.mark.parametrize("decimals", [0, 2, 18, 255])
def test_constructor__any_uint8_decimals(deploy_emoney: Any, decimals: int) -> None:
    assert deploy_emoney(decimals=decimals).decimals() == decimals


def test_constructor__zero_admin__reverts(project: Any, fresh_deployer: Any) -> None:
    with ape.reverts(project.EMoney.EMoneyInvalidAdmin, admin=ZERO):
        fresh_deployer.deploy(project.EMoney, "Coinpos Won", "CPW", 2, ZERO)


def test_mint__credits_recipient_and_emits_issued(emoney: Any, minter: Any, customer: Any) -> None:
    tx = emoney.mint(customer, 150 * ONE_EMONEY, REF, sender=minter)
    assert emoney.balanceOf(customer) == 150 * ONE_EMONEY
    assert emoney.totalSupply() == 150 * ONE_EMONEY
    issued = tx.events.filter(emoney.Issued)
    assert len(issued) == 1
    assert issued[0].minter == minter.address
    assert issued[0].to == customer.address
    assert issued[0].amount == 150 * ONE_EMONEY
    assert issued[0].reference_ == REF
    transfers = tx.events.filter(emoney.Transfer)
    assert transfers[0]["from"] == ZERO


def test_mint__without_minter_role__reverts(
    emoney: Any, admin: Any, stranger: Any, customer: Any
) -> None:
    for caller in (stranger, admin, customer):
        with ape.reverts(
            emoney.AccessControlUnauthorizedAccount, account=caller, neededRole=emoney.MINTER_ROLE()
        ):
            emoney.mint(customer, 1, REF, sender=caller)
    assert emoney.totalSupply() == 0


def test_mint__to_zero_address__reverts(emoney: Any, minter: Any) -> None:
    with ape.reverts(emoney.ERC20InvalidReceiver, receiver=ZERO):
        emoney.mint(ZERO, 1, REF, sender=minter)


def test_mint__up_to_max_supply__succeeds(emoney: Any, minter: Any, customer: Any) -> None:
    emoney.mint(customer, MAX_UINT, REF, sender=minter)
    assert emoney.totalSupply() == MAX_UINT


def test_mint__overflowing_supply__reverts_with_context(
    emoney: Any, minter: Any, customer: Any
) -> None:
    emoney.mint(customer, MAX_UINT - 5, REF, sender=minter)
    with ape.reverts(emoney.EMoneySupplyOverflow, totalSupply=MAX_UINT - 5, amount=6):
        emoney.mint(customer, 6, REF, sender=minter)
    assert emoney.totalSupply() == MAX_UINT - 5


def test_burn__retires_callers_coins(emoney: Any, minter: Any) -> None:
    emoney.mint(minter, 10 * ONE_EMONEY, REF, sender=minter)
    emoney.burn(4 * ONE_EMONEY, sender=minter)
    assert emoney.balanceOf(minter) == 6 * ONE_EMONEY
    assert emoney.totalSupply() == 6 * ONE_EMONEY


def test_burn__more_than_balance__reverts(emoney: Any, minter: Any) -> None:
    emoney.mint(minter, 3, REF, sender=minter)
    with ape.reverts(emoney.ERC20InsufficientBalance, sender=minter, balance=3, needed=4):
        emoney.burn(4, sender=minter)


def test_burn__without_burner_role__reverts(emoney: Any, minter: Any, customer: Any) -> None:
    emoney.mint(customer, 5, REF, sender=minter)
    with ape.reverts(
        emoney.AccessControlUnauthorizedAccount, account=customer, neededRole=emoney.BURNER_ROLE()
    ):
        emoney.burn(5, sender=customer)
    assert emoney.balanceOf(customer) == 5


def test_burn_from__spends_allowance(emoney: Any, minter: Any, customer: Any) -> None:
    emoney.mint(customer, 10, REF, sender=minter)
    emoney.approve(minter, 7, sender=customer)
    emoney.burnFrom(customer, 7, sender=minter)
    assert emoney.balanceOf(customer) == 3
    assert emoney.allowance(customer, minter) == 0


def test_burn_from__without_allowance__reverts(emoney: Any, minter: Any, customer: Any) -> None:
    emoney.mint(customer, 10, REF, sender=minter)
    emoney.approve(minter, 2, sender=customer)
    with ape.reverts(emoney.ERC20InsufficientAllowance, spender=minter, allowance=2, needed=3):
        emoney.burnFrom(customer, 3, sender=minter)
    assert emoney.balanceOf(customer) == 10


def test_burn_from__without_burner_role__reverts(
    emoney: Any, minter: Any, customer: Any, stranger: Any
) -> None:
    emoney.mint(customer, 10, REF, sender=minter)
    emoney.approve(stranger, 10, sender=customer)
    with ape.reverts(
        emoney.AccessControlUnauthorizedAccount, account=stranger, neededRole=emoney.BURNER_ROLE()
    ):
        emoney.burnFrom(customer, 10, sender=stranger)
    assert emoney.balanceOf(customer) == 10


def test_roles__only_admin_grants_and_revokes(
    emoney: Any, admin: Any, minter: Any, stranger: Any
) -> None:
    role = emoney.MINTER_ROLE()
    admin_role = emoney.DEFAULT_ADMIN_ROLE()
    with ape.reverts(
        emoney.AccessControlUnauthorizedAccount, account=stranger, neededRole=admin_role
    ):
        emoney.grantRole(role, stranger, sender=stranger)
    with ape.reverts(
        emoney.AccessControlUnauthorizedAccount, account=minter, neededRole=admin_role
    ):
        emoney.revokeRole(role, minter, sender=minter)
    assert not emoney.hasRole(role, stranger)

    emoney.revokeRole(role, minter, sender=admin)
    with ape.reverts(emoney.AccessControlUnauthorizedAccount, account=minter, neededRole=role):
        emoney.mint(minter, 1, REF, sender=minter)


def test_transfer__to_zero_address__reverts(emoney: Any, minter: Any, customer: Any) -> None:
    emoney.mint(customer, 5, REF, sender=minter)
    with ape.reverts(emoney.ERC20InvalidReceiver, receiver=ZERO):
        emoney.transfer(ZERO, 1, sender=customer)


def test_approve__zero_spender__reverts(emoney: Any, customer: Any) -> None:
    with ape.reverts(emoney.ERC20InvalidSpender, spender=ZERO):
        emoney.approve(ZERO, 1, sender=customer)


# --- ERC-2612 permit ------------------------------------------------------------


def _deadline(chain: Any, seconds: int = 3600) -> int:
    return chain.pending_timestamp + seconds


def test_permit__sets_allowance_and_bumps_nonce(
    emoney: Any, chain: Any, customer: Any, stranger: Any
) -> None:
    deadline = _deadline(chain)
    v, r, s = sign_permit(emoney, customer, stranger, 42, deadline, chain.chain_id)
    emoney.permit(customer, stranger, 42, deadline, v, r, s, sender=stranger)
    assert emoney.allowance(customer, stranger) == 42
    assert emoney.nonces(customer) == 1


def test_permit__replayed__reverts(emoney: Any, chain: Any, customer: Any, stranger: Any) -> None:
    deadline = _deadline(chain)
    v, r, s = sign_permit(emoney, customer, stranger, 42, deadline, chain.chain_id)
    emoney.permit(customer, stranger, 42, deadline, v, r, s, sender=stranger)
    emoney.approve(stranger, 0, sender=customer)
    # The nonce moved on, so the same signature now recovers to some other address.
    with ape.reverts(emoney.ERC2612InvalidSigner):
        emoney.permit(customer, stranger, 42, deadline, v, r, s, sender=stranger)
    assert emoney.allowance(customer, stranger) == 0


def test_permit__expired__reverts(emoney: Any, chain: Any, customer: Any, stranger: Any) -> None:
    deadline = chain.pending_timestamp - 1
    v, r, s = sign_permit(emoney, customer, stranger, 42, deadline, chain.chain_id)
    with ape.reverts(emoney.ERC2612ExpiredSignature, deadline=deadline):
        emoney.permit(customer, stranger, 42, deadline, v, r, s, sender=stranger)
    assert emoney.allowance(customer, stranger) == 0


def test_permit__wrong_signer__reverts(
    emoney: Any, chain: Any, customer: Any, other_customer: Any, stranger: Any
) -> None:
    deadline = _deadline(chain)
    # other_customer signs a permit that claims to be customer's.
    v, r, s = sign_permit(
        emoney, other_customer, stranger, 42, deadline, chain.chain_id, owner=customer
    )
    with ape.reverts(
        emoney.ERC2612InvalidSigner, signer=other_customer.address, owner=customer.address
    ):
        emoney.permit(customer, stranger, 42, deadline, v, r, s, sender=stranger)
    assert emoney.allowance(customer, stranger) == 0


def test_permit__altered_value__reverts(
    emoney: Any, chain: Any, customer: Any, stranger: Any
) -> None:
    deadline = _deadline(chain)
    v, r, s = sign_permit(emoney, customer, stranger, 42, deadline, chain.chain_id)
    with ape.reverts(emoney.ERC2612InvalidSigner):
        emoney.permit(customer, stranger, 43, deadline, v, r, s, sender=stranger)


def test_permit__other_chain_id__reverts(
    emoney: Any, chain: Any, customer: Any, stranger: Any
) -> None:
    deadline = _deadline(chain)
    v, r, s = sign_permit(emoney, customer, stranger, 42, deadline, chain.chain_id + 1)
    with ape.reverts(emoney.ERC2612InvalidSigner):
        emoney.permit(customer, stranger, 42, deadline, v, r, s, sender=stranger)


def test_permit__then_transfer_from(
    emoney: Any, chain: Any, minter: Any, customer: Any, stranger: Any
) -> None:
    emoney.mint(customer, 100, REF, sender=minter)
    deadline = _deadline(chain)
    v, r, s = sign_permit(emoney, customer, stranger, 60, deadline, chain.chain_id)
    emoney.permit(customer, stranger, 60, deadline, v, r, s, sender=stranger)
    emoney.transferFrom(customer, stranger, 60, sender=stranger)
    assert emoney.balanceOf(stranger) == 60
    assert emoney.decimals() == EMONEY_DECIMALS
