// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title IGeoRewards
/// @notice Location mining: campaigns that pay a fixed reward to users who were at a place and
/// performed an action, as attested off chain by an oracle with an EIP-712 signature.
/// @dev Role checks revert with OpenZeppelin's `AccessControlUnauthorizedAccount(account, role)`,
/// the global pause with `EnforcedPause()`, and token transfers with `SafeERC20FailedOperation`.
/// Points outside the valid range revert with the {GeoDistance} library errors.
interface IGeoRewards {
    /// @notice Who may claim: every user who qualifies, or only the first `maxClaims` of them.
    enum Mode {
        Everyone,
        FirstCome
    }

    /// @notice The terms a campaign is created with.
    /// @param latE6 Latitude of the centre of the place, in micro-degrees.
    /// @param lonE6 Longitude of the centre of the place, in micro-degrees.
    /// @param radiusMetres Radius of the place, 1 to {MAX_RADIUS_METRES}.
    /// @param actionId The action the user performs there, as shown in the app.
    /// @param token The ERC-20 the reward is paid in.
    /// @param rewardPerClaim The reward of one claim, in the token's base units.
    /// @param mode Everyone, or FirstCome with a cap of `maxClaims` (which is 0 for Everyone).
    /// @param start First second claims are accepted (unix time).
    /// @param end First second claims are no longer accepted; the remainder is withdrawable from then.
    struct CampaignParams {
        int32 latE6;
        int32 lonE6;
        uint32 radiusMetres;
        bytes32 actionId;
        address token;
        uint96 rewardPerClaim;
        Mode mode;
        uint32 maxClaims;
        uint40 start;
        uint40 end;
    }

    /// @notice A campaign as stored: four slots, the first of which is the only one a claim writes.
    /// @param budget The funds left to pay rewards with, in the token's base units.
    /// @param claims The number of claims paid.
    struct Campaign {
        uint96 budget;
        uint32 claims;
        uint32 maxClaims;
        uint40 start;
        uint40 end;
        Mode mode;
        bool paused;
        address token;
        uint96 rewardPerClaim;
        int32 latE6;
        int32 lonE6;
        uint32 radiusMetres;
        bytes32 actionId;
    }

    /// @notice What the oracle signs (EIP-712 type `ClaimAttestation`, domain
    /// "CoinposGeoRewards" version "1").
    /// @param campaignId The campaign claimed.
    /// @param recipient The user the reward is paid to, whoever submits the claim.
    /// @param latE6 The attested latitude, in micro-degrees.
    /// @param lonE6 The attested longitude, in micro-degrees.
    /// @param actionId The action the oracle saw performed.
    /// @param claimId The oracle's unique id of this claim; each id is accepted once, ever.
    /// @param deadline Last second the attestation may be submitted (unix time).
    struct ClaimAttestation {
        uint256 campaignId;
        address recipient;
        int32 latE6;
        int32 lonE6;
        bytes32 actionId;
        bytes32 claimId;
        uint256 deadline;
    }

    /*//////////////////////////////////////////////////////////////
                                 ERRORS
    //////////////////////////////////////////////////////////////*/

    /// @notice The admin given at deployment is the zero address.
    error GeoRewardsInvalidAdmin(address admin);

    /// @notice The reward token of new campaign terms is the zero address.
    error GeoRewardsInvalidToken(address token);

    /// @notice The radius is 0 or above {MAX_RADIUS_METRES}.
    error GeoRewardsInvalidRadius(uint32 radiusMetres, uint32 maxRadiusMetres);

    /// @notice The reward per claim is 0.
    error GeoRewardsInvalidReward(uint96 rewardPerClaim);

    /// @notice The cap does not fit the mode: FirstCome needs a cap above 0, Everyone a cap of 0.
    error GeoRewardsInvalidMode(Mode mode, uint32 maxClaims);

    /// @notice The window is empty or already over at `timestamp`.
    error GeoRewardsInvalidWindow(uint40 start, uint40 end, uint256 timestamp);

    /// @notice No campaign has this id.
    error GeoRewardsUnknownCampaign(uint256 campaignId);

    /// @notice Funding would take the budget above the uint96 range.
    error GeoRewardsBudgetOverflow(uint256 campaignId, uint256 budget, uint256 amount);

    /// @notice A funding pull moved no tokens.
    error GeoRewardsNothingReceived(uint256 campaignId);

    /// @notice The campaign has ended at `end`, so it takes no top-up and no claim at `timestamp`.
    error GeoRewardsCampaignEnded(uint256 campaignId, uint40 end, uint256 timestamp);

    /// @notice The campaign starts at `start`, later than `timestamp`.
    error GeoRewardsCampaignNotStarted(uint256 campaignId, uint40 start, uint256 timestamp);

    /// @notice The remainder can be withdrawn only from `end` on; it is `timestamp`.
    error GeoRewardsCampaignNotEnded(uint256 campaignId, uint40 end, uint256 timestamp);

    /// @notice The campaign is paused.
    error GeoRewardsCampaignPaused(uint256 campaignId);

    /// @notice A pause or unpause that would not change the campaign's state.
    error GeoRewardsPauseUnchanged(uint256 campaignId, bool paused);

    /// @notice The campaign's budget is empty: nothing to withdraw.
    error GeoRewardsNothingToWithdraw(uint256 campaignId);

    /// @notice The withdrawal destination is the zero address.
    error GeoRewardsInvalidReceiver(address receiver);

    /// @notice The attestation's deadline passed before `timestamp`.
    error GeoRewardsAttestationExpired(uint256 deadline, uint256 timestamp);

    /// @notice `signer` does not hold the oracle role.
    error GeoRewardsUnauthorizedOracle(address signer);

    /// @notice The signature is not `signer`'s over `digest` (ECDSA for an EOA, ERC-1271 for a contract).
    error GeoRewardsInvalidSignature(address signer, bytes32 digest);

    /// @notice The attested action is not the campaign's.
    error GeoRewardsActionMismatch(uint256 campaignId, bytes32 expected, bytes32 attested);

    /// @notice The recipient has already claimed this campaign.
    error GeoRewardsAlreadyClaimed(uint256 campaignId, address recipient);

    /// @notice The claim id has been used by an earlier claim.
    error GeoRewardsClaimIdUsed(bytes32 claimId);

    /// @notice The first-come campaign has paid all `maxClaims` claims.
    error GeoRewardsCapReached(uint256 campaignId, uint32 maxClaims);

    /// @notice The budget left cannot pay one more reward.
    error GeoRewardsBudgetExhausted(uint256 campaignId, uint96 budget, uint96 rewardPerClaim);

    /// @notice The attested position is `distanceMetres` from the centre, beyond the radius.
    error GeoRewardsOutsideRadius(uint256 campaignId, uint256 distanceMetres, uint32 radiusMetres);

    /*//////////////////////////////////////////////////////////////
                                 EVENTS
    //////////////////////////////////////////////////////////////*/

    /// @notice Emitted when a manager creates campaign `campaignId` with its full terms and
    /// `budget` pulled from `funder`.
    event CampaignCreated(
        uint256 indexed campaignId, address indexed funder, CampaignParams params, uint256 budget
    );

    /// @notice Emitted when `funder` adds `amount` to the budget, which becomes `budget`.
    event CampaignToppedUp(uint256 indexed campaignId, address indexed funder, uint256 amount, uint256 budget);

    /// @notice Emitted when a manager pauses (`paused` true) or resumes a campaign.
    event CampaignPauseSet(uint256 indexed campaignId, bool paused);

    /// @notice Emitted when `recipient` is paid `amount` for the claim `claimId`, submitted by `submitter`.
    event Claimed(
        uint256 indexed campaignId,
        address indexed recipient,
        bytes32 indexed claimId,
        uint256 amount,
        address submitter
    );

    /// @notice Emitted when a manager withdraws the remaining `amount` of an ended campaign to `receiver`.
    event RemainderWithdrawn(uint256 indexed campaignId, address indexed receiver, uint256 amount);

    /*//////////////////////////////////////////////////////////////
                                FUNCTIONS
    //////////////////////////////////////////////////////////////*/

    /// @notice The role allowed to create, pause and close campaigns.
    function CAMPAIGN_MANAGER_ROLE() external view returns (bytes32);

    /// @notice The role whose attestations are accepted.
    function ORACLE_ROLE() external view returns (bytes32);

    /// @notice The role allowed to pause and unpause every claim at once.
    function PAUSER_ROLE() external view returns (bytes32);

    /// @notice The largest campaign radius: the range the distance bound is guaranteed for.
    function MAX_RADIUS_METRES() external view returns (uint32);

    /// @notice The EIP-712 type hash of {ClaimAttestation}.
    function CLAIM_ATTESTATION_TYPEHASH() external view returns (bytes32);

    /// @notice Creates a campaign and pulls its initial `budget` from the caller with `transferFrom`.
    /// @dev Requirements: the caller has CAMPAIGN_MANAGER_ROLE and the contract is not paused; a
    /// valid centre, a radius of 1 to {MAX_RADIUS_METRES}, a token, a reward above 0, a cap that
    /// fits the mode, and `start < end` with `end` in the future. The budget credited is what the
    /// contract actually received. Emits {CampaignCreated}.
    /// @return campaignId The new campaign's id; ids count up from 1.
    function createCampaign(CampaignParams calldata params, uint256 budget) external returns (uint256 campaignId);

    /// @notice Adds `amount` to a campaign's budget, pulled from the caller with `transferFrom`.
    /// @dev Requirements: the campaign exists and has not ended; the contract is not paused;
    /// tokens are received. Anyone may top up. Emits {CampaignToppedUp}.
    function topUp(uint256 campaignId, uint256 amount) external;

    /// @notice Pays the reward of `campaignId` to the attestation's recipient.
    /// @dev Anyone may submit. Requirements, in the order checked: the contract is not paused;
    /// the deadline has not passed; `signer` has ORACLE_ROLE and `signature` is its valid
    /// signature of the attestation (ECDSA, or ERC-1271 when `signer` is a contract); the
    /// campaign exists, is not paused, and is within its window; the action matches; the
    /// recipient has not claimed this campaign; a first-come cap is not reached; the budget
    /// covers the reward; the claim id is unused; the attested position is within the radius.
    /// Emits {Claimed}.
    function claim(ClaimAttestation calldata attestation, address signer, bytes calldata signature) external;

    /// @notice Pauses or resumes the claims of one campaign.
    /// @dev Requirements: the caller has CAMPAIGN_MANAGER_ROLE; the state changes. Emits {CampaignPauseSet}.
    function setCampaignPaused(uint256 campaignId, bool paused) external;

    /// @notice Pauses every claim, creation and top-up.
    /// @dev Requirements: the caller has PAUSER_ROLE. Emits {Paused}.
    function pause() external;

    /// @notice Lifts the global pause.
    /// @dev Requirements: the caller has PAUSER_ROLE. Emits {Unpaused}.
    function unpause() external;

    /// @notice Sends what is left of an ended campaign's budget to `receiver`.
    /// @dev Requirements: the caller has CAMPAIGN_MANAGER_ROLE; the campaign has ended and has
    /// budget left; `receiver` is not the zero address. Emits {RemainderWithdrawn}.
    function withdrawRemainder(uint256 campaignId, address receiver) external;

    /// @notice A campaign's stored terms and state.
    /// @dev Reverts with {GeoRewardsUnknownCampaign} for an id never created.
    function campaign(uint256 campaignId) external view returns (Campaign memory);

    /// @notice The number of campaigns created; the last id.
    function campaignCount() external view returns (uint256);

    /// @notice Whether `recipient` has claimed `campaignId`.
    function hasClaimed(uint256 campaignId, address recipient) external view returns (bool);

    /// @notice Whether `claimId` has been used.
    function isClaimIdUsed(bytes32 claimId) external view returns (bool);

    /// @notice The EIP-712 digest the oracle signs for `attestation`.
    function attestationDigest(ClaimAttestation calldata attestation) external view returns (bytes32);

    /// @notice The distance in metres between two points in micro-degrees, as claims measure it.
    /// @dev See {GeoDistance} for the method and its error bound.
    function distanceMetres(int32 lat1E6, int32 lon1E6, int32 lat2E6, int32 lon2E6) external pure returns (uint256);
}
