"""A store's catalogue: items with e-money prices and stock."""
