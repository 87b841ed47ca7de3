from __future__ import annotations

from typing import Any

import ape

ZERO = "0x0000000000000000000000000000000000000000"


def test_constructor__sets_description_decimals_and_roles(price_feed: Any, admin: Any) -> None:
    assert price_feed.description() == "ETH / USD"
    assert price_feed.decimals() == 8
    assert price_feed.version() == 4
    assert price_feed.hasRole(price_feed.UPDATER_ROLE(), admin)
    assert price_feed.latestRound() == 0


def test_constructor__zero_admin__reverts(project: Any, fresh_deployer: Any) -> None:
    with ape.reverts(project.MockPriceFeed.MockPriceFeedInvalidAdmin, admin=ZERO):
        fresh_deployer.deploy(project.MockPriceFeed, "ETH / USD", 8, ZERO)


def test_latest_round_data__before_any_answer__reverts(price_feed: Any) -> None:
    with ape.reverts(price_feed.MockPriceFeedNoData):
        price_feed.latestRoundData()


def test_set_answer__publishes_rounds_and_keeps_history(
    price_feed: Any, admin: Any, chain: Any
) -> None:
    first_time = chain.pending_timestamp - 100
    tx = price_feed.setAnswer(3000_00000000, first_time, sender=admin)
    assert tx.events.filter(price_feed.AnswerUpdated)[0].roundId == 1
    price_feed.setAnswer(3100_00000000, 0, sender=admin)
    latest = price_feed.latestRoundData()
    assert latest[0] == 2
    assert latest[1] == 3100_00000000
    assert latest[3] == chain.blocks.head.timestamp
    assert latest[4] == 2
    first = price_feed.getRoundData(1)
    assert first[1] == 3000_00000000
    assert first[3] == first_time


def test_set_answer__negative_answer_is_kept(price_feed: Any, admin: Any) -> None:
    price_feed.setAnswer(-5, 0, sender=admin)
    assert price_feed.latestRoundData()[1] == -5


def test_set_answer__future_time__reverts(price_feed: Any, admin: Any, chain: Any) -> None:
    future = chain.pending_timestamp + 3600
    with ape.reverts(price_feed.MockPriceFeedFutureUpdate, updatedAt=future):
        price_feed.setAnswer(1, future, sender=admin)
    assert price_feed.latestRound() == 0


def test_get_round_data__unknown_round__reverts(price_feed: Any, admin: Any) -> None:
    price_feed.setAnswer(1, 0, sender=admin)
    with ape.reverts(price_feed.MockPriceFeedUnknownRound, roundId=2, latestRound=1):
        price_feed.getRoundData(2)
    with ape.reverts(price_feed.MockPriceFeedUnknownRound, roundId=0, latestRound=1):
        price_feed.getRoundData(0)


def test_updates__without_updater_role__revert(price_feed: Any, stranger: Any) -> None:
    role = price_feed.UPDATER_ROLE()
    with ape.reverts(
        price_feed.AccessControlUnauthorizedAccount, account=stranger, neededRole=role
    ):
        price_feed.setAnswer(1, 0, sender=stranger)
    with ape.reverts(
        price_feed.AccessControlUnauthorizedAccount, account=stranger, neededRole=role
    ):
        price_feed.setDecimals(18, sender=stranger)
    assert price_feed.decimals() == 8
    assert price_feed.latestRound() == 0


def test_set_decimals__by_updater__changes_decimals(price_feed: Any, admin: Any) -> None:
    tx = price_feed.setDecimals(18, sender=admin)
    assert price_feed.decimals() == 18
    assert tx.events.filter(price_feed.DecimalsUpdated)[0].decimals == 18


def test_updater_role__granted_by_admin__can_update(
    price_feed: Any, admin: Any, operator: Any
) -> None:
    price_feed.grantRole(price_feed.UPDATER_ROLE(), operator, sender=admin)
    price_feed.setAnswer(42, 0, sender=operator)
    assert price_feed.latestRoundData()[1] == 42
