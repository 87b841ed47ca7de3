from __future__ import annotations

import pytest

from coinpos.tracker.errors import RpcError


@pytest.mark.parametrize(
    "message",
    [
        "missing trie node 0f3c… (path ) state 0xab… is not available",  # geth
        "BlockOutOfRangeError: block height is 1235 but requested was 293",  # anvil
        "historical state not available in path scheme yet",  # geth, path scheme
    ],
)
def test_node_without_old_state__its_error_says_state_unavailable(message: str) -> None:
    assert RpcError("eth_call", {"code": -32000, "message": message}).state_unavailable


@pytest.mark.parametrize("message", ["execution reverted", "out of gas", "invalid opcode"])
def test_a_call_that_reverts__is_not_mistaken_for_missing_state(message: str) -> None:
    assert not RpcError("eth_call", {"code": 3, "message": message}).state_unavailable
