from __future__ import annotations

from collections.abc import Callable
from typing import Any

import ape
import pytest

from tests.conftest import ONE_EMONEY
from tests.contracts.geo.conftest import (
    CENTRE,
    DAY,
    REWARD,
    Mode,
    as_tuple,
    campaign_params,
)

ZERO = "0x0000000000000000000000000000000000000000"
UINT96_MAX = 2**96 - 1


def test_constructor__zero_admin__reverts(project: Any, fresh_deployer: Any) -> None:
    with ape.reverts(project.GeoRewards.GeoRewardsInvalidAdmin, admin=ZERO):
        fresh_deployer.deploy(project.GeoRewards, ZERO)


def test_constructor__reports_eip712_domain(geo: Any, chain: Any) -> None:
    fields = geo.eip712Domain()
    assert (fields[1], fields[2], fields[3], fields[4]) == (
        "CoinposGeoRewards", "1", chain.chain_id, geo.address,
    )  # fmt: skip


def test_create__stores_terms_pulls_budget_and_emits(
    chain: Any, geo: Any, emoney: Any, funded_manager: Any
) -> None:
    params = campaign_params(chain, emoney, mode=Mode.FIRST_COME, maxClaims=3)
    emoney.approve(geo, 40 * REWARD, sender=funded_manager)
    before = emoney.balanceOf(funded_manager)
    tx = geo.createCampaign(as_tuple(params), 40 * REWARD, sender=funded_manager)

    assert tx.return_value == 1
    assert geo.campaignCount() == 1
    c = geo.campaign(1)
    assert (c.budget, c.claims, c.maxClaims, c.mode, c.paused) == (40 * REWARD, 0, 3, 1, False)
    assert (c.latE6, c.lonE6, c.radiusMetres) == (CENTRE[0], CENTRE[1], params["radiusMetres"])
    assert (c.start, c.end, c.token, c.rewardPerClaim) == (
        params["start"], params["end"], emoney.address, REWARD,
    )  # fmt: skip
    assert c.actionId == params["actionId"]
    assert emoney.balanceOf(geo) == 40 * REWARD
    assert emoney.balanceOf(funded_manager) == before - 40 * REWARD
    [event] = tx.events.filter(geo.CampaignCreated)
    assert event.campaignId == 1
    assert event.funder == funded_manager.address
    assert event.budget == 40 * REWARD
    expected = {**params, "token": emoney.address.lower()}
    assert tuple(event.params) == tuple(expected.values())


def test_create__ids_count_up_and_zero_budget_is_allowed(
    create_campaign: Callable[..., int], geo: Any
) -> None:
    assert create_campaign() == 1
    assert create_campaign(budget=0) == 2
    assert geo.campaign(2).budget == 0


def test_create__without_manager_role__reverts(
    chain: Any, geo: Any, emoney: Any, stranger: Any
) -> None:
    with ape.reverts(
        geo.AccessControlUnauthorizedAccount,
        account=stranger,
        neededRole=geo.CAMPAIGN_MANAGER_ROLE(),
    ):
        geo.createCampaign(as_tuple(campaign_params(chain, emoney)), 0, sender=stranger)


@pytest.mark.parametrize(
    ("overrides", "error", "fields"),
    [
        ({"latE6": 90_000_001}, "GeoDistanceInvalidLatitude", {"latE6": 90_000_001}),
        ({"latE6": -90_000_001}, "GeoDistanceInvalidLatitude", {"latE6": -90_000_001}),
        ({"lonE6": 180_000_001}, "GeoDistanceInvalidLongitude", {"lonE6": 180_000_001}),
        ({"radiusMetres": 0}, "GeoRewardsInvalidRadius", {"radiusMetres": 0}),
        ({"radiusMetres": 50_001}, "GeoRewardsInvalidRadius", {"maxRadiusMetres": 50_000}),
        ({"rewardPerClaim": 0}, "GeoRewardsInvalidReward", {"rewardPerClaim": 0}),
        ({"mode": Mode.FIRST_COME, "maxClaims": 0}, "GeoRewardsInvalidMode", {"maxClaims": 0}),
        ({"mode": Mode.EVERYONE, "maxClaims": 5}, "GeoRewardsInvalidMode", {"maxClaims": 5}),
    ],
)
def test_create__invalid_terms__reverts(
    chain: Any,
    geo: Any,
    emoney: Any,
    funded_manager: Any,
    overrides: dict[str, Any],
    error: str,
    fields: dict[str, Any],
) -> None:
    params = campaign_params(chain, emoney, **overrides)
    with ape.reverts(getattr(geo, error), **fields):
        geo.createCampaign(as_tuple(params), 0, sender=funded_manager)


def test_create__zero_token__reverts(
    chain: Any, geo: Any, emoney: Any, funded_manager: Any
) -> None:
    params = campaign_params(chain, emoney, token=ZERO)
    with ape.reverts(geo.GeoRewardsInvalidToken, token=ZERO):
        geo.createCampaign(as_tuple(params), 0, sender=funded_manager)


def test_create__empty_or_past_window__reverts(
    chain: Any, geo: Any, emoney: Any, funded_manager: Any
) -> None:
    now = chain.pending_timestamp
    for start, end in ((now + 10, now + 10), (now + 20, now + 10), (now - 100, now - 1)):
        params = campaign_params(chain, emoney, start=start, end=end)
        with ape.reverts(geo.GeoRewardsInvalidWindow, start=start, end=end):
            geo.createCampaign(as_tuple(params), 0, sender=funded_manager)


def test_create__while_globally_paused__reverts(
    chain: Any, geo: Any, emoney: Any, admin: Any, funded_manager: Any
) -> None:
    geo.pause(sender=admin)
    with ape.reverts(geo.EnforcedPause):
        geo.createCampaign(as_tuple(campaign_params(chain, emoney)), 0, sender=funded_manager)


def test_create__budget_above_uint96__reverts(
    chain: Any, geo: Any, emoney: Any, minter: Any, funded_manager: Any
) -> None:
    emoney.mint(funded_manager, UINT96_MAX, b"\x00" * 32, sender=minter)
    emoney.approve(geo, UINT96_MAX + 1, sender=funded_manager)
    with ape.reverts(geo.GeoRewardsBudgetOverflow, campaignId=1, budget=0, amount=UINT96_MAX + 1):
        geo.createCampaign(
            as_tuple(campaign_params(chain, emoney)), UINT96_MAX + 1, sender=funded_manager
        )


def test_top_up__adds_to_budget_from_anyone_and_emits(
    create_campaign: Callable[..., int], geo: Any, emoney: Any, minter: Any, stranger: Any
) -> None:
    campaign_id = create_campaign(budget=10 * REWARD)
    emoney.mint(stranger, 7 * ONE_EMONEY, b"\x00" * 32, sender=minter)
    emoney.approve(geo, 7 * ONE_EMONEY, sender=stranger)
    tx = geo.topUp(campaign_id, 7 * ONE_EMONEY, sender=stranger)
    assert geo.campaign(campaign_id).budget == 10 * REWARD + 7 * ONE_EMONEY
    assert emoney.balanceOf(geo) == 10 * REWARD + 7 * ONE_EMONEY
    [event] = tx.events.filter(geo.CampaignToppedUp)
    assert (event.campaignId, event.funder, event.amount, event.budget) == (
        campaign_id, stranger.address, 7 * ONE_EMONEY, 10 * REWARD + 7 * ONE_EMONEY,
    )  # fmt: skip


def test_top_up__unknown_campaign__reverts(geo: Any, funded_manager: Any) -> None:
    with ape.reverts(geo.GeoRewardsUnknownCampaign, campaignId=9):
        geo.topUp(9, 1, sender=funded_manager)


def test_top_up__after_end__reverts(
    chain: Any, create_campaign: Callable[..., int], geo: Any, emoney: Any, funded_manager: Any
) -> None:
    campaign_id = create_campaign()
    end = geo.campaign(campaign_id).end
    chain.pending_timestamp = end
    emoney.approve(geo, 1, sender=funded_manager)
    with ape.reverts(geo.GeoRewardsCampaignEnded, campaignId=campaign_id, end=end):
        geo.topUp(campaign_id, 1, sender=funded_manager)


def test_top_up__zero_amount__reverts(
    create_campaign: Callable[..., int], geo: Any, funded_manager: Any
) -> None:
    campaign_id = create_campaign()
    with ape.reverts(geo.GeoRewardsNothingReceived, campaignId=campaign_id):
        geo.topUp(campaign_id, 0, sender=funded_manager)


def test_top_up__without_allowance__reverts(
    create_campaign: Callable[..., int], geo: Any, emoney: Any, funded_manager: Any
) -> None:
    campaign_id = create_campaign()
    with ape.reverts(emoney.ERC20InsufficientAllowance):
        geo.topUp(campaign_id, 1, sender=funded_manager)


def test_top_up__past_uint96__reverts(
    create_campaign: Callable[..., int], geo: Any, emoney: Any, minter: Any, funded_manager: Any
) -> None:
    campaign_id = create_campaign(budget=REWARD)
    emoney.mint(funded_manager, UINT96_MAX, b"\x00" * 32, sender=minter)
    emoney.approve(geo, UINT96_MAX, sender=funded_manager)
    with ape.reverts(
        geo.GeoRewardsBudgetOverflow, campaignId=campaign_id, budget=REWARD, amount=UINT96_MAX
    ):
        geo.topUp(campaign_id, UINT96_MAX, sender=funded_manager)


def test_top_up__while_globally_paused__reverts(
    create_campaign: Callable[..., int], geo: Any, admin: Any, funded_manager: Any
) -> None:
    campaign_id = create_campaign()
    geo.pause(sender=admin)
    with ape.reverts(geo.EnforcedPause):
        geo.topUp(campaign_id, 1, sender=funded_manager)


def test_campaign__unknown_id__reverts(geo: Any) -> None:
    with ape.reverts(geo.GeoRewardsUnknownCampaign, campaignId=0):
        geo.campaign(0)


def test_set_campaign_paused__toggles_and_emits(
    create_campaign: Callable[..., int], geo: Any, manager: Any
) -> None:
    campaign_id = create_campaign()
    tx = geo.setCampaignPaused(campaign_id, True, sender=manager)
    assert geo.campaign(campaign_id).paused
    [event] = tx.events.filter(geo.CampaignPauseSet)
    assert (event.campaignId, event.paused) == (campaign_id, True)
    geo.setCampaignPaused(campaign_id, False, sender=manager)
    assert not geo.campaign(campaign_id).paused


def test_set_campaign_paused__unchanged__reverts(
    create_campaign: Callable[..., int], geo: Any, manager: Any
) -> None:
    campaign_id = create_campaign()
    with ape.reverts(geo.GeoRewardsPauseUnchanged, campaignId=campaign_id, paused=False):
        geo.setCampaignPaused(campaign_id, False, sender=manager)


def test_set_campaign_paused__unknown_campaign__reverts(geo: Any, manager: Any) -> None:
    with ape.reverts(geo.GeoRewardsUnknownCampaign, campaignId=5):
        geo.setCampaignPaused(5, True, sender=manager)


def test_set_campaign_paused__without_manager_role__reverts(
    create_campaign: Callable[..., int], geo: Any, stranger: Any
) -> None:
    campaign_id = create_campaign()
    with ape.reverts(geo.AccessControlUnauthorizedAccount, account=stranger):
        geo.setCampaignPaused(campaign_id, True, sender=stranger)


def test_pause__without_pauser_role__reverts(geo: Any, manager: Any) -> None:
    for call in (geo.pause, geo.unpause):
        with ape.reverts(geo.AccessControlUnauthorizedAccount, account=manager):
            call(sender=manager)


def test_withdraw_remainder__after_end__pays_receiver_and_emits(
    chain: Any, create_campaign: Callable[..., int], geo: Any, emoney: Any, manager: Any,
    treasury: Any,
) -> None:  # fmt: skip
    campaign_id = create_campaign(budget=12 * REWARD)
    chain.pending_timestamp = geo.campaign(campaign_id).end
    tx = geo.withdrawRemainder(campaign_id, treasury, sender=manager)
    assert emoney.balanceOf(treasury) == 12 * REWARD
    assert geo.campaign(campaign_id).budget == 0
    [event] = tx.events.filter(geo.RemainderWithdrawn)
    assert (event.campaignId, event.receiver, event.amount) == (
        campaign_id, treasury.address, 12 * REWARD,
    )  # fmt: skip
    with ape.reverts(geo.GeoRewardsNothingToWithdraw, campaignId=campaign_id):
        geo.withdrawRemainder(campaign_id, treasury, sender=manager)


def test_withdraw_remainder__before_end__reverts(
    create_campaign: Callable[..., int], geo: Any, manager: Any, treasury: Any
) -> None:
    campaign_id = create_campaign()
    end = geo.campaign(campaign_id).end
    with ape.reverts(geo.GeoRewardsCampaignNotEnded, campaignId=campaign_id, end=end):
        geo.withdrawRemainder(campaign_id, treasury, sender=manager)


def test_withdraw_remainder__zero_receiver__reverts(
    create_campaign: Callable[..., int], geo: Any, manager: Any
) -> None:
    campaign_id = create_campaign()
    with ape.reverts(geo.GeoRewardsInvalidReceiver, receiver=ZERO):
        geo.withdrawRemainder(campaign_id, ZERO, sender=manager)


def test_withdraw_remainder__unknown_campaign__reverts(
    geo: Any, manager: Any, treasury: Any
) -> None:
    with ape.reverts(geo.GeoRewardsUnknownCampaign, campaignId=3):
        geo.withdrawRemainder(3, treasury, sender=manager)


def test_withdraw_remainder__without_manager_role__reverts(
    chain: Any, create_campaign: Callable[..., int], geo: Any, stranger: Any
) -> None:
    campaign_id = create_campaign()
    chain.pending_timestamp = chain.pending_timestamp + 2 * DAY
    with ape.reverts(geo.AccessControlUnauthorizedAccount, account=stranger):
        geo.withdrawRemainder(campaign_id, stranger, sender=stranger)


def test_create__fee_on_transfer_token__credits_what_arrived(
    project: Any, chain: Any, geo: Any, manager: Any
) -> None:
    coin = manager.deploy(project.FeeOnTransferToken)
    coin.mint(manager, 10_000, sender=manager)
    coin.approve(geo, 1_000, sender=manager)
    geo.createCampaign(as_tuple(campaign_params(chain, coin)), 1_000, sender=manager)
    assert coin.balanceOf(geo) == 990
    assert geo.campaign(1).budget == 990
