"""Idempotency keys of observations, derived from their place on the chain."""

from __future__ import annotations

BALANCE_PREFIX = "balance:"


def log_key(chain_id: int, tx_hash: str, log_index: int) -> str:
    return f"log:{chain_id}:{tx_hash}:{log_index}"


def balance_key(chain_id: int, start: int, block_hash: str, invoice_id: int) -> str:
    """An ETH balance rise over the range [start, the block with this hash]."""
    return f"{BALANCE_PREFIX}{chain_id}:{start}:{block_hash}:{invoice_id}"
