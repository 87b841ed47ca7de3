"""GeoRewards gas: campaign creation, top-up, and the first claim of a new recipient.

Claims are measured three ways: the recipient already holds the reward token or not, and the
claim id lands in a fresh bitmap word (the oracle's first id of a block of 256) or a used one
(consecutive ids, the common case). The floor is a plain ERC-20 transfer in the same run, to a
receiver that already holds the token and to one that holds nothing.
"""

from __future__ import annotations

from typing import Any

from eth_utils import keccak

from bench.common import BenchContext, Measurement
from bench.erc20 import plain_transfer_gas
from coinpos.mining.signing import ClaimAttestation, LocalKeySigner, sign_attestation

TARGET_MARGIN = 45_000
CENTRE = (37_566_535, 126_977_969)
ACTION = keccak(text="bench-action")
REWARD = 500


def _claim_gas(ctx: BenchContext, geo: Any, campaign_id: int, recipient: Any, claim_id: int) -> int:
    oracle = ctx.account(3)
    attestation = ClaimAttestation(
        campaign_id=campaign_id,
        recipient=recipient.address,
        lat_e6=CENTRE[0] + 300,
        lon_e6=CENTRE[1] - 200,
        action_id=ACTION,
        claim_id=claim_id.to_bytes(32, "big"),
        deadline=ctx.chain.pending_timestamp + 3600,
    )
    signature = sign_attestation(
        LocalKeySigner(oracle.private_key), attestation, ctx.chain.chain_id, geo.address
    )
    tx = geo.claim(attestation.as_tuple(), oracle.address, signature, sender=recipient)
    return int(tx.gas_used)


def run(ctx: BenchContext) -> list[Measurement]:
    admin, manager, oracle = ctx.admin, ctx.account(8), ctx.account(3)
    holder, holder_two, newcomer = ctx.account(9), ctx.account(10), ctx.account(11)
    floor = plain_transfer_gas(ctx)

    coin = admin.deploy(ctx.project.EMoney, "Bench Coin", "BNC", 2, admin)
    coin.grantRole(coin.MINTER_ROLE(), admin, sender=admin)
    coin.mint(manager, 10**12, b"\x00" * 32, sender=admin)
    for account in (holder, holder_two):
        coin.mint(account, 1, b"\x00" * 32, sender=admin)
    geo = admin.deploy(ctx.project.GeoRewards, admin)
    geo.grantRole(geo.CAMPAIGN_MANAGER_ROLE(), manager, sender=admin)
    geo.grantRole(geo.ORACLE_ROLE(), oracle, sender=admin)
    coin.approve(geo, 2**256 - 1, sender=manager)

    now = ctx.chain.pending_timestamp
    params = (*CENTRE, 150, ACTION, coin.address, REWARD, 0, 0, now - 60, now + 86_400)
    create = geo.createCampaign(params, 1_000 * REWARD, sender=manager)
    campaign_id = int(create.return_value)
    top_up = geo.topUp(campaign_id, 100 * REWARD, sender=manager)

    fresh_word = _claim_gas(ctx, geo, campaign_id, holder, 1 << 8)
    used_word = _claim_gas(ctx, geo, campaign_id, holder_two, (1 << 8) + 1)
    no_balance = _claim_gas(ctx, geo, campaign_id, newcomer, (1 << 8) + 2)
    to_new_holder = int(coin.transfer(ctx.account(7), REWARD, sender=manager).gas_used)

    target = f"≤ {floor + TARGET_MARGIN:,} (transfer + {TARGET_MARGIN:,})"

    def verdict(gas: int) -> str:
        return f"{gas - floor:+,} vs transfer"

    return [
        Measurement.gas(
            "geo", "claim: new recipient holding the token, claim id in a used bitmap word",
            used_word, verdict(used_word), target,
        ),
        Measurement.gas(
            "geo", "claim: new recipient holding the token, claim id opens a bitmap word",
            fresh_word, verdict(fresh_word), target,
        ),
        Measurement.gas(
            "geo", "claim: new recipient with no token balance, used bitmap word",
            no_balance, f"{no_balance - to_new_holder:+,} vs transfer to a new holder",
            f"≤ {to_new_holder + TARGET_MARGIN:,} (that transfer + {TARGET_MARGIN:,})",
        ),
        Measurement.gas("geo", "createCampaign (with initial budget pull)", int(create.gas_used)),
        Measurement.gas("geo", "topUp", int(top_up.gas_used)),
        Measurement.gas("geo", "ERC-20 transfer (same run, receiver already holds)", floor),
        Measurement.gas("geo", "ERC-20 transfer (same run, receiver holds nothing)", to_new_holder),
    ]  # fmt: skip
