// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";

import {AggregatorV3Interface} from "./interfaces/AggregatorV3Interface.sol";
import {IMockPriceFeed} from "./interfaces/IMockPriceFeed.sol";

/// @title MockPriceFeed
/// @notice A settable Chainlink-style feed that serves exchange rates on a local chain.
/// Every published answer is kept as its own round, so history reads work as on Chainlink.
contract MockPriceFeed is IMockPriceFeed, AccessControl {
    /*//////////////////////////////////////////////////////////////
                                 STORAGE
    //////////////////////////////////////////////////////////////*/

    struct Round {
        int256 answer;
        uint64 updatedAt;
    }

    /// @inheritdoc IMockPriceFeed
    bytes32 public constant UPDATER_ROLE = keccak256("UPDATER_ROLE");

    string private _description;
    uint8 private _decimals;
    uint80 private _latestRound;
    mapping(uint80 roundId => Round) private _rounds;

    /*//////////////////////////////////////////////////////////////
                               CONSTRUCTOR
    //////////////////////////////////////////////////////////////*/

    /// @param description_ What the feed prices, for example "ETH / USD".
    /// @param decimals_ The decimals of the answers.
    /// @param admin The account given DEFAULT_ADMIN_ROLE and UPDATER_ROLE.
    constructor(string memory description_, uint8 decimals_, address admin) {
        if (admin == address(0)) revert MockPriceFeedInvalidAdmin(admin);
        _description = description_;
        _decimals = decimals_;
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _grantRole(UPDATER_ROLE, admin);
    }

    /*//////////////////////////////////////////////////////////////
                                 UPDATES
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc IMockPriceFeed
    function setAnswer(int256 answer, uint256 updatedAt) external onlyRole(UPDATER_ROLE) {
        if (updatedAt == 0) updatedAt = block.timestamp;
        if (updatedAt > block.timestamp) revert MockPriceFeedFutureUpdate(updatedAt, block.timestamp);
        // A round counter of 2^80 cannot be reached by any real number of updates.
        unchecked {
            ++_latestRound;
        }
        _rounds[_latestRound] = Round({answer: answer, updatedAt: uint64(updatedAt)});
        emit AnswerUpdated(answer, _latestRound, updatedAt);
    }

    /// @inheritdoc IMockPriceFeed
    function setDecimals(uint8 newDecimals) external onlyRole(UPDATER_ROLE) {
        _decimals = newDecimals;
        emit DecimalsUpdated(newDecimals);
    }

    /*//////////////////////////////////////////////////////////////
                                  READS
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc AggregatorV3Interface
    function decimals() external view returns (uint8) {
        return _decimals;
    }

    /// @inheritdoc AggregatorV3Interface
    function description() external view returns (string memory) {
        return _description;
    }

    /// @inheritdoc AggregatorV3Interface
    function version() external pure returns (uint256) {
        return 4;
    }

    /// @inheritdoc IMockPriceFeed
    function latestRound() external view returns (uint256) {
        return _latestRound;
    }

    /// @inheritdoc AggregatorV3Interface
    function getRoundData(uint80 roundId) external view returns (uint80, int256, uint256, uint256, uint80) {
        if (roundId == 0 || roundId > _latestRound) revert MockPriceFeedUnknownRound(roundId, _latestRound);
        return _roundData(roundId);
    }

    /// @inheritdoc AggregatorV3Interface
    function latestRoundData() external view returns (uint80, int256, uint256, uint256, uint80) {
        if (_latestRound == 0) revert MockPriceFeedNoData();
        return _roundData(_latestRound);
    }

    function _roundData(uint80 roundId) private view returns (uint80, int256, uint256, uint256, uint80) {
        Round memory round = _rounds[roundId];
        return (roundId, round.answer, round.updatedAt, round.updatedAt, roundId);
    }
}
