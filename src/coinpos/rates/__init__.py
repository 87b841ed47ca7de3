"""Exchange rates: staff entry, CSV import and Chainlink-style feeds; the latest fresh rate."""
