"""Alembic migrations of the whole schema; `storage.schema_upgrade` runs them."""
