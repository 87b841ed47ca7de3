"""The exchange's own transactions: operator key, escrow, and a logged, idempotent sender."""
