"""Store webhooks: endpoints, events, signed deliveries through the database outbox."""
