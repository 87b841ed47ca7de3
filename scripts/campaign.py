"""Location-mining campaigns: create and fund one, top it up, list them with their budgets.

    ape run campaign create-campaign --network ethereum:sepolia:node --account manager ...
    ape run campaign campaigns --network ethereum:sepolia:node

The same commands as `coinpos mining`; see `ape run campaign --help`.
"""

from __future__ import annotations

from coinpos.cli_support import CoinposGroup
from coinpos.mining.cli import (
    campaigns,
    create_campaign,
    register_campaign,
    top_up,
)

cli = CoinposGroup(
    "campaign",
    commands=[create_campaign, top_up, register_campaign, campaigns],
    help=__doc__,
)
