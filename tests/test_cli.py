"""The `turnover` command: demo, staff and tokens, seed, init-db. A refused command exits
with status 2, says why in one line, and writes nothing."""

import json
import os
import re
import socket
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli.main import app
from storage.models import Hotel, OutboxEvent, Room, Staff, TransitionLog
from storage.unit_of_work import UnitOfWork
from tests.conftest import ANNA, rows, small_hotel, snapshot
from workflows.services.checkout import BookingRef, checkout_booking
from workflows.services.staff_accounts import password_matches, staff_for_token

runner = CliRunner()
HOTEL = "hotel-killarney"


@pytest.fixture(autouse=True)
def demo_credentials_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    from config.settings import get_settings

    path = tmp_path / "demo-credentials.json"
    monkeypatch.setenv("TURNOVER_DEMO_CREDENTIALS_FILE", str(path))
    get_settings.cache_clear()
    yield path
    get_settings.cache_clear()


def demo_table(output: str) -> dict[str, dict[str, str]]:
    """username -> {hotel, role, password, token}, from the table `turnover demo` prints."""
    found = re.findall(
        r"^  (hotel-\S+)\s+(\w+)\s+(\S+(?:, superuser)?)\s+(\S+)\s+(\S+)$", output, re.MULTILINE
    )
    return {
        user: {"hotel": hotel, "role": role, "password": password, "token": token}
        for hotel, user, role, password, token in found
    }


def token_owner(token: str) -> str | None:
    with UnitOfWork(write=False) as uow:
        staff = staff_for_token(uow.session, token)
        return staff.username if staff else None


def member(username: str) -> Staff:
    return next(s for s in rows(Staff) if s.username == username)


def run(*args: str, stdin: str | None = None):  # type: ignore[no-untyped-def]
    return runner.invoke(app, list(args), input=stdin)


def test_demo_then_checkout_leaves_room_101_dirty_and_recorded(database: str) -> None:
    result = run("demo")
    assert result.exit_code == 0, result.output
    assert "Demo hotels created." in result.output
    staff = demo_table(result.output)
    assert {u: (s["hotel"], s["role"]) for u, s in staff.items()} == {
        "anna": (HOTEL, "front_desk"),
        "hugh": (HOTEL, "housekeeper"),
        "sinead": (HOTEL, "supervisor"),
        "maeve": (HOTEL, "manager"),
        "admin": (HOTEL, "manager, superuser"),
        "sean": ("hotel-galway", "front_desk"),
    }
    assert token_owner(staff["anna"]["token"]) == "anna"
    assert password_matches(member("hugh"), staff["hugh"]["password"])
    assert "API docs: http://127.0.0.1:8000/docs" in result.output
    assert f"Bearer {staff['anna']['token']}" in result.output  # the curl line to try

    checkout_booking(booking=BookingRef(HOTEL, "BK-2025-1234"), performed_by=ANNA)

    room_101 = next(r for r in rows(Room) if r.room_number == 101 and r.hotel_id == 1)
    assert room_101.room_status == "CHECKOUT_DIRTY"
    assert [e.entity_ref for e in rows(TransitionLog)][:2] == ["BK-2025-1234", "101"]
    assert [e.event_name for e in rows(OutboxEvent)] == [
        "booking-checked-out",
        "room-status-changed",
        "task-created",
    ]


def test_demo_twice_keeps_data_and_credentials(
    sqlite_database: str, demo_credentials_file: Path
) -> None:
    first = demo_table(run("demo").output)
    checkout_booking(booking=BookingRef(HOTEL, "BK-2025-1234"), performed_by=ANNA)
    second = run("demo")
    assert "already there; kept as they are" in second.output
    assert demo_table(second.output) == first
    assert all(token_owner(s["token"]) == u for u, s in first.items())
    room_101 = next(r for r in rows(Room) if r.room_number == 101 and r.hotel_id == 1)
    assert room_101.room_status == "CHECKOUT_DIRTY"
    assert stat.S_IMODE(demo_credentials_file.stat().st_mode) == 0o600


def test_demo_on_a_new_database_prints_the_same_credentials(
    tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    from tests.conftest import fresh_database

    (tmp_path / "one").mkdir()
    (tmp_path / "two").mkdir()
    with fresh_database("sqlite", request, tmp_path / "one"):
        first = demo_table(run("demo").output)
    with fresh_database("sqlite", request, tmp_path / "two"):
        again = run("demo")
        assert "Demo hotels created." in again.output
        assert demo_table(again.output) == first
        assert token_owner(first["maeve"]["token"]) == "maeve"


def test_demo_replaces_a_revoked_demo_token(sqlite_database: str) -> None:
    first = demo_table(run("demo").output)
    revoked = run("token", "revoke", "--hotel", HOTEL, "--username", "anna", "--name", "demo")
    assert revoked.exit_code == 0, revoked.output
    again = demo_table(run("demo").output)
    assert again["anna"]["token"] != first["anna"]["token"]
    assert token_owner(again["anna"]["token"]) == "anna"
    assert token_owner(first["anna"]["token"]) is None
    assert again["hugh"] == first["hugh"]


def test_demo_serve_refuses_a_busy_port_before_touching_anything(
    sqlite_database: str, demo_credentials_file: Path
) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        before = snapshot()
        result = run("demo", "--serve", "--port", str(port))
    assert result.exit_code == 2
    assert f"Port {port} on 127.0.0.1 is already in use" in result.output
    assert f"make run PORT={port + 1}" in result.output
    assert snapshot() == before and rows(Hotel) == []
    assert not demo_credentials_file.exists()


def test_create_staff_with_role_and_password_from_stdin(sqlite_database: str) -> None:
    run("demo")
    result = run(
        "create-staff", "--hotel", HOTEL, "--username", "nora", "--role", "housekeeper",
        "--password-stdin", stdin="nora-secret-pass\n",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "Created nora (housekeeper) in hotel-killarney." in result.output
    token = re.search(r"Token \(shown once\): (\S+)", result.output).group(1)
    assert token_owner(token) == "nora"
    assert member("nora").role == "housekeeper"
    assert password_matches(member("nora"), "nora-secret-pass")
    assert "nora-secret-pass" not in result.output


@pytest.mark.parametrize(
    ("username", "message"),
    [
        ("", "a username is 1 to 150 letters"),
        ("   ", "is not a valid username"),
        ("anna smith", "is not a valid username"),
        ("ANNA", "Staff member 'anna' already exists"),
    ],
)
def test_create_staff_refuses_bad_or_taken_usernames(
    sqlite_database: str, username: str, message: str
) -> None:
    run("demo")
    before = snapshot()
    result = run("create-staff", "--hotel", HOTEL, "--username", username)
    assert result.exit_code == 2
    assert message.lower() in result.output.lower()
    assert snapshot() == before


def test_create_staff_refusals_exit_2_with_one_line(sqlite_database: str) -> None:
    run("demo")
    unknown = run("create-staff", "--hotel", "nowhere", "--username", "x")
    assert unknown.exit_code == 2 and unknown.output == "Hotel 'nowhere' not found\n"
    bad_role = run("create-staff", "--hotel", HOTEL, "--username", "x", "--role", "chef")
    assert bad_role.exit_code == 2 and "'chef' is not a role" in bad_role.output
    short = run(
        "create-staff", "--hotel", HOTEL, "--username", "x", "--password-stdin", stdin="short\n"
    )
    assert short.exit_code == 2 and "8 to 256 characters" in short.output


def test_a_manager_gives_a_housekeeper_a_password_a_named_token_a_role_and_revokes_it(
    database: str,
) -> None:
    run("demo")
    run("create-staff", "--hotel", HOTEL, "--username", "Nora", "--role", "housekeeper")
    password = run(
        "set-password", "--hotel", HOTEL, "--username", "nora", "--password-stdin",
        stdin="a-long-password\n",
    )  # fmt: skip
    assert password.exit_code == 0, password.output
    assert password_matches(member("Nora"), "a-long-password")

    issued = run(
        "token", "issue", "--hotel", HOTEL, "--username", "nora", "--name", "laptop",
        "--expires-in", "90d",
    )  # fmt: skip
    assert issued.exit_code == 0, issued.output
    laptop = re.search(r"Token \(shown once\): (\S+)", issued.output).group(1)
    assert token_owner(laptop) == "Nora"
    again = run("token", "issue", "--hotel", HOTEL, "--username", "nora", "--name", "laptop")
    assert again.exit_code == 2 and "already has a token named 'laptop'" in again.output

    listed = run("token", "list", "--hotel", HOTEL, "--username", "nora")
    assert re.search(r"^\d+\s+default\s", listed.output, re.MULTILINE)
    assert re.search(r"^\d+\s+laptop\s+\S+Z\s+never\s+\S+Z\s+active$", listed.output, re.M)
    assert laptop not in listed.output

    role = run("staff", "update", "--hotel", HOTEL, "--username", "nora", "--role", "supervisor")
    assert role.exit_code == 0 and "Nora in hotel-killarney: supervisor, active." in role.output
    assert member("Nora").role == "supervisor"

    revoke = run("token", "revoke", "--hotel", HOTEL, "--username", "nora", "--name", "laptop")
    assert revoke.exit_code == 0, revoke.output
    assert token_owner(laptop) is None
    assert "laptop" not in run("token", "list", "--hotel", HOTEL, "--username", "nora").output


def test_a_deactivated_members_tokens_stop_at_once(sqlite_database: str) -> None:
    token = demo_table(run("demo").output)["hugh"]["token"]
    assert (
        run("staff", "update", "--hotel", HOTEL, "--username", "hugh", "--inactive").exit_code == 0
    )
    assert token_owner(token) is None
    listed = run("staff", "list", "--hotel", HOTEL).output
    assert re.search(r"^hugh\s+housekeeper\s+no\s+no\s+yes$", listed, re.MULTILINE)
    assert run("staff", "update", "--hotel", HOTEL, "--username", "hugh", "--active").exit_code == 0
    assert token_owner(token) == "hugh"


def test_a_seeded_member_without_a_token_can_get_one(sqlite_database: str, tmp_path: Path) -> None:
    path = tmp_path / "hotel.json"
    path.write_text(json.dumps(small_hotel()))
    assert run("seed", str(path)).exit_code == 0
    issued = run("token", "issue", "--hotel", HOTEL, "--username", "anna")
    token = re.search(r"Token \(shown once\): (\S+)", issued.output).group(1)
    assert token_owner(token) == "anna"


def test_token_commands_refuse_what_they_cannot_do(sqlite_database: str) -> None:
    run("demo")
    before = snapshot()
    for args, message in [
        (["issue", "--username", "ghost"], "No staff member 'ghost'"),
        (["issue", "--username", "anna", "--expires-in", "soon"], "'soon' is not a lifetime"),
        (["issue", "--username", "anna", "--name", " "], "a token name is"),
        (["revoke", "--username", "anna"], "give --name or --id"),
        (["revoke", "--username", "anna", "--name", "nope"], "anna has no token 'nope'"),
        (["revoke", "--username", "anna", "--id", "99999"], "anna has no token 99999"),
    ]:
        result = run("token", args[0], "--hotel", HOTEL, *args[1:])
        assert result.exit_code == 2, (args, result.output)
        assert message.lower() in result.output.lower(), (args, result.output)
        assert result.output.count("\n") == 1
    assert snapshot() == before


def test_an_expired_token_is_refused(sqlite_database: str) -> None:
    from datetime import timedelta

    from storage.timestamps import utc_now

    run("demo")
    issued = run("token", "issue", "--hotel", HOTEL, "--username", "anna", "--expires-in", "1h")
    token = re.search(r"Token \(shown once\): (\S+)", issued.output).group(1)
    assert token_owner(token) == "anna"
    with UnitOfWork(write=False) as uow:
        later = utc_now() + timedelta(hours=1, seconds=1)
        assert staff_for_token(uow.session, token, now=later) is None
        assert staff_for_token(uow.session, token, now=later - timedelta(seconds=2)) is not None


def test_seed_loads_a_file(sqlite_database: str, tmp_path: Path) -> None:
    path = tmp_path / "hotel.json"
    path.write_text(json.dumps(small_hotel()))
    result = run("seed", str(path))
    assert result.exit_code == 0, result.output
    assert "Loaded 2 hotels" in result.output
    assert len(rows(Hotel)) == 2


def test_seed_refuses_bad_files_and_loads_nothing(sqlite_database: str, tmp_path: Path) -> None:
    not_json = tmp_path / "broken.json"
    not_json.write_text('{"hotels": [')
    result = run("seed", str(not_json))
    assert result.exit_code == 2 and "is not valid JSON" in result.output

    bad = small_hotel()
    bad["rooms"][0]["room_status"] = "SPARKLING"
    bad_path = tmp_path / "bad.json"
    bad_path.write_text(json.dumps(bad))
    result = run("seed", str(bad_path))
    assert result.exit_code == 2
    assert "rooms[0].room_status: 'SPARKLING'" in result.output
    assert "Nothing was loaded." in result.output
    assert rows(Hotel) == []

    missing = run("seed", str(tmp_path / "missing.json"))
    assert missing.exit_code == 2 and "Cannot read" in missing.output


def test_seed_of_a_file_nested_100000_levels_deep_is_one_line(
    sqlite_database: str, tmp_path: Path
) -> None:
    deep = tmp_path / "deep.json"
    deep.write_text('{"hotels": ' + "[" * 100_000 + "]" * 100_000 + "}")
    result = run("seed", str(deep))
    assert result.exit_code == 2
    assert result.output == (
        f"{deep} is nested too deeply to be a seed file (a seed file is at most five levels"
        " deep: sections, records, guests). Nothing was loaded.\n"
    )
    assert rows(Hotel) == []


def test_seed_with_nul_characters_is_refused_on_every_database(
    database: str, tmp_path: Path
) -> None:
    data = small_hotel()
    data["bookings"][2]["booking_id"] = "B\x001"
    path = tmp_path / "nul.json"
    path.write_text(json.dumps(data))
    before = snapshot()
    result = run("seed", str(path))
    assert result.exit_code == 2
    assert result.output == (
        f"{path}: Invalid seed file: bookings[2].booking_id: contains the NUL character"
        " (\\u0000), which cannot be stored; remove it\nNothing was loaded.\n"
    )
    assert snapshot() == before


def test_seed_update_updates_rows_already_there(sqlite_database: str, tmp_path: Path) -> None:
    path = tmp_path / "hotel.json"
    path.write_text(json.dumps(small_hotel()))
    run("seed", str(path))
    refused = run("seed", str(path))
    assert refused.exit_code == 2
    assert "is already in the database (turnover seed --update updates it)" in refused.output
    change = {
        "hotels": [{"slug": HOTEL, "name": "Killarney Park"}],
        "rooms": [{"hotel": HOTEL, "room_number": 104, "room_status": "READY_FOR_GUEST"}],
    }
    path.write_text(json.dumps(change))
    result = run("seed", "--update", str(path))
    assert result.exit_code == 0, result.output
    assert result.output == "Loaded nothing new; updated 1 hotels, 1 rooms.\n"
    assert rows(Hotel)[0].name == "Killarney Park"


def test_init_db_is_repeatable(sqlite_database: str) -> None:
    assert run("init-db").exit_code == 0
    assert run("init-db").exit_code == 0


def test_help_reads_as_sentences() -> None:
    from typer.main import get_command

    def helps(group, prefix=""):  # type: ignore[no-untyped-def]
        for name, command in getattr(group, "commands", {}).items():
            yield f"{prefix}{name}", command.help or ""
            for param in command.params:
                if getattr(param, "help", None):
                    yield f"{prefix}{name} {param.name}", param.help
            yield from helps(command, f"{prefix}{name} ")

    texts = dict(helps(get_command(app)))
    assert "token issue" in texts and "staff update active" in texts
    not_sentences = {
        where: text
        for where, text in texts.items()
        if not (text[0].isupper() and text.split("\n\n")[0].rstrip().endswith((".", ")")))
    }
    assert not_sentences == {}


def test_help_does_not_import_the_diagram_or_database_code() -> None:
    """`turnover --help` answers at once: nothing heavy is imported for it."""
    code = (
        "import sys; from typer.testing import CliRunner; from cli.main import app;"
        "CliRunner().invoke(app, ['--help']);"
        "print(sorted(m for m in ('pydot', 'statemachine', 'sqlalchemy', 'alembic',"
        " 'workflows.documentation.diagram_pages') if m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True,
        env={**os.environ},
    )  # fmt: skip
    assert result.stdout.strip() == "[]"
