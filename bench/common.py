"""What a benchmark module returns, and the context it runs in."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Measurement:
    """One measured figure, beside the reference and the target it is compared with."""

    group: str
    operation: str
    measured: str
    reference: str = ""
    target: str = ""

    @classmethod
    def gas(
        cls, group: str, operation: str, gas: int, reference: str = "", target: str = ""
    ) -> Measurement:
        return cls(group, operation, f"{gas:,}", reference, target)


@dataclass(frozen=True)
class BenchContext:
    """The connected ape project and named accounts, shared by every benchmark module."""

    project: Any
    chain: Any
    accounts: Any

    @property
    def admin(self) -> Any:
        return self.accounts[0]

    def account(self, index: int) -> Any:
        return self.accounts[index]
