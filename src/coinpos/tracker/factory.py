"""Building a tracker for a node URL: the chain reader, and the escrow's errors for decoding."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from coinpos.tracker.chain import ChainReader
from coinpos.tracker.config import TrackerConfig
from coinpos.tracker.revert import ErrorDecoder
from coinpos.tracker.rpc import JsonRpcClient
from coinpos.tracker.service import Tracker

# ape writes the compiled contract types here (`ape compile`).
BUILD_MANIFEST = Path(".build") / "__local__.json"


def escrow_abis(manifest: Path = BUILD_MANIFEST) -> list[list[dict[str, Any]]]:
    """The escrow's ABI (its custom errors and OpenZeppelin's), if the project is compiled."""
    if not manifest.exists():
        return []
    types = json.loads(manifest.read_text()).get("contractTypes", {})
    return [types[name]["abi"] for name in ("PaymentEscrow",) if name in types]


def open_tracker(engine: Engine, rpc_url: str, config: TrackerConfig) -> Tracker:
    chain = ChainReader(JsonRpcClient(rpc_url), batch_size=config.rpc_batch_size)
    return Tracker(engine, chain, config, ErrorDecoder(escrow_abis()))
