"""Fixtures of the reliability tests: an empty database (no tables) on each backend."""

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import text

from storage.database import use_database
from tests.conftest import BACKENDS, _postgres_schema_url, _sqlite_url


@pytest.fixture(params=BACKENDS)
def empty_database(request: pytest.FixtureRequest, tmp_path: Any) -> Iterator[str]:
    """Point the process at a database with no tables at all; yield its URL."""
    schema = None
    if request.param == "sqlite":
        url = _sqlite_url(tmp_path)
    else:
        admin = request.getfixturevalue("postgres_admin")
        schema = f"t_{uuid.uuid4().hex[:12]}"
        url = _postgres_schema_url(admin, schema)
    engine = use_database(url)
    yield url
    engine.dispose()
    if schema:
        with admin.connect() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
