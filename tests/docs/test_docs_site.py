"""The hand-written guides keep up with the code: every endpoint, error code, setting and
command is documented, and the example seed file loads."""

import re
from pathlib import Path

import pytest
from sqlmodel import select
from typer.main import get_command
from typer.testing import CliRunner

from api import errors
from api.app import create_app
from cli.main import app as cli_app
from config.settings import Settings
from storage.models import Booking, Guest, Room, RoomServiceOrder
from storage.unit_of_work import UnitOfWork
from tests.docs.conftest import DOCS, read_doc
from workflows.documentation.registry import MACHINES
from workflows.machines.errors import ERROR_CODES
from workflows.services.staff_accounts import staff_for_token

EXAMPLE_SEED = DOCS / "examples" / "hotel-seed.json"


def api_guide_paths() -> set[str]:
    return set(re.findall(r"`(?:GET|POST|PATCH|DELETE) (/[^`?\s]*)", read_doc("api.md")))


def test_every_endpoint_is_in_the_api_guide() -> None:
    paths = create_app().openapi()["paths"]
    assert "/api/workflows/{name}/" in paths
    missing = sorted(set(paths) - api_guide_paths())
    assert not missing, f"add to docs/api.md: {missing}"


def test_every_error_code_is_in_the_error_table() -> None:
    """The table is generated from the registry; every code the code answers is in it."""
    table = read_doc("workflows/error-codes.md")
    documented = set(re.findall(r"^\| `([A-Z_]+)` \| \d{3} \|", table, re.MULTILINE))
    assert documented == set(ERROR_CODES)
    assert set(errors.CODE_BY_HTTP_STATUS.values()) <= documented
    assert "PUSHER_NOT_CONFIGURED" in documented
    for path in [*Path("api").rglob("*.py"), *Path("workflows").rglob("*.py")]:
        named = set(re.findall(r'code="([A-Z][A-Z_]+)"', path.read_text(encoding="utf-8")))
        assert named <= documented, f"{path}: register {named - documented}"


def test_every_setting_is_in_the_operations_guide() -> None:
    page = read_doc("operations.md")
    missing = [
        f"TURNOVER_{name.upper()}"
        for name in Settings.model_fields
        if f"`TURNOVER_{name.upper()}`" not in page
    ]
    assert not missing, f"add to docs/operations.md: {missing}"


def command_lines(group: object, prefix: str = "turnover") -> list[str]:
    lines = []
    for name, command in getattr(group, "commands", {}).items():
        lines.append(f"{prefix} {name}")
        lines += command_lines(command, f"{prefix} {name}")
    return lines


def test_every_command_is_in_the_operations_guide() -> None:
    page = read_doc("operations.md")
    commands = command_lines(get_command(cli_app))
    assert "turnover diagrams" in commands
    missing = [line for line in commands if not re.search(rf"^{line}\b", page, re.MULTILINE)]
    assert not missing, f"add to docs/operations.md: {missing}"


def test_seed_format_names_every_state_of_the_machines() -> None:
    page = read_doc("seed-format.md")
    for entry in MACHINES:
        if entry.machine.entity_kind in ("room", "booking"):
            for state in entry.machine.states:
                assert f"`{state.value}`" in page, state.value


def test_example_seed_file_loads_with_turnover_seed(database: str) -> None:
    result = CliRunner().invoke(cli_app, ["seed", str(EXAMPLE_SEED)])
    assert result.exit_code == 0, result.output
    assert "Loaded 1 hotels, 2 staff, 4 rooms, 3 bookings" in result.output
    with UnitOfWork(write=False) as uow:
        rooms = {r.room_number: r for r in uow.session.exec(select(Room))}
        booking = uow.session.exec(select(Booking).where(Booking.booking_id == "BK-2025-1234"))
        in_house = booking.one()
        guests = uow.session.exec(select(Guest).where(Guest.booking_id == in_house.id)).all()
        orders = uow.session.exec(select(RoomServiceOrder)).all()
    assert {n: r.room_status for n, r in rooms.items()} == {
        101: "OCCUPIED",
        102: "READY_FOR_GUEST",
        103: "CHECKOUT_DIRTY",
        104: "OUT_OF_ORDER",
    }
    assert rooms[101].is_occupied and not rooms[102].is_occupied
    assert in_house.status == "CHECKED_IN" and in_house.assigned_room_id == rooms[101].id
    assert [g.room_id for g in guests] == [rooms[101].id, rooms[101].id]
    assert sorted(o.status for o in orders) == ["COMPLETED", "OPEN"]
    with UnitOfWork(write=False) as uow:
        anna = staff_for_token(uow.session, "anna-example-token-change-me")
    assert anna is not None and anna.username == "anna"


@pytest.mark.usefixtures("sqlite_database")
def test_seed_format_error_example_is_what_turnover_seed_prints(tmp_path: Path) -> None:
    page = read_doc("seed-format.md")
    shown = page.split("```text\n", 1)[1].split("```", 1)[0]
    bad = tmp_path / "hotel.json"
    bad.write_text(
        '{"hotels": [{"slug": "hotel-killarney"}],'
        ' "staff": [{"hotel": "hotel-killarney", "username": "anna"},'
        '           {"hotel": "hotel-kilarney", "username": "bob"}],'
        ' "rooms": [{"hotel": "hotel-killarney", "room_number": 101},'
        '           {"hotel": "hotel-killarney", "room_number": 102},'
        '           {"hotel": "hotel-killarney", "room_number": 103, "room_status": "DIRTY"}],'
        ' "bookings": [{"hotel": "hotel-killarney", "booking_id": "BK-1",'
        '               "status": "CHECKED_IN", "room_number": 102}]}',
        encoding="utf-8",
    )
    result = CliRunner().invoke(cli_app, ["seed", str(bad)])
    assert result.exit_code == 2
    assert result.output.replace(str(bad), "hotel.json") == shown
