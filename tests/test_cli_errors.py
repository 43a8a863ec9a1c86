"""The `turnover` command facing a database it cannot use: one line that says what is
wrong and what to do, exit status 2, nothing written (issue 11, item 9)."""

from pathlib import Path

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from cli.main import app
from storage.database import use_database
from storage.unit_of_work import UnitOfWork
from tests.conftest import snapshot
from tests.reliability.server_process import free_port

runner = CliRunner()
NEWER_REVISION = "9999"


def one_line(output: str) -> str:
    lines = output.strip().splitlines()
    assert len(lines) == 1, output
    return lines[0]


def files_in(folder: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in folder.iterdir()}


@pytest.mark.parametrize("command", [["init-db"], ["demo"], ["outbox", "status"]])
def test_a_file_that_is_not_a_database(tmp_path: Path, command: list[str]) -> None:
    folder = tmp_path / "data"
    folder.mkdir()
    (folder / "notes.txt").write_text("shopping list: eggs, milk\n" * 200)
    before = files_in(folder)
    engine = use_database(f"sqlite:///{folder / 'notes.txt'}")
    try:
        result = runner.invoke(app, command)
    finally:
        engine.dispose()
    assert result.exit_code == 2
    assert "notes.txt is not an SQLite database: point TURNOVER_DATABASE_URL" in one_line(
        result.output
    )
    assert files_in(folder) == before  # not a byte changed, no journal or WAL file made


def stamp(revision: str) -> None:
    with UnitOfWork() as uow:
        uow.session.execute(text("UPDATE alembic_version SET version_num = :r"), {"r": revision})
        uow.commit()


def stamped_revision() -> str:
    with UnitOfWork(write=False) as uow:
        return uow.session.execute(text("SELECT version_num FROM alembic_version")).scalar_one()


@pytest.mark.parametrize(
    "command", [["init-db"], ["demo"], ["create-staff", "--hotel", "h", "--username", "u"]]
)
def test_a_database_migrated_by_a_newer_turnover(database: str, command: list[str]) -> None:
    stamp(NEWER_REVISION)
    before = snapshot()
    result = runner.invoke(app, command)
    assert result.exit_code == 2
    message = one_line(result.output)
    assert f"schema is at revision {NEWER_REVISION}, newer than this Turnover knows" in message
    assert "run the Turnover version that migrated it" in message
    assert stamped_revision() == NEWER_REVISION
    assert snapshot() == before


def test_a_database_server_that_cannot_be_reached() -> None:
    engine = use_database(f"postgresql://turnover@127.0.0.1:{free_port()}/turnover")
    try:
        result = runner.invoke(app, ["init-db"])
    finally:
        engine.dispose()
    assert result.exit_code == 2
    message = one_line(result.output)
    assert message.startswith("Cannot reach the database at postgresql+psycopg://turnover@")
    assert "check that it is running" in message
