"""`turnover seed FILE [--update]`: read, check, load; a refusal writes nothing."""

import json
from pathlib import Path

import typer

from cli.errors import fail


def run_seed(file: Path, *, update: bool) -> None:
    from admin.seed_file import load_seed_file
    from cli.database_errors import open_database
    from storage.unit_of_work import UnitOfWork
    from workflows.machines.errors import DomainError

    if not file.is_file():
        fail(f"Cannot read {file}: no such file. Nothing was loaded.")
    open_database()
    try:
        with UnitOfWork() as uow:
            summary = load_seed_file(uow.session, file, update=update)
            uow.commit()
    except OSError as error:
        fail(f"Cannot read {file}: {error.strerror}. Nothing was loaded.")
    except UnicodeDecodeError:
        fail(f"{file} is not UTF-8 text; save it as UTF-8 JSON. Nothing was loaded.")
    except json.JSONDecodeError as error:
        fail(f"{file} is not valid JSON: {error}. Nothing was loaded.")
    except RecursionError:
        fail(
            f"{file} is nested too deeply to be a seed file (a seed file is at most five "
            "levels deep: sections, records, guests). Nothing was loaded."
        )
    except DomainError as error:
        fail(f"{file}: {error.message}\nNothing was loaded.")
    typer.echo(summary.describe())
