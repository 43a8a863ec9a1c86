"""`turnover demo --rooms 120`: a supervisor's whole morning through the API, with every
room and task agreeing after every step."""

from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlmodel import select
from typer.testing import CliRunner

from admin.demo import DEMO_HOTEL, ensure_demo
from api.app import create_app
from storage.models import Booking, Room
from storage.unit_of_work import UnitOfWork
from tests.api.conftest import bearer
from tests.housekeeping.test_task_invariants import agreement_problems

BASE = f"/api/staff/hotels/{DEMO_HOTEL}"
TEAM = ["hugh", "niamh", "padraig", "orla", "ciara", "declan"]


def grown_demo(tmp_path: Path) -> dict[str, dict[str, str]]:
    with UnitOfWork() as uow:
        access = ensure_demo(uow.session, tmp_path / "demo.json", rooms=120)
        uow.commit()
    return {m.username: bearer(m.token) for m in access.members if m.hotel == DEMO_HOTEL}


def leaving_today() -> list[str]:
    with UnitOfWork(write=False) as uow:
        query = select(Booking).where(Booking.status == "CHECKED_IN")
        bookings = [b for b in uow.session.exec(query) if b.booking_id.startswith("BK-DEMO")]
        first_day = min(b.departure_date for b in bookings)
        return [b.booking_id for b in bookings if b.departure_date == first_day]


def room_count() -> int:
    with UnitOfWork(write=False) as uow:
        hotel_rooms = uow.session.exec(select(Room).where(Room.hotel_id == 1))
        return len(list(hotel_rooms))


def my_tasks(client: TestClient, who: dict[str, str]) -> list[dict[str, Any]]:
    response = client.get(f"{BASE}/housekeeping/tasks/", headers=who, params={"assignee": "me"})
    assert response.status_code == 200, response.text
    return response.json()["items"]


def send(client: TestClient, who: dict[str, str], task_id: int, event: str) -> None:
    url = f"{BASE}/housekeeping/tasks/{task_id}/transitions/"
    response = client.post(url, headers=who, json={"event": event})
    assert response.status_code == 200, response.text


def test_a_morning_on_the_120_room_demo(database: str, tmp_path: Path) -> None:
    staff = grown_demo(tmp_path)
    assert room_count() == 120
    client = TestClient(create_app())
    sinead, anna = staff["sinead"], staff["anna"]

    plan = client.post(f"{BASE}/housekeeping/plan/", headers=sinead, json={})
    assert plan.status_code == 200, plan.text
    assert plan.json()["created"]["STAYOVER"] > 40
    for booking_id in leaving_today():
        response = client.post(f"{BASE}/room-bookings/{booking_id}/check-out/", headers=anna)
        assert response.status_code == 200, response.text
    assert agreement_problems() == []

    shared = client.post(
        f"{BASE}/housekeeping/assign/", headers=sinead, json={"auto": True, "housekeepers": TEAM}
    )
    assert shared.status_code == 200, shared.text
    loads: dict[str, float] = {}
    for item in shared.json()["items"]:
        loads[item["assignee"]] = loads.get(item["assignee"], 0.0) + item["credits"]
    assert set(loads) == set(TEAM) and max(loads.values()) - min(loads.values()) <= 1.0

    for name in TEAM:
        for task in my_tasks(client, staff[name]):
            if task["status"] == "OPEN" and task["kind"] in ("DEPARTURE", "STAYOVER"):
                send(client, staff[name], task["task_id"], "start")
                send(client, staff[name], task["task_id"], "finish")
        assert agreement_problems() == []

    inspections = client.get(
        f"{BASE}/housekeeping/tasks/", headers=sinead, params={"status": "OPEN"}
    ).json()["items"]
    for task in inspections:
        if task["kind"] == "INSPECTION":
            send(client, sinead, task["task_id"], "pass_inspection")
    assert agreement_problems() == []
    rooms = client.get(f"{BASE}/rooms/", headers=sinead, params={"limit": 200}).json()["items"]
    still_dirty = [r["room_number"] for r in rooms if r["room_status"] == "CHECKOUT_DIRTY"]
    assert still_dirty == []  # every departure cleaned, inspected and ready


def test_demo_rooms_option(sqlite_database: str, tmp_path: Path, monkeypatch: Any) -> None:
    from cli.main import app

    monkeypatch.setenv("TURNOVER_DEMO_CREDENTIALS_FILE", str(tmp_path / "demo.json"))
    from config.settings import get_settings

    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(app, ["demo", "--rooms", "120"])
        assert result.exit_code == 0, result.output
        assert "niamh" in result.output and room_count() == 120
        again = CliRunner().invoke(app, ["demo", "--rooms", "120"])
        assert again.exit_code == 0 and room_count() == 120
    finally:
        get_settings.cache_clear()
