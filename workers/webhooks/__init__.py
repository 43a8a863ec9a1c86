"""Signed webhooks (Standard Webhooks 1.0): another consumer of the outbox."""
