"""What every chapter of the story needs: the chain, the deployment, the cast, the database."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
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


# The story's chapters, numbered as README.md's "The demo" tells them.
CHAPTERS = (
    "contracts deployed, the exchange's roles granted",
    "a customer, a multi-coin wallet and e-money",
    "a store, its terminals, the exchange server and an invoice over HTTP",
    "a plain transfer, approved live over server-sent events and a webhook",
    "a payment from the wallet through the escrow",
    "failures the exchange survives",
    "the sales report and a settlement requested through the API",
    "location mining",
    "the chain and the database agree",
)


def _untold(_: Any) -> None:
    """Where nobody reads the story (the tests), nothing is printed."""


@dataclass(frozen=True)
class DemoContext:
    project: Any
    chain: Any
    deployment: Deployment
    cast: Cast
    engine: Engine
    # Prints a line or a rich renderable (a table).
    say: Callable[[Any], None]
    # Opens a chapter by its number in CHAPTERS.
    chapter: Callable[[int], None] = _untold

    def contract(self, name: str, contract_type: str | None = None) -> Any:
        return getattr(self.project, contract_type or name).at(self.deployment.address(name))


def chapter_title(number: int) -> str:
    """`4. a plain transfer to ...`: the chapter's number and title."""
    return f"{number}. {CHAPTERS[number - 1]}"


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
