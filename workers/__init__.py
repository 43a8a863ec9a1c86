"""Background workers: outbox consumers (the realtime relay and its publishers)."""
