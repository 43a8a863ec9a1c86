"""The schema comes from Alembic migrations: they match the models, upgrade a database made
before migrations existed without losing a row, and can run from several processes at once."""

import threading

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text
from sqlmodel import SQLModel

from config.settings import get_settings
from storage.database import create_database_engine, create_tables, get_engine, prepare_database
from storage.models import Booking
from storage.schema_upgrade import BASELINE_REVISION, UnknownSchema, alembic_config
from tests.conftest import ANNA, HOTEL, rows, seed, small_hotel, snapshot
from workflows.services.checkout import BookingRef, checkout_booking


def head_revision() -> str:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()  # type: ignore[return-value]


def current_revision() -> str | None:
    with get_engine().connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def schema_differences() -> list:
    with get_engine().connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return compare_metadata(context, SQLModel.metadata)


def table_names() -> set[str]:
    with get_engine().connect() as connection:
        return set(inspect(connection).get_table_names())


def test_migrations_match_the_models(database: str) -> None:
    """Autogenerate finds nothing to do: every model change has its migration."""
    assert current_revision() == head_revision()
    assert schema_differences() == []


def test_version_table_lives_in_the_database_own_schema(database: str) -> None:
    """On PostgreSQL the tests' schema comes from search_path; Alembic must write there."""
    with get_engine().connect() as connection:
        schema = inspect(connection).default_schema_name
        assert inspect(connection).has_table("alembic_version", schema=schema)
        if database == "postgresql":
            in_public = connection.execute(
                text("SELECT to_regclass('public.alembic_version') IS NOT NULL")
            ).scalar()
            assert schema != "public" and not in_public


def test_create_tables_twice_changes_nothing(database: str) -> None:
    seed(small_hotel())
    before = snapshot()
    create_tables()
    assert snapshot() == before
    assert current_revision() == head_revision()


def stored_rows() -> dict[str, list[dict]]:
    """Every row of every table, read with the columns the database has (not the models')."""
    with get_engine().connect() as connection:
        return {
            table: [
                dict(row._mapping)
                for row in connection.execute(text(f'SELECT * FROM "{table}" ORDER BY id'))
            ]
            for table in sorted(table_names() - {"alembic_version"})
        }


def _make_pre_migration_database() -> None:
    """What `create_all` left before migrations existed: the baseline tables, no history."""
    command.downgrade(alembic_config(), BASELINE_REVISION)
    with get_engine().begin() as connection:
        connection.execute(text("DROP TABLE alembic_version"))


def test_database_created_before_migrations_is_stamped_and_keeps_its_rows(
    database: str,
) -> None:
    seed(small_hotel())  # before going back: the models may have columns 0001 lacks
    _make_pre_migration_database()
    before = stored_rows()
    assert "alembic_version" not in table_names()

    create_tables()

    assert current_revision() == head_revision()
    assert schema_differences() == []
    after = stored_rows()
    assert {
        table: [{column: row[column] for column in rows_before[0]} for row in after[table]]
        if rows_before
        else after[table]
        for table, rows_before in before.items()
    } == before
    outcome = checkout_booking(booking=BookingRef(HOTEL, "BK-1"), performed_by=ANNA)
    assert outcome.booking.status == "COMPLETED"
    assert {b.booking_id: b.status for b in rows(Booking)}["BK-1"] == "COMPLETED"


def test_some_tables_without_history_is_refused_not_guessed(empty_database: str) -> None:
    with get_engine().begin() as connection:
        connection.execute(text("CREATE TABLE hotel (id INTEGER PRIMARY KEY, slug VARCHAR(64))"))
        connection.execute(text("INSERT INTO hotel (id, slug) VALUES (1, 'kept')"))
    with pytest.raises(UnknownSchema, match="no migration history"):
        create_tables()
    assert table_names() == {"hotel"}
    with get_engine().connect() as connection:
        assert connection.execute(text("SELECT slug FROM hotel")).scalars().all() == ["kept"]


def test_auto_migrate_setting_decides_start_up_upgrade(
    empty_database: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TURNOVER_AUTO_MIGRATE", "0")
    get_settings.cache_clear()
    try:
        prepare_database()
        assert table_names() == set()
        monkeypatch.delenv("TURNOVER_AUTO_MIGRATE")
        get_settings.cache_clear()
        prepare_database()
        assert current_revision() == head_revision()
    finally:
        get_settings.cache_clear()


def test_workers_starting_together_upgrade_once(empty_database: str) -> None:
    """Two API workers starting at once on an empty database: both start, one schema."""
    errors: list[BaseException] = []

    def start_worker() -> None:
        engine = create_database_engine(empty_database)
        try:
            create_tables(engine)
        except BaseException as error:
            errors.append(error)
        finally:
            engine.dispose()

    workers = [threading.Thread(target=start_worker) for _ in range(3)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)
    assert errors == []
    assert current_revision() == head_revision()
    assert schema_differences() == []


def test_migration_scripts_ship_with_the_package() -> None:
    """`script_location` is a package resource, found wherever `storage` is installed."""
    script = ScriptDirectory.from_config(alembic_config())
    revisions = [r.revision for r in script.walk_revisions()]
    assert revisions[-1] == BASELINE_REVISION and revisions[0] == script.get_current_head()
