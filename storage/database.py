"""The engine: SQLite file by default, PostgreSQL (psycopg 3) in production."""

from sqlalchemy import Engine, event
from sqlmodel import create_engine

import storage.models  # noqa: F401  (registers the tables on SQLModel.metadata)
from config.settings import get_settings
from storage.schema_upgrade import upgrade_to_head

_engine: Engine | None = None


def normalize_url(url: str) -> str:
    """Accept plain `postgresql://` URLs and use psycopg 3 for them."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


def create_database_engine(url: str) -> Engine:
    url = normalize_url(url)
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False})
        _configure_sqlite(engine)
    else:
        engine = create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)
    _never_pool_an_open_transaction(engine)
    return engine


def _never_pool_an_open_transaction(engine: Engine) -> None:
    @event.listens_for(engine, "reset")
    def on_reset(dbapi_connection, _record, reset_state) -> None:  # type: ignore[no-untyped-def]
        # After a failed COMMIT SQLAlchemy takes the transaction as ended and skips its
        # rollback. But a commit can fail before reaching the database, and SQLite keeps
        # the transaction open when COMMIT fails with SQLITE_BUSY: pooled like that, the
        # connection would refuse the next BEGIN or commit the failed writes later.
        if reset_state.transaction_was_reset and not reset_state.terminate_only:
            dbapi_connection.rollback()


def _configure_sqlite(engine: Engine) -> None:
    busy_timeout_ms = get_settings().sqlite_busy_timeout_ms

    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
        # Let SQLAlchemy, not pysqlite, decide when transactions begin (needed for
        # SAVEPOINT and for BEGIN IMMEDIATE below).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def on_begin(connection) -> None:  # type: ignore[no-untyped-def]
        # Writers take the write lock up front: a read-then-write transaction can then
        # never fail with SQLITE_BUSY half-way, it waits its turn instead.
        mode = connection.get_execution_options().get("sqlite_begin", "DEFERRED")
        connection.exec_driver_sql(f"BEGIN {mode}")


def get_engine() -> Engine:
    global _engine
    if _engine is None:
        _engine = create_database_engine(get_settings().database_url)
    return _engine


def use_database(url: str) -> Engine:
    """Point the whole process at another database (CLI option, tests)."""
    global _engine
    if _engine is not None:
        _engine.dispose()
    _engine = create_database_engine(url)
    return _engine


def create_tables(engine: Engine | None = None) -> None:
    """Create the schema or upgrade it to the latest migration (`turnover init-db`)."""
    upgrade_to_head(engine or get_engine())


def prepare_database() -> None:
    """At app or CLI start-up: upgrade the schema unless TURNOVER_AUTO_MIGRATE is off."""
    if get_settings().auto_migrate:
        create_tables()
