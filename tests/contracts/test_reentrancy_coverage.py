"""Every state-changing entry point of the wallet, the factory and GeoRewards has a re-entry case.

The entry points are read from the compiled ABIs (functions that are not view or pure, and
receive/fallback), so a new one without an attack case in the reentrancy tests fails here.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.contracts.geo.test_reentrancy import GEO_ATTACKS
from tests.contracts.wallet.test_reentrancy import (
    FACTORY_ENTRY_POINTS_CHECKED_BY_TRACE,
    WALLET_ATTACKS,
)

ATTACK_CASES: dict[str, set[str]] = {
    "MultiCoinWallet": set(WALLET_ATTACKS),
    "WalletFactory": set(FACTORY_ENTRY_POINTS_CHECKED_BY_TRACE),
    "GeoRewards": set(GEO_ATTACKS),
}


def state_changing(abi: list[dict[str, Any]]) -> set[str]:
    """The names of an ABI's state-changing entry points (`receive`/`fallback` by type)."""
    found = set()
    for entry in abi:
        if entry["type"] in ("receive", "fallback"):
            found.add(entry["type"])
        elif entry["type"] == "function" and entry["stateMutability"] in ("nonpayable", "payable"):
            found.add(entry["name"])
    return found


def abi_of(project: Any, name: str) -> list[dict[str, Any]]:
    abi: list[dict[str, Any]] = getattr(project, name).contract_type.model_dump(mode="json")["abi"]
    return abi


@pytest.mark.parametrize("contract", sorted(ATTACK_CASES))
def test_every_state_changing_entry_point__has_a_reentry_case(project: Any, contract: str) -> None:
    entry_points = state_changing(abi_of(project, contract))
    assert entry_points, contract
    assert entry_points - ATTACK_CASES[contract] == set(), "entry points without an attack case"
    assert ATTACK_CASES[contract] - entry_points == set(), "attack cases for no entry point"


def test_state_changing__finds_a_new_entry_point_and_skips_views(project: Any) -> None:
    """Positive control: an entry point added to the wallet's ABI is caught; views are not."""
    abi = abi_of(project, "MultiCoinWallet")
    added = {"type": "function", "name": "sweepAll", "stateMutability": "nonpayable"}
    assert state_changing([*abi, added]) - ATTACK_CASES["MultiCoinWallet"] == {"sweepAll"}
    views = {"holdings", "isValidSignature", "owner", "renounceOwnership", "eip712Domain"}
    assert not views & state_changing(abi)
