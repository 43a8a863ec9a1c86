"""The `turnover` command: demo, create-staff, seed, init-db."""

import json
import re
from pathlib import Path

from typer.testing import CliRunner

from cli.main import app
from storage.models import Hotel, OutboxEvent, Room, TransitionLog
from storage.unit_of_work import UnitOfWork
from tests.conftest import ANNA, rows, small_hotel
from workflows.services.checkout import BookingRef, checkout_booking
from workflows.services.staff_accounts import staff_for_token

runner = CliRunner()


def tokens_in(output: str) -> dict[str, str]:
    return dict(re.findall(r"^\s+(\w+)\s+token: (\S+)$", output, flags=re.MULTILINE))


def token_owner(token: str) -> str | None:
    with UnitOfWork(write=False) as uow:
        staff = staff_for_token(uow.session, token)
        return staff.username if staff else None


def test_demo_then_checkout_leaves_room_101_dirty_and_recorded(database: str) -> None:
    result = runner.invoke(app, ["demo"])
    assert result.exit_code == 0, result.output
    assert "Demo hotel created." in result.output
    tokens = tokens_in(result.output)
    assert token_owner(tokens["anna"]) == "anna"
    assert f"Bearer {tokens['anna']}" in result.output  # the curl line to try

    checkout_booking(booking=BookingRef("hotel-killarney", "BK-2025-1234"), performed_by=ANNA)

    room_101 = next(r for r in rows(Room) if r.room_number == 101 and r.hotel_id == 1)
    assert room_101.room_status == "CHECKOUT_DIRTY"
    assert [e.entity_ref for e in rows(TransitionLog)] == ["BK-2025-1234", "101"]
    assert [e.event_name for e in rows(OutboxEvent)] == [
        "booking-checked-out",
        "room-status-changed",
    ]


def test_demo_twice_keeps_data_and_rotates_tokens(sqlite_database: str) -> None:
    first = tokens_in(runner.invoke(app, ["demo"]).output)
    checkout_booking(booking=BookingRef("hotel-killarney", "BK-2025-1234"), performed_by=ANNA)
    second = runner.invoke(app, ["demo"])
    assert "already there; kept as is" in second.output
    assert token_owner(tokens_in(second.output)["anna"]) == "anna"
    assert token_owner(first["anna"]) is None
    room_101 = next(r for r in rows(Room) if r.room_number == 101 and r.hotel_id == 1)
    assert room_101.room_status == "CHECKOUT_DIRTY"


def test_create_staff_prints_a_working_token_once(sqlite_database: str) -> None:
    runner.invoke(app, ["demo"])
    result = runner.invoke(
        app, ["create-staff", "--hotel", "hotel-killarney", "--username", "nora", "--superuser"]
    )
    assert result.exit_code == 0, result.output
    token = re.search(r"Token \(shown once\): (\S+)", result.output).group(1)
    assert token_owner(token) == "nora"

    again = runner.invoke(app, ["create-staff", "--hotel", "hotel-killarney", "--username", "nora"])
    assert again.exit_code == 1 and "already exists" in again.output
    unknown = runner.invoke(app, ["create-staff", "--hotel", "nowhere", "--username", "x"])
    assert unknown.exit_code == 1 and "Hotel 'nowhere' not found" in unknown.output


def test_seed_loads_a_file(sqlite_database: str, tmp_path: Path) -> None:
    path = tmp_path / "hotel.json"
    path.write_text(json.dumps(small_hotel()))
    result = runner.invoke(app, ["seed", str(path)])
    assert result.exit_code == 0, result.output
    assert "Loaded 2 hotels" in result.output
    assert len(rows(Hotel)) == 2


def test_seed_refuses_bad_files_and_loads_nothing(sqlite_database: str, tmp_path: Path) -> None:
    not_json = tmp_path / "broken.json"
    not_json.write_text('{"hotels": [')
    result = runner.invoke(app, ["seed", str(not_json)])
    assert result.exit_code == 1 and "is not valid JSON" in result.output

    bad = small_hotel()
    bad["rooms"][0]["room_status"] = "SPARKLING"
    bad_path = tmp_path / "bad.json"
    bad_path.write_text(json.dumps(bad))
    result = runner.invoke(app, ["seed", str(bad_path)])
    assert result.exit_code == 1
    assert "rooms[0].room_status: 'SPARKLING'" in result.output
    assert "Nothing was loaded." in result.output
    assert rows(Hotel) == []

    missing = runner.invoke(app, ["seed", str(tmp_path / "missing.json")])
    assert missing.exit_code == 1 and "Cannot read" in missing.output


def test_init_db_is_repeatable(sqlite_database: str) -> None:
    assert runner.invoke(app, ["init-db"]).exit_code == 0
    assert runner.invoke(app, ["init-db"]).exit_code == 0
