"""Every model, one module per area, re-exported here so Base.metadata knows all tables."""
