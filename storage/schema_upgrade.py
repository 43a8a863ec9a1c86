"""Bringing a database's schema to the latest migration (Alembic, storage/migrations).

A database made by `create_all` before migrations existed has the tables but no
`alembic_version`: it is stamped with the baseline revision (which creates exactly those
tables) and upgraded from there, so its rows are kept.
"""

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, inspect, text

BASELINE_REVISION = "0001"
# The tables revision 0001 creates (what `create_all` made before migrations existed).
BASELINE_TABLES = frozenset(
    {
        "hotel",
        "staff",
        "room",
        "booking",
        "guest",
        "guestchatsession",
        "conversation",
        "roomserviceorder",
        "transitionlog",
        "outboxevent",
    }
)
VERSION_TABLE = "alembic_version"


class UnknownSchema(RuntimeError):
    """Some Turnover tables exist, but not all of them and no migration history."""


class SchemaTooNew(RuntimeError):
    """The database was migrated by a newer Turnover: this code does not know its revision."""


def alembic_config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", "storage:migrations")
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def upgrade_to_head(engine: Engine) -> None:
    """Create or upgrade the schema, in one transaction (one migrator at a time)."""
    if engine.dialect.name == "sqlite":
        engine = engine.execution_options(sqlite_begin="IMMEDIATE")
    with engine.begin() as connection:
        _lock_schema(connection)
        config = alembic_config(connection)
        if _is_unversioned(connection):
            command.stamp(config, BASELINE_REVISION)
        _refuse_unknown_revisions(connection, config)
        command.upgrade(config, "head")


def _lock_schema(connection: Connection) -> None:
    """Several workers starting at once: the first upgrades, the others wait and find it done."""
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(hashtext(current_schema()))"))


def _refuse_unknown_revisions(connection: Connection, config: Config) -> None:
    """Alembic would fail with "Can't locate revision": say what it means instead."""
    scripts = ScriptDirectory.from_config(config)
    known = {script.revision for script in scripts.walk_revisions()}
    stamped = MigrationContext.configure(connection).get_current_heads()
    unknown = sorted(set(stamped) - known)
    if unknown:
        raise SchemaTooNew(
            f"The database's schema is at revision {', '.join(unknown)}, newer than this "
            f"Turnover knows (its latest is {scripts.get_current_head()}): run the Turnover "
            f"version that migrated it, or point TURNOVER_DATABASE_URL at another database."
        )


def _is_unversioned(connection: Connection) -> bool:
    """True for a database created by `create_all` (all baseline tables, no history)."""
    tables = set(inspect(connection).get_table_names())
    if VERSION_TABLE in tables:
        return False
    present = tables & BASELINE_TABLES
    if not present:
        return False
    if present != BASELINE_TABLES:
        missing = ", ".join(sorted(BASELINE_TABLES - present))
        raise UnknownSchema(
            f"The database has some Turnover tables but no migration history and lacks: "
            f"{missing}. Refusing to guess; restore it or migrate it by hand."
        )
    return True
