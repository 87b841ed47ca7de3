"""Location-mining claims: the oracle checks a JSON fix and signs it, anyone submits it.

    ape run claim check-claim --network ethereum:sepolia:node fix.json --out signed.json
    ape run claim submit-claim --network ethereum:sepolia:node signed.json --account relayer
    ape run claim rewards --network ethereum:sepolia:node 0xUSER

The same commands as `coinpos mining`; see `ape run claim --help`.
"""

from __future__ import annotations

from coinpos.cli_support import CoinposGroup
from coinpos.mining.cli import check_claim, rewards, submit_claim

cli = CoinposGroup("claim", commands=[check_claim, submit_claim, rewards], help=__doc__)
