"""Re-entry into GeoRewards from a campaign token, while a claim pays out or a top-up pulls.

Every state-changing entry point is re-entered by a malicious reward token, from inside the
two token calls anyone can trigger: a claim's payout and a top-up's pull. Each re-entry must
fail (the reentrancy guard for the open entry points, the role checks for the rest) while the
outer call completes and the contract's balance still equals the campaign's budget. GeoRewards
never sends or accepts ETH, so an ETH receiver gets no control to re-enter it; the last test
checks that this stays true. `tests/contracts/test_reentrancy_coverage.py` fails when an entry
point has no case here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import ape
import pytest
from eth_abi import encode
from eth_utils import keccak

from tests.contracts.geo.conftest import REWARD, Signed, as_tuple, campaign_params

BUDGET = 10 * REWARD
TOP_UP = 3 * REWARD


def error(signature: str, types: list[str] | None = None, values: list[Any] | None = None) -> bytes:
    return keccak(text=signature)[:4] + encode(types or [], values or [])


def missing_role(account: Any, role: bytes) -> bytes:
    return error(
        "AccessControlUnauthorizedAccount(address,bytes32)", ["address", "bytes32"],
        [str(account), role],
    )  # fmt: skip


REENTRANT = error("ReentrancyGuardReentrantCall()")


@dataclass(frozen=True)
class Target:
    """What the re-entering token aims at."""

    geo: Any
    token: Any
    campaign: int
    oracle: Any
    second_claim: Signed
    params: tuple[Any, ...]


@dataclass(frozen=True)
class Attack:
    call: Callable[[Target], bytes]
    refusal: Callable[[Target], bytes]


def _role(name: str) -> Callable[[Target], bytes]:
    return lambda t: missing_role(t.token, getattr(t.geo, name)())


GEO_ATTACKS: dict[str, Attack] = {
    "createCampaign": Attack(
        lambda t: t.geo.createCampaign.encode_input(t.params, 0), _role("CAMPAIGN_MANAGER_ROLE")
    ),
    "topUp": Attack(lambda t: t.geo.topUp.encode_input(t.campaign, 1), lambda t: REENTRANT),
    "claim": Attack(
        lambda t: t.geo.claim.encode_input(*t.second_claim.args()), lambda t: REENTRANT
    ),
    "setCampaignPaused": Attack(
        lambda t: t.geo.setCampaignPaused.encode_input(t.campaign, True),
        _role("CAMPAIGN_MANAGER_ROLE"),
    ),
    "pause": Attack(lambda t: t.geo.pause.encode_input(), _role("PAUSER_ROLE")),
    "unpause": Attack(lambda t: t.geo.unpause.encode_input(), _role("PAUSER_ROLE")),
    "withdrawRemainder": Attack(
        lambda t: t.geo.withdrawRemainder.encode_input(t.campaign, t.token),
        _role("CAMPAIGN_MANAGER_ROLE"),
    ),
    "grantRole": Attack(
        lambda t: t.geo.grantRole.encode_input(t.geo.ORACLE_ROLE(), t.token),
        lambda t: missing_role(t.token, bytes(32)),
    ),
    "revokeRole": Attack(
        lambda t: t.geo.revokeRole.encode_input(t.geo.ORACLE_ROLE(), t.oracle),
        lambda t: missing_role(t.token, bytes(32)),
    ),
    "renounceRole": Attack(
        lambda t: t.geo.renounceRole.encode_input(t.geo.ORACLE_ROLE(), t.oracle),
        lambda t: error("AccessControlBadConfirmation()"),
    ),
}


@pytest.fixture
def hook_token(project: Any, admin: Any) -> Any:
    """A reward token that calls back into GeoRewards on its next transfer or transferFrom."""
    return admin.deploy(project.WalletTestToken)


@pytest.fixture
def target(
    chain: Any, geo: Any, hook_token: Any, manager: Any, oracle: Any, other_customer: Any,
    attest: Callable[..., Signed],
) -> Target:  # fmt: skip
    hook_token.mint(manager, BUDGET + TOP_UP, sender=manager)
    hook_token.approve(geo, BUDGET + TOP_UP, sender=manager)
    params = as_tuple(campaign_params(chain, hook_token))
    campaign = int(geo.createCampaign(params, BUDGET, sender=manager).return_value)
    return Target(geo, hook_token, campaign, oracle, attest(campaign, other_customer), params)


def assert_refused(token: Any, attack: Attack, target: Target) -> None:
    assert token.hookRan()
    assert not token.hookSucceeded()
    assert bytes(token.hookReturnData()) == attack.refusal(target)


def assert_books_balance(target: Target, budget: int, claims: int) -> None:
    state = target.geo.campaign(target.campaign)
    assert (state.budget, state.claims, state.paused) == (budget, claims, False)
    assert target.token.balanceOf(target.geo) == budget
    assert target.token.balanceOf(target.token) == 0
    assert not target.geo.paused()
    assert target.geo.hasRole(target.geo.ORACLE_ROLE(), target.oracle)
    assert not target.geo.hasRole(target.geo.ORACLE_ROLE(), target.token)


@pytest.mark.parametrize("entry_point", sorted(GEO_ATTACKS))
def test_claim__reentrant_reward_token__each_entry_point_refused(
    target: Target, customer: Any, other_customer: Any, relayer: Any,
    attest: Callable[..., Signed], entry_point: str,
) -> None:  # fmt: skip
    attack = GEO_ATTACKS[entry_point]
    target.token.setHook(target.geo, attack.call(target), sender=relayer)

    target.geo.claim(*attest(target.campaign, customer).args(), sender=relayer)

    assert_refused(target.token, attack, target)
    assert target.token.balanceOf(customer) == REWARD
    assert target.token.balanceOf(other_customer) == 0
    assert_books_balance(target, BUDGET - REWARD, claims=1)
    # The re-entered claim was refused only for re-entering: sent on its own, it pays.
    target.geo.claim(*target.second_claim.args(), sender=relayer)
    assert target.token.balanceOf(other_customer) == REWARD


@pytest.mark.parametrize("entry_point", sorted(GEO_ATTACKS))
def test_topUp__reentrant_reward_token__each_entry_point_refused(
    target: Target, manager: Any, other_customer: Any, relayer: Any, entry_point: str
) -> None:
    attack = GEO_ATTACKS[entry_point]
    target.token.setHook(target.geo, attack.call(target), sender=relayer)

    target.geo.topUp(target.campaign, TOP_UP, sender=manager)

    assert_refused(target.token, attack, target)
    assert target.token.balanceOf(other_customer) == 0
    assert target.token.balanceOf(manager) == 0
    # The whole top-up is credited: no claim paid out between the balance reads.
    assert_books_balance(target, BUDGET + TOP_UP, claims=0)


def test_eth__georewards_neither_sends_nor_accepts_it(
    project: Any, geo: Any, stranger: Any
) -> None:
    """No payable function, no receive or fallback: an ETH receiver can never be handed control
    by GeoRewards, so it has nothing to re-enter from. Adding ETH payouts fails this test."""
    abi = project.GeoRewards.contract_type.model_dump(mode="json")["abi"]
    assert not [e for e in abi if e["type"] in ("receive", "fallback")]
    assert not [e for e in abi if e.get("stateMutability") == "payable"]
    with ape.reverts():
        stranger.transfer(geo, 1)
    assert geo.balance == 0
