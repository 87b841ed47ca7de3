// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {SignatureChecker} from "@openzeppelin/contracts/utils/cryptography/SignatureChecker.sol";

import {IGeoRewards} from "./interfaces/IGeoRewards.sol";
import {GeoDistance} from "./libraries/GeoDistance.sol";

/// @title GeoRewards
/// @notice Location mining campaigns, paid out against oracle attestations. See {IGeoRewards}.
/// @dev Claim ids are kept in a bitmap, 256 to a storage word: an oracle that issues
/// consecutive ids writes a fresh word once every 256 claims.
contract GeoRewards is IGeoRewards, EIP712, AccessControl, Pausable, ReentrancyGuardTransient {
    using SafeERC20 for IERC20;

    /*//////////////////////////////////////////////////////////////
                                 STORAGE
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc IGeoRewards
    bytes32 public constant CAMPAIGN_MANAGER_ROLE = keccak256("CAMPAIGN_MANAGER_ROLE");

    /// @inheritdoc IGeoRewards
    bytes32 public constant ORACLE_ROLE = keccak256("ORACLE_ROLE");

    /// @inheritdoc IGeoRewards
    bytes32 public constant PAUSER_ROLE = keccak256("PAUSER_ROLE");

    /// @inheritdoc IGeoRewards
    uint32 public constant MAX_RADIUS_METRES = 50_000;

    /// @inheritdoc IGeoRewards
    bytes32 public constant CLAIM_ATTESTATION_TYPEHASH = keccak256(
        "ClaimAttestation(uint256 campaignId,address recipient,int32 latE6,int32 lonE6,bytes32 actionId,bytes32 claimId,uint256 deadline)"
    );

    uint256 private _campaignCount;
    mapping(uint256 campaignId => Campaign) private _campaigns;
    mapping(uint256 campaignId => mapping(address recipient => bool)) private _claimed;
    mapping(uint256 word => uint256 bits) private _claimIdBitmap;

    /*//////////////////////////////////////////////////////////////
                               CONSTRUCTOR
    //////////////////////////////////////////////////////////////*/

    /// @param admin The account given DEFAULT_ADMIN_ROLE, which grants and revokes the other roles.
    constructor(address admin) EIP712("CoinposGeoRewards", "1") {
        if (admin == address(0)) revert GeoRewardsInvalidAdmin(admin);
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
    }

    /*//////////////////////////////////////////////////////////////
                                EXTERNAL
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc IGeoRewards
    function createCampaign(CampaignParams calldata params, uint256 budget)
        external
        onlyRole(CAMPAIGN_MANAGER_ROLE)
        whenNotPaused
        nonReentrant
        returns (uint256 campaignId)
    {
        _checkParams(params);
        // Cannot overflow: one campaign per transaction would take longer than the chain's life.
        unchecked {
            campaignId = ++_campaignCount;
        }
        Campaign storage c = _campaigns[campaignId];
        c.maxClaims = params.maxClaims;
        c.start = params.start;
        c.end = params.end;
        c.mode = params.mode;
        c.token = params.token;
        c.rewardPerClaim = params.rewardPerClaim;
        c.latE6 = params.latE6;
        c.lonE6 = params.lonE6;
        c.radiusMetres = params.radiusMetres;
        c.actionId = params.actionId;
        uint256 funded = budget == 0 ? 0 : _fund(campaignId, c, budget);
        emit CampaignCreated(campaignId, msg.sender, params, funded);
    }

    /// @inheritdoc IGeoRewards
    function topUp(uint256 campaignId, uint256 amount) external whenNotPaused nonReentrant {
        Campaign storage c = _existing(campaignId);
        uint40 end = c.end;
        if (block.timestamp >= end) revert GeoRewardsCampaignEnded(campaignId, end, block.timestamp);
        uint256 received = _fund(campaignId, c, amount);
        emit CampaignToppedUp(campaignId, msg.sender, received, c.budget);
    }

    /// @inheritdoc IGeoRewards
    function claim(ClaimAttestation calldata attestation, address signer, bytes calldata signature)
        external
        whenNotPaused
        nonReentrant
    {
        if (block.timestamp > attestation.deadline) {
            revert GeoRewardsAttestationExpired(attestation.deadline, block.timestamp);
        }
        if (!hasRole(ORACLE_ROLE, signer)) revert GeoRewardsUnauthorizedOracle(signer);
        bytes32 digest = _attestationDigest(attestation);
        if (!_isValidSignature(signer, digest, signature)) revert GeoRewardsInvalidSignature(signer, digest);

        Campaign storage c = _recordClaim(attestation);
        _useClaimId(attestation.claimId);
        uint32 radius = c.radiusMetres;
        uint256 distance = GeoDistance.distanceMetres(c.latE6, c.lonE6, attestation.latE6, attestation.lonE6);
        if (distance > radius) revert GeoRewardsOutsideRadius(attestation.campaignId, distance, radius);

        uint96 reward = c.rewardPerClaim;
        emit Claimed(attestation.campaignId, attestation.recipient, attestation.claimId, reward, msg.sender);
        // The one interaction comes last: a reentrant call already sees the claim as paid. The
        // guard also keeps a claim out of a top-up's pull, whose balance difference it would shrink.
        IERC20(c.token).safeTransfer(attestation.recipient, reward);
    }

    /// @inheritdoc IGeoRewards
    function setCampaignPaused(uint256 campaignId, bool paused_) external onlyRole(CAMPAIGN_MANAGER_ROLE) {
        Campaign storage c = _existing(campaignId);
        if (c.paused == paused_) revert GeoRewardsPauseUnchanged(campaignId, paused_);
        c.paused = paused_;
        emit CampaignPauseSet(campaignId, paused_);
    }

    /// @inheritdoc IGeoRewards
    function pause() external onlyRole(PAUSER_ROLE) {
        _pause();
    }

    /// @inheritdoc IGeoRewards
    function unpause() external onlyRole(PAUSER_ROLE) {
        _unpause();
    }

    /// @inheritdoc IGeoRewards
    function withdrawRemainder(uint256 campaignId, address receiver)
        external
        onlyRole(CAMPAIGN_MANAGER_ROLE)
        nonReentrant
    {
        if (receiver == address(0)) revert GeoRewardsInvalidReceiver(receiver);
        Campaign storage c = _existing(campaignId);
        uint40 end = c.end;
        if (block.timestamp < end) revert GeoRewardsCampaignNotEnded(campaignId, end, block.timestamp);
        uint96 amount = c.budget;
        if (amount == 0) revert GeoRewardsNothingToWithdraw(campaignId);
        c.budget = 0;
        emit RemainderWithdrawn(campaignId, receiver, amount);
        IERC20(c.token).safeTransfer(receiver, amount);
    }

    /// @inheritdoc IGeoRewards
    function campaign(uint256 campaignId) external view returns (Campaign memory) {
        return _existing(campaignId);
    }

    /// @inheritdoc IGeoRewards
    function campaignCount() external view returns (uint256) {
        return _campaignCount;
    }

    /// @inheritdoc IGeoRewards
    function hasClaimed(uint256 campaignId, address recipient) external view returns (bool) {
        return _claimed[campaignId][recipient];
    }

    /// @inheritdoc IGeoRewards
    function isClaimIdUsed(bytes32 claimId) external view returns (bool) {
        return _claimIdBitmap[uint256(claimId) >> 8] & (1 << (uint256(claimId) & 0xff)) != 0;
    }

    /// @inheritdoc IGeoRewards
    function attestationDigest(ClaimAttestation calldata attestation) external view returns (bytes32) {
        return _attestationDigest(attestation);
    }

    /// @inheritdoc IGeoRewards
    function distanceMetres(int32 lat1E6, int32 lon1E6, int32 lat2E6, int32 lon2E6)
        external
        pure
        returns (uint256)
    {
        return GeoDistance.distanceMetres(lat1E6, lon1E6, lat2E6, lon2E6);
    }

    /*//////////////////////////////////////////////////////////////
                                INTERNAL
    //////////////////////////////////////////////////////////////*/

    function _checkParams(CampaignParams calldata p) private view {
        GeoDistance.checkPoint(p.latE6, p.lonE6);
        if (p.radiusMetres == 0 || p.radiusMetres > MAX_RADIUS_METRES) {
            revert GeoRewardsInvalidRadius(p.radiusMetres, MAX_RADIUS_METRES);
        }
        if (p.token == address(0)) revert GeoRewardsInvalidToken(p.token);
        if (p.rewardPerClaim == 0) revert GeoRewardsInvalidReward(p.rewardPerClaim);
        if ((p.mode == Mode.FirstCome) != (p.maxClaims != 0)) revert GeoRewardsInvalidMode(p.mode, p.maxClaims);
        if (p.start >= p.end || p.end <= block.timestamp) {
            revert GeoRewardsInvalidWindow(p.start, p.end, block.timestamp);
        }
    }

    /// @dev Pulls `amount` from the caller and credits what actually arrived, so a token that
    /// takes a fee on transfer can never leave the budget above the contract's balance.
    function _fund(uint256 campaignId, Campaign storage c, uint256 amount) private returns (uint256 received) {
        IERC20 token = IERC20(c.token);
        uint256 before = token.balanceOf(address(this));
        token.safeTransferFrom(msg.sender, address(this), amount);
        received = token.balanceOf(address(this)) - before;
        if (received == 0) revert GeoRewardsNothingReceived(campaignId);
        uint256 budget = c.budget;
        if (budget + received > type(uint96).max) revert GeoRewardsBudgetOverflow(campaignId, budget, received);
        c.budget = uint96(budget + received);
    }

    /// @dev Checks the campaign's state for this claim and records it: the recipient's claim,
    /// the count and the budget. Every check that fails reverts the whole claim.
    function _recordClaim(ClaimAttestation calldata a) private returns (Campaign storage c) {
        uint256 campaignId = a.campaignId;
        c = _campaigns[campaignId];
        // The slot every claim writes: budget, claims, cap, window, mode and pause, read once.
        uint96 budget = c.budget;
        uint32 claims = c.claims;
        uint40 end = c.end;
        if (end == 0) revert GeoRewardsUnknownCampaign(campaignId);
        if (c.paused) revert GeoRewardsCampaignPaused(campaignId);
        if (block.timestamp < c.start) revert GeoRewardsCampaignNotStarted(campaignId, c.start, block.timestamp);
        if (block.timestamp >= end) revert GeoRewardsCampaignEnded(campaignId, end, block.timestamp);
        if (a.actionId != c.actionId) revert GeoRewardsActionMismatch(campaignId, c.actionId, a.actionId);
        if (_claimed[campaignId][a.recipient]) revert GeoRewardsAlreadyClaimed(campaignId, a.recipient);
        if (c.mode == Mode.FirstCome && claims >= c.maxClaims) revert GeoRewardsCapReached(campaignId, c.maxClaims);
        uint96 reward = c.rewardPerClaim;
        if (budget < reward) revert GeoRewardsBudgetExhausted(campaignId, budget, reward);

        _claimed[campaignId][a.recipient] = true;
        // Cannot underflow: budget >= reward was checked just above.
        unchecked {
            c.budget = budget - reward;
        }
        c.claims = claims + 1;
    }

    /// @dev Marks `claimId` used in the bitmap, or reverts if it already was.
    function _useClaimId(bytes32 claimId) private {
        uint256 word = uint256(claimId) >> 8;
        uint256 bit = 1 << (uint256(claimId) & 0xff);
        uint256 bits = _claimIdBitmap[word];
        if (bits & bit != 0) revert GeoRewardsClaimIdUsed(claimId);
        _claimIdBitmap[word] = bits | bit;
    }

    function _existing(uint256 campaignId) private view returns (Campaign storage c) {
        c = _campaigns[campaignId];
        if (c.end == 0) revert GeoRewardsUnknownCampaign(campaignId);
    }

    function _attestationDigest(ClaimAttestation calldata a) private view returns (bytes32) {
        return _hashTypedDataV4(
            keccak256(
                abi.encode(
                    CLAIM_ATTESTATION_TYPEHASH,
                    a.campaignId,
                    a.recipient,
                    a.latE6,
                    a.lonE6,
                    a.actionId,
                    a.claimId,
                    a.deadline
                )
            )
        );
    }

    /// @dev ECDSA first, which needs no call; then ERC-1271, which fails for an account without code.
    function _isValidSignature(address signer, bytes32 digest, bytes calldata signature) private view returns (bool) {
        (address recovered, ECDSA.RecoverError err,) = ECDSA.tryRecoverCalldata(digest, signature);
        if (err == ECDSA.RecoverError.NoError && recovered == signer) return true;
        return SignatureChecker.isValidERC1271SignatureNowCalldata(signer, digest, signature);
    }
}
