// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {AggregatorV3Interface} from "./AggregatorV3Interface.sol";

/// @title IMockPriceFeed
/// @notice A Chainlink-style price feed for local chains and tests, whose decimals, answer
/// and update time are set by an account holding the updater role.
interface IMockPriceFeed is AggregatorV3Interface {
    /// @notice The admin given at deployment is the zero address.
    error MockPriceFeedInvalidAdmin(address admin);

    /// @notice `roundId` has never been published.
    error MockPriceFeedUnknownRound(uint80 roundId, uint80 latestRound);

    /// @notice No round has been published yet.
    error MockPriceFeedNoData();

    /// @notice The update time `updatedAt` is later than the block time `blockTimestamp`.
    error MockPriceFeedFutureUpdate(uint256 updatedAt, uint256 blockTimestamp);

    /// @notice Emitted when a round is published.
    event AnswerUpdated(int256 indexed current, uint256 indexed roundId, uint256 updatedAt);

    /// @notice Emitted when the decimals of the answer change.
    event DecimalsUpdated(uint8 decimals);

    /// @notice The role allowed to publish answers and change decimals.
    function UPDATER_ROLE() external view returns (bytes32);

    /// @notice Publishes a new round with `answer`, updated at `updatedAt`.
    /// @dev Requirements: the caller has UPDATER_ROLE; `updatedAt` is not in the future.
    /// A zero `updatedAt` means the current block time. Emits {AnswerUpdated}.
    function setAnswer(int256 answer, uint256 updatedAt) external;

    /// @notice The id of the latest published round, 0 before the first one.
    function latestRound() external view returns (uint256);

    /// @notice Changes the number of decimals in which answers are expressed.
    /// @dev Requirements: the caller has UPDATER_ROLE. Emits {DecimalsUpdated}.
    function setDecimals(uint8 newDecimals) external;
}
