"""The daily reconciliation: the ledger's totals against the escrow's pools, per token."""
