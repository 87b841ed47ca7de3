"""Store reports: sales with their fiat value then and now, and request counts."""
