"""What every chapter of the story needs: the chain, the deployment, the cast, the database."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal
from typing import Any

from sqlalchemy import Engine

from coinpos.deployments import Deployment


@dataclass(frozen=True)
class Cast:
    """Who plays which part; on a local chain, ape's test accounts."""

    admin: Any
    operator: Any
    minter: Any
    oracle: Any
    treasury: Any
    customer: Any
    walkers: tuple[Any, Any]
    teleporter: Any

    @classmethod
    def from_test_accounts(cls, test: Any) -> Cast:
        return cls(
            admin=test[0], operator=test[1], minter=test[2], oracle=test[3], treasury=test[4],
            customer=test[5], walkers=(test[8], test[9]), teleporter=test[10],
        )  # fmt: skip


@dataclass(frozen=True)
class DemoContext:
    project: Any
    chain: Any
    deployment: Deployment
    cast: Cast
    engine: Engine
    say: Callable[[str], None]

    def contract(self, name: str, contract_type: str | None = None) -> Any:
        return getattr(self.project, contract_type or name).at(self.deployment.address(name))


def units(amount: int, decimals: int, places: int | None = None) -> str:
    """Base units as a decimal string, truncated (never rounded up) to `places` for display."""
    value = Decimal(amount).scaleb(-decimals)
    shown = min(decimals, places) if places is not None else decimals
    return f"{value.quantize(Decimal(1).scaleb(-shown), rounding=ROUND_DOWN):,}"


@contextmanager
def quiet_stdout() -> Iterator[None]:
    """Silences file descriptor 1 for a block.

    A transaction the chain refuses makes ape print its whole call trace to the stdout it
    captured at import time, past any `redirect_stdout`; the story tells it in one line.
    """
    sys.stdout.flush()
    saved = os.dup(1)
    with open(os.devnull, "w") as devnull:
        os.dup2(devnull.fileno(), 1)
        try:
            yield
        finally:
            sys.stdout.flush()
            os.dup2(saved, 1)
            os.close(saved)
