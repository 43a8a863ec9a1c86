"""Alembic's entry point. Runs on the connection `storage.schema_upgrade` hands over, or on
the project's engine (TURNOVER_DATABASE_URL) when started from the `alembic` command."""

from typing import Any

from alembic import context
from sqlalchemy import Connection
from sqlmodel import SQLModel
from sqlmodel.sql.sqltypes import AutoString, UTCDateTime

import storage.models  # noqa: F401  (registers the tables on SQLModel.metadata)

target_metadata = SQLModel.metadata


def render_item(kind: str, obj: Any, _context: Any) -> str | bool:
    """Write SQLModel's column types as the plain SQLAlchemy types they stand for, so the
    migration scripts do not depend on SQLModel internals."""
    if kind == "type" and isinstance(obj, AutoString):
        return f"sa.String(length={obj.impl.length!r})"
    if kind == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def run_migrations(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        # SQLite cannot ALTER most things: Alembic rebuilds the table instead.
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        render_item=render_item,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_offline() -> None:
    """`alembic upgrade head --sql`: print the SQL for a DBA instead of running it."""
    from config.settings import get_settings
    from storage.database import normalize_url

    context.configure(
        url=normalize_url(get_settings().database_url),
        target_metadata=target_metadata,
        literal_binds=True,
        dialect_opts={"paramstyle": "named"},
    )
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    connection = context.config.attributes.get("connection")
    if connection is not None:
        run_migrations(connection)
        return
    from storage.database import get_engine

    with get_engine().connect() as connection:
        run_migrations(connection)


if context.is_offline_mode():
    run_offline()
else:
    run_online()
