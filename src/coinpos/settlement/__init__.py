"""Settlement of a store's captured coins into fiat, and the payouts it owes."""
