"""The databases a benchmark runs on: a temporary SQLite file, or a private PostgreSQL
schema (TURNOVER_BENCH_POSTGRES_URL) dropped afterwards."""

import os
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import create_engine, text

from storage.database import create_tables, normalize_url, use_database

POSTGRES_ENV = "TURNOVER_BENCH_POSTGRES_URL"
DEFAULT_POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/test"
BACKENDS = ("sqlite", "postgresql")


def postgres_base_url() -> str:
    return normalize_url(os.environ.get(POSTGRES_ENV) or DEFAULT_POSTGRES_URL)


@contextmanager
def database_url(backend: str) -> Iterator[str]:
    """A URL to a new, empty database of `backend` (tables not created yet)."""
    if backend == "sqlite":
        with tempfile.TemporaryDirectory(prefix="turnover-bench-") as folder:
            yield f"sqlite:///{folder}/bench.db"
        return
    base = postgres_base_url()
    schema = f"bench_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
        try:
            yield f"{base}?options=-csearch_path%3D{schema}"
        finally:
            with admin.connect() as connection:
                connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    finally:
        admin.dispose()


@contextmanager
def bench_database(backend: str) -> Iterator[str]:
    """Point this process at a new database of `backend` with the schema created; yields
    its URL (for a server process to use the same database)."""
    with database_url(backend) as url:
        engine = use_database(url)
        create_tables(engine)
        try:
            yield url
        finally:
            engine.dispose()
