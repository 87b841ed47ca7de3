"""E-money issuance: the exchange mints its coin against a recorded fiat payment."""
