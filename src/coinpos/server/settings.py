"""What the server is started with; `coinpos serve` builds it from options and environment."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Mapping

    from coinpos.chainops.sender import TransactionSender
    from coinpos.invoices.service import Issuer

# Environment variables that carry `coinpos serve`'s options into each uvicorn worker.
ENV_DATABASE = "COINPOS_DATABASE_URL"
ENV_NETWORK = "COINPOS_SERVER_NETWORK"
ENV_OPERATOR = "COINPOS_SERVER_OPERATOR"
ENV_RPC = "COINPOS_RPC_URL"
ENV_ALLOW_PRIVATE_WEBHOOKS = "COINPOS_SERVER_ALLOW_PRIVATE_WEBHOOKS"
# The key of the checkout pages' links (`/i/{token}`); see coinpos.pages.capability.
ENV_CHECKOUT_SECRET = "COINPOS_CHECKOUT_SECRET"


@dataclass(frozen=True)
class ServerSettings:
    # None: $COINPOS_DATABASE_URL, else the embedded SQLite file (as every command).
    database_url: str | None = None
    # ape's ecosystem:network whose deployment artifact names the escrow; None serves no
    # route that needs the chain (invoice creation answers 503).
    network: str | None = None
    operator_alias: str | None = None
    # The signer of invoices, when already loaded (tests build it from their own deployment);
    # else it is loaded from `network` and the operator key at start.
    issuer: Issuer | None = None
    # The operator's transaction sender (settlements, refunds), when already built (tests);
    # else built from `network` and `rpc_url` at start.
    sender: TransactionSender | None = None
    # RPC endpoint for /readyz and on-chain reads; None takes ape's provider for `network`.
    rpc_url: str | None = None
    session_lifetime: timedelta = timedelta(hours=12)
    # Failed logins counted over `login_window`: past either limit, logins answer 429.
    login_window: timedelta = timedelta(minutes=15)
    login_failures_per_login: int = 5
    login_failures_per_client: int = 20
    idempotency_retention: timedelta = timedelta(hours=24)
    # Blocks the tracker may be behind the chain head before /readyz fails.
    tracker_lag_limit: int = 50
    # Webhook endpoints on loopback or private addresses are refused unless allowed.
    allow_private_webhooks: bool = False
    # The MAC key of checkout links; None makes a random one for this process (links then
    # open on this process only, until it stops).
    checkout_secret: bytes | None = None

    @classmethod
    def from_environment(cls, environment: Mapping[str, str] = os.environ) -> ServerSettings:
        return cls(
            database_url=environment.get(ENV_DATABASE) or None,
            network=environment.get(ENV_NETWORK) or None,
            operator_alias=environment.get(ENV_OPERATOR) or None,
            rpc_url=environment.get(ENV_RPC) or None,
            allow_private_webhooks=environment.get(ENV_ALLOW_PRIVATE_WEBHOOKS) == "1",
            checkout_secret=environment.get(ENV_CHECKOUT_SECRET, "").encode() or None,
        )
