"""API keys of POS terminals: issued by staff, shown once, stored hashed, revocable."""
