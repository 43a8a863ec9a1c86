"""Opening the database from the command line: a problem with the database itself (not a
database, migrated by a newer Turnover, unreachable) is one line saying what is wrong and
what to do, and exit status 2, instead of a traceback. Nothing is written in those cases:
the schema upgrade runs in one transaction and checks before it changes anything."""

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager

import typer
from sqlalchemy.exc import DBAPIError

from storage.database import create_tables, get_engine, prepare_database
from storage.schema_upgrade import SchemaTooNew, UnknownSchema
from storage.transient_errors import is_connection_lost

EXIT_BAD_DATABASE = 2


def init_database() -> None:
    """`turnover init-db`: create or upgrade the schema."""
    with _explained():
        create_tables()


def open_database() -> None:
    """Any other command: upgrade the schema unless TURNOVER_AUTO_MIGRATE is off."""
    with _explained():
        prepare_database()


@contextmanager
def _explained() -> Iterator[None]:
    try:
        yield
    except (SchemaTooNew, UnknownSchema) as error:
        _refuse(str(error))
    except DBAPIError as error:
        _refuse(_database_problem(error))


def _database_problem(error: DBAPIError) -> str:
    where = get_engine().url.render_as_string(hide_password=True)
    if getattr(error.orig, "sqlite_errorcode", None) == sqlite3.SQLITE_NOTADB:
        return (
            f"{get_engine().url.database} is not an SQLite database: point "
            f"TURNOVER_DATABASE_URL ({where}) at a Turnover database or at a new file."
        )
    first_line = str(error.orig).strip().splitlines()[0]
    if is_connection_lost(error):
        return (
            f"Cannot reach the database at {where} ({first_line}): check that it is running "
            f"and that TURNOVER_DATABASE_URL is right."
        )
    return f"Cannot use the database at {where}: {first_line}"


def _refuse(message: str) -> None:
    typer.secho(message, fg=typer.colors.RED, err=True)
    raise typer.Exit(code=EXIT_BAD_DATABASE)
