"""How deep an entry must be before it is valid, per network, and the tracker's knobs.

Defaults (chain id → rule):
- 31337 and 1337, local chains (anvil's default, and the chain id ape's local network and
  the README's self-run anvil use): 2 blocks. Blocks are instant and reorgs only happen when
  a test asks.
- 11155111 sepolia: 3 blocks. A testnet; short reorgs happen, money is not real.
- 1 mainnet: 12 blocks, about 2.5 minutes, as exchanges have long used. Operators wanting
  no reorg risk at all choose the `finalized` tag (about 13 minutes).
Any other chain gets 12 blocks. `coinpos track --confirmations N|safe|finalized` overrides
the rule for every chain. A rule is either a depth or a block tag (`safe`,
`finalized`): an entry in block n is confirmable when head - n + 1 >= depth, or when n is at
or below the tag's block.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from coinpos.ledger import DEFAULT_PENDING_DEADLINE
from coinpos.tracker.errors import TrackerError
from coinpos.validation import ascii_digits

BLOCK_TAGS = ("safe", "finalized")


@dataclass(frozen=True)
class ConfirmationRule:
    depth: int | None = None
    tag: str | None = None

    def __post_init__(self) -> None:
        if (self.depth is None) == (self.tag is None):
            raise TrackerError("a confirmation rule is a depth or a block tag, not both")
        if self.depth is not None and self.depth < 1:
            raise TrackerError(f"confirmation depth {self.depth} must be at least 1")
        if self.tag is not None and self.tag not in BLOCK_TAGS:
            raise TrackerError(f"block tag {self.tag!r} is not one of {', '.join(BLOCK_TAGS)}")

    @classmethod
    def parse(cls, text: str) -> ConfirmationRule:
        """`12` (a depth) or `finalized` / `safe` (a tag)."""
        if ascii_digits(text):
            return cls(depth=int(text))
        return cls(tag=text)

    def __str__(self) -> str:
        return f"{self.depth} blocks" if self.depth is not None else f"the {self.tag} block"


LOCAL_CHAIN_IDS = (31337, 1337)
DEFAULT_RULES: dict[int, ConfirmationRule] = {
    **{chain_id: ConfirmationRule(depth=2) for chain_id in LOCAL_CHAIN_IDS},
    11155111: ConfirmationRule(depth=3),
    1: ConfirmationRule(depth=12),
}
FALLBACK_RULE = ConfirmationRule(depth=12)


def default_rule(chain_id: int) -> ConfirmationRule:
    return DEFAULT_RULES.get(chain_id, FALLBACK_RULE)


@dataclass(frozen=True)
class TrackerConfig:
    # Address of the PaymentEscrow whose events are read; None reads deposits only.
    escrow: str | None = None
    rule: ConfirmationRule | None = None
    # Blocks per eth_getLogs call; halved while the node says the answer is too large.
    batch_blocks: int = 2_000
    # Deposit addresses per topic OR-list in one eth_getLogs call.
    addresses_per_query: int = 1_000
    # Calls per JSON-RPC batch (blocks, receipts, balances); providers cap batches.
    rpc_batch_size: int = 100
    # Read ETH transfers to every watched deposit address, ERC-20 invoices' too (ETH sent
    # there is recorded so a sweep can attest it back to its sender). This reads every block
    # of a range in full while any invoice is open; False reads blocks only while an ETH
    # invoice is open (ETH at an ERC-20 invoice's address is then seen only by staff).
    eth_at_every_address: bool = True
    # Blocks rescanned below a reorg's fork point, in case the stored hashes were sparse; also
    # how far past its old block the rescan goes before a detached payment not seen again is
    # dropped.
    rescan_margin: int = 2
    # First block scanned when the cursor is new (the escrow's deployment block, say).
    start_block: int = 0
    # How long a deposit address is watched after its invoice's payment deadline, so a late
    # payment is still seen and flagged rather than lost (BTCPay's monitoring window).
    monitoring_window: timedelta = timedelta(days=1)
    pending_deadline: timedelta = DEFAULT_PENDING_DEADLINE
    # How many recent stored block hashes are compared with the chain on each run.
    reorg_window: int = 256
    cursor_name: str = "main"

    def rule_for(self, chain_id: int) -> ConfirmationRule:
        return self.rule or default_rule(chain_id)
