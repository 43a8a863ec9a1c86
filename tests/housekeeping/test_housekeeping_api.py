"""A supervisor's morning through the API: plan, auto-assign, a housekeeper's list, a DND,
an early departure, a failed inspection; and who may do what."""

from datetime import date, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from tests.api.conftest import bearer, error, new_staff_token
from tests.conftest import outbox, seed
from tests.housekeeping.helpers import room_status

HOTEL = "hotel-hk"
BASE = f"/api/staff/hotels/{HOTEL}"


def morning_hotel(today: date) -> dict[str, Any]:
    """Floors 1 and 2. 101 and 201 leave today (201's next guest arrives at 11:00), 102,
    103, 202 and 203 stay on."""
    day = today.isoformat

    def stay(booking_id: str, room: int, nights: int) -> dict[str, Any]:
        return {
            "hotel": HOTEL,
            "booking_id": booking_id,
            "status": "CHECKED_IN",
            "room_number": room,
            "arrival_date": (today - timedelta(days=1)).isoformat(),
            "departure_date": (today + timedelta(days=nights)).isoformat(),
        }

    rooms = [101, 102, 103, 201, 202, 203]
    return {
        "hotels": [{"slug": HOTEL}],
        "rooms": [
            {"hotel": HOTEL, "room_number": n, "room_status": "OCCUPIED", "floor": n // 100}
            for n in rooms
        ],
        "bookings": [
            stay("BK-101", 101, 0),
            stay("BK-102", 102, 1),
            stay("BK-103", 103, 2),
            stay("BK-201", 201, 0),
            stay("BK-202", 202, 1),
            stay("BK-203", 203, 3),
            {
                "hotel": HOTEL,
                "booking_id": "BK-NEXT",
                "status": "CONFIRMED",
                "room_number": 201,
                "arrival_date": day(),
                "departure_date": (today + timedelta(days=2)).isoformat(),
                "expected_arrival_time": "11:00",
            },
        ],
    }


@pytest.fixture
def today() -> date:
    from datetime import UTC, datetime

    return datetime.now(UTC).date()


@pytest.fixture
def staff(database: str, today: date) -> dict[str, dict[str, str]]:
    seed(morning_hotel(today))
    roles = {
        "sue": "supervisor",
        "maria": "housekeeper",
        "sean": "housekeeper",
        "frank": "front_desk",
        "mo": "manager",
    }
    return {name: bearer(new_staff_token(HOTEL, name, role=role)) for name, role in roles.items()}


@pytest.fixture
def client(staff: dict[str, dict[str, str]]) -> TestClient:
    return TestClient(create_app())


def tasks(client: TestClient, who: dict[str, str], **query: str) -> list[dict[str, Any]]:
    response = client.get(f"{BASE}/housekeeping/tasks/", headers=who, params=query)
    assert response.status_code == 200, response.text
    return response.json()["items"]


def task_of(items: list[dict[str, Any]], room: int, kind: str) -> dict[str, Any]:
    return next(t for t in items if t["room_number"] == room and t["kind"] == kind)


def send(client: TestClient, who: dict[str, str], task: dict[str, Any], event: str, **body: Any):
    url = f"{BASE}/housekeeping/tasks/{task['task_id']}/transitions/"
    return client.post(url, headers=who, json={"event": event, **body})


def check_out(client: TestClient, who: dict[str, str], booking_id: str) -> None:
    response = client.post(f"{BASE}/room-bookings/{booking_id}/check-out/", headers=who)
    assert response.status_code == 200, response.text


def test_a_supervisors_morning(client: TestClient, staff: dict[str, dict[str, str]]) -> None:
    sue, maria, frank = staff["sue"], staff["maria"], staff["frank"]

    # Plan: the stayovers, once however often it runs.
    first = client.post(f"{BASE}/housekeeping/plan/", headers=sue, json={})
    assert first.status_code == 200, first.text
    assert first.json()["created"] == {"STAYOVER": 4}
    again = client.post(f"{BASE}/housekeeping/plan/", headers=sue, json={})
    assert again.json()["created"] == {}

    # The departures, and the guest calls.
    check_out(client, frank, "BK-101")
    check_out(client, frank, "BK-201")
    flags = client.post(f"{BASE}/rooms/103/flags/", headers=frank, json={"do_not_disturb": True})
    assert flags.status_code == 200, flags.text and flags.json()["do_not_disturb"] is True
    client.post(f"{BASE}/rooms/202/flags/", headers=frank, json={"make_up_room": True})

    order = [(t["room_number"], t["kind"], t["priority"]) for t in tasks(client, sue)]
    assert order == [
        (201, "DEPARTURE", 1),  # the 11:00 arrival
        (101, "DEPARTURE", 2),
        (202, "STAYOVER", 3),  # make-up room asked for
        (102, "STAYOVER", 4),
        (203, "STAYOVER", 4),
        (103, "STAYOVER", 5),  # do not disturb
    ]
    assert "arrival today at 11:00" in tasks(client, sue)[0]["priority_reason"]

    # Auto-assignment: balanced credits, one floor each.
    shared = client.post(
        f"{BASE}/housekeeping/assign/",
        headers=sue,
        json={"auto": True, "housekeepers": ["maria", "sean"]},
    )
    assert shared.status_code == 200, shared.text
    by_person: dict[str, set[int]] = {}
    for item in shared.json()["items"]:
        by_person.setdefault(item["assignee"], set()).add(item["floor"])
    assert by_person == {"maria": {1}, "sean": {2}}
    assigned = [payload for name, payload in outbox() if name == "task-assigned"]
    assert len(assigned) == 6 and {p["previous_assignee"] for p in assigned} == {None}
    assert {p["assignee"] for p in assigned} == {"maria", "sean"}

    mine = tasks(client, maria, assignee="me")
    assert [t["room_number"] for t in mine] == [101, 102, 103]
    assert mine[0]["allowed_events"] == ["start"]

    # A housekeeper works only on her own tasks.
    refused = send(client, maria, task_of(tasks(client, sue), 201, "DEPARTURE"), "start")
    assert error(refused) == (403, "PERMISSION_DENIED")

    started = send(client, maria, mine[0], "start", note="cart at 101")
    assert started.status_code == 200, started.text
    assert started.json()["status"] == "IN_PROGRESS"
    assert set(started.json()["allowed_events"]) == {"pause", "finish"}
    assert room_status(101, HOTEL) == "CLEANING_IN_PROGRESS"

    # An early departure: 203's stayover becomes a departure.
    check_out(client, frank, "BK-203")
    room_203 = [(t["kind"], t["status"]) for t in tasks(client, sue) if t["room_number"] == 203]
    assert room_203 == [("DEPARTURE", "OPEN"), ("STAYOVER", "CANCELLED")]

    # Cleaning, a failed inspection, the touch-up, a pass.
    assert send(client, maria, mine[0], "finish").status_code == 200
    assert room_status(101, HOTEL) == "CLEANED_UNINSPECTED"
    inspection = task_of(tasks(client, sue), 101, "INSPECTION")
    assert error(send(client, maria, inspection, "fail_inspection")) == (403, "PERMISSION_DENIED")
    failed = send(client, sue, inspection, "fail_inspection", note="mirror smeared")
    assert failed.json()["status"] == "FAILED"
    assert room_status(101, HOTEL) == "CHECKOUT_DIRTY"
    touch_up = task_of(tasks(client, sue), 101, "TOUCH_UP")
    assert error(send(client, maria, touch_up, "start")) == (403, "PERMISSION_DENIED")
    given = client.post(
        f"{BASE}/housekeeping/assign/",
        headers=sue,
        json={"task_ids": [touch_up["task_id"]], "assignee": "maria"},
    )
    assert given.status_code == 200, given.text
    assert send(client, maria, touch_up, "start").status_code == 200
    assert send(client, maria, touch_up, "finish").status_code == 200
    inspections = [t for t in tasks(client, sue) if t["room_number"] == 101]
    reinspection = next(
        t for t in inspections if t["kind"] == "INSPECTION" and t["status"] == "OPEN"
    )
    assert send(client, sue, reinspection, "pass_inspection").status_code == 200
    assert room_status(101, HOTEL) == "READY_FOR_GUEST"

    # DND clears when the stayover starts.
    dnd = task_of(tasks(client, maria), 103, "STAYOVER")
    assert dnd["room_flags"]["do_not_disturb"] is True
    assert send(client, maria, dnd, "start").status_code == 200
    assert task_of(tasks(client, maria), 103, "STAYOVER")["room_flags"]["do_not_disturb"] is False


def test_rooms_and_their_status_events_show_the_flags(
    client: TestClient, staff: dict[str, dict[str, str]]
) -> None:
    frank = staff["frank"]
    client.post(f"{BASE}/rooms/103/flags/", headers=frank, json={"do_not_disturb": True})
    client.post(f"{BASE}/rooms/101/flags/", headers=frank, json={"service_declined": True})
    listed = client.get(f"{BASE}/rooms/", headers=frank).json()["items"]
    flags = {room["room_number"]: room["room_flags"] for room in listed}
    assert flags[103] == {"do_not_disturb": True, "make_up_room": False, "service_declined": False}
    assert flags[102] == {"do_not_disturb": False, "make_up_room": False, "service_declined": False}
    detail = client.get(f"{BASE}/rooms/103/", headers=frank).json()
    assert detail["room_flags"]["do_not_disturb"] is True and "allowed_events" in detail
    check_out(client, frank, "BK-101")
    [payload] = [p for name, p in outbox() if name == "room-status-changed"]
    contract = {"room_number", "old_status", "new_status", "source", "timestamp"}
    assert set(payload) == contract | {"room_flags"}  # the seed contract's fields, unchanged
    assert (payload["room_number"], payload["new_status"]) == (101, "CHECKOUT_DIRTY")
    assert payload["room_flags"]["service_declined"] is True


def test_skip_needs_a_reason(client: TestClient, staff: dict[str, dict[str, str]]) -> None:
    client.post(f"{BASE}/housekeeping/plan/", headers=staff["sue"], json={})
    stayover = task_of(tasks(client, staff["sue"]), 102, "STAYOVER")
    assert error(send(client, staff["sue"], stayover, "skip")) == (422, "REASON_REQUIRED")
    skipped = send(client, staff["sue"], stayover, "skip", note="guest declined service")
    assert skipped.json()["status"] == "SKIPPED"


def test_unknown_task_and_bad_bodies(client: TestClient, staff: dict[str, dict[str, str]]) -> None:
    sue = staff["sue"]
    missing = client.post(
        f"{BASE}/housekeeping/tasks/999/transitions/", headers=sue, json={"event": "start"}
    )
    assert error(missing) == (404, "TASK_NOT_FOUND")
    both = client.post(f"{BASE}/housekeeping/assign/", headers=sue, json={"auto": True})
    assert error(both)[0] == 422
    flags = client.post(f"{BASE}/rooms/101/flags/", headers=sue, json={})
    assert error(flags)[0] == 422
    nobody = client.post(
        f"{BASE}/housekeeping/assign/", headers=sue, json={"auto": True, "housekeepers": ["zed"]}
    )
    assert error(nobody) == (404, "STAFF_NOT_FOUND")
    desk = client.post(
        f"{BASE}/housekeeping/assign/", headers=sue, json={"auto": True, "housekeepers": ["frank"]}
    )
    assert error(desk) == (409, "NOT_HOUSEKEEPING_STAFF")


# --- who may do what ---------------------------------------------------------------------------

ROLES = ("frank", "maria", "sean", "sue", "mo")  # front desk, 2 housekeepers, supervisor, manager
MATRIX = {
    # action: the roles it is allowed to (the task is maria's)
    "plan": {"sue", "mo"},
    "assign": {"sue", "mo"},
    "start the task": {"maria", "sue", "mo"},
    "pass the inspection": {"sue", "mo"},
    "set flags": set(ROLES),
    "list tasks": set(ROLES),
}


@pytest.mark.parametrize("action", list(MATRIX))
def test_permission_matrix(
    client: TestClient, staff: dict[str, dict[str, str]], action: str
) -> None:
    """Each role tries once, in turn: a refusal is 403; an allowed role gets 200, or 409
    when one before it already did the work."""
    sue = staff["sue"]
    check_out(client, staff["frank"], "BK-101")
    task = task_of(tasks(client, sue), 101, "DEPARTURE")
    body = {"task_ids": [task["task_id"]], "assignee": "maria"}
    assert client.post(f"{BASE}/housekeeping/assign/", headers=sue, json=body).status_code == 200
    if action == "pass the inspection":
        send(client, sue, task, "start")
        send(client, sue, task, "finish")
        task = task_of(tasks(client, sue), 101, "INSPECTION")
    statuses = {who: _attempt(client, staff[who], action, task).status_code for who in ROLES}
    assert {who for who, status in statuses.items() if status != 403} == MATRIX[action], statuses
    assert set(statuses.values()) <= {200, 403, 409}, statuses


def _attempt(client: TestClient, who: dict[str, str], action: str, task: dict[str, Any]):
    if action == "plan":
        return client.post(f"{BASE}/housekeeping/plan/", headers=who, json={})
    if action == "assign":
        body = {"task_ids": [task["task_id"]], "assignee": "maria"}
        return client.post(f"{BASE}/housekeeping/assign/", headers=who, json=body)
    if action == "start the task":
        return send(client, who, task, "start")
    if action == "pass the inspection":
        return send(client, who, task, "pass_inspection")
    if action == "set flags":
        return client.post(f"{BASE}/rooms/102/flags/", headers=who, json={"make_up_room": True})
    return client.get(f"{BASE}/housekeeping/tasks/", headers=who)
