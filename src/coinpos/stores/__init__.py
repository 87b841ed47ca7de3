"""Stores, their POS terminals, and the coins they are paid in."""
