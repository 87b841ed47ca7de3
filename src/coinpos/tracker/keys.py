"""Idempotency keys of observations, derived from their place on the chain.

Both kinds survive a reorg: a transaction keeps its hash in whichever block it lands.
"""

from __future__ import annotations

# The log index that stands for "the transaction's own value": a plain ETH transfer has no
# log, and a transaction has one value, so (tx hash, this) is as unique as a log's place.
ETH_VALUE_INDEX = -1


def log_key(chain_id: int, tx_hash: str, log_index: int) -> str:
    return f"log:{chain_id}:{tx_hash}:{log_index}"


def value_key(chain_id: int, tx_hash: str) -> str:
    """A plain ETH transfer: the value the transaction itself carried."""
    return log_key(chain_id, tx_hash, ETH_VALUE_INDEX)
