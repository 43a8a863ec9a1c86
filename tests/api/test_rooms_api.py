"""Rooms: list, detail with allowed events, housekeeping transitions, history."""

import pytest
from fastapi.testclient import TestClient

from tests.api.conftest import BASE, Headers, bearer, error, new_staff_token
from tests.conftest import HOTEL, snapshot


@pytest.fixture
def staff(api_hotel: str) -> Headers:
    """Here staff both clean and check in: a manager, whose role may fire both."""
    return bearer(new_staff_token(HOTEL, "maria", role="manager"))


ROOM = BASE + "/rooms/{}/"
TRANSITIONS = ROOM + "transitions/"
HISTORY = ROOM + "history/"


def fire(client: TestClient, headers: Headers, room: int, event: str, note: str | None = None):
    return client.post(
        TRANSITIONS.format(room), headers=headers, json={"event": event, "note": note}
    )


def test_list_and_status_filter(client: TestClient, staff: Headers):
    response = client.get(BASE + "/rooms/", headers=staff)
    assert response.status_code == 200
    body = response.json()
    assert [room["room_number"] for room in body["items"]] == [101, 102, 103, 104]
    assert body["total"] == 4
    assert set(body["items"][0]) == {
        "room_id",
        "room_number",
        "room_status",
        "is_occupied",
        "room_flags",
    }
    occupied = client.get(BASE + "/rooms/", params={"status": "OCCUPIED"}, headers=staff).json()
    assert [(r["room_number"], r["is_occupied"]) for r in occupied["items"]] == [
        (101, True),
        (103, True),
    ]
    bad = client.get(BASE + "/rooms/", params={"status": "DIRTY"}, headers=staff)
    assert error(bad) == (422, "VALIDATION_ERROR")
    assert "CHECKOUT_DIRTY" in bad.json()["error"]["details"][0]["message"]


def test_detail_lists_the_events_the_caller_may_fire(
    client: TestClient, staff: Headers, superuser: Headers
):
    as_staff = client.get(ROOM.format(101), headers=staff).json()
    assert as_staff == {
        "room_id": as_staff["room_id"],
        "room_number": 101,
        "room_status": "OCCUPIED",
        "is_occupied": True,
        "turnover_notes": "",
        "room_flags": {"do_not_disturb": False, "make_up_room": False, "service_declined": False},
        "allowed_events": ["check_out"],
    }
    as_admin = client.get(ROOM.format(101), headers=superuser).json()
    assert as_admin["allowed_events"] == ["check_out", "force_checkout"]
    dirty = client.get(ROOM.format(104), headers=staff).json()
    assert dirty["allowed_events"] == ["start_cleaning", "take_out_of_order"]


def test_every_allowed_housekeeping_event_works(client: TestClient, staff: Headers):
    """Walk the turnover cycle using only what `allowed_events` offers."""
    path = ["start_cleaning", "finish_cleaning", "fail_inspection", "take_out_of_order"]
    path += ["return_to_service", "start_cleaning", "finish_cleaning", "pass_inspection"]
    for event in path:
        assert event in client.get(ROOM.format(104), headers=staff).json()["allowed_events"]
        response = fire(client, staff, 104, event)
        assert response.status_code == 200, response.text
        assert response.json() == client.get(ROOM.format(104), headers=staff).json()
    assert response.json()["room_status"] == "READY_FOR_GUEST"


def test_refused_transition_names_event_and_state(client: TestClient, staff: Headers):
    before = snapshot()
    response = fire(client, staff, 101, "start_cleaning")
    assert error(response) == (409, "TRANSITION_NOT_ALLOWED")
    message = response.json()["error"]["message"]
    assert "start_cleaning" in message and "OCCUPIED" in message
    for event in ("fly", "check_out", "force_checkout", "check_in"):
        assert error(fire(client, staff, 101, event)) == (409, "TRANSITION_NOT_ALLOWED"), event
    assert error(fire(client, staff, 999, "start_cleaning")) == (404, "ROOM_NOT_FOUND")
    assert snapshot() == before


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"event": ""},
        {"event": 5},
        {"event": "x" * 65},
        {"event": "start_cleaning", "note": "n" * 1001},
        {"event": "start_cleaning", "note": 12},
        {"event": "start_cleaning", "colour": "red"},
        ["start_cleaning"],
        None,
    ],
)
def test_transition_refuses_malformed_bodies(client: TestClient, staff: Headers, body):
    before = snapshot()
    response = client.post(TRANSITIONS.format(104), headers=staff, json=body)
    assert error(response) == (422, "VALIDATION_ERROR")
    assert snapshot() == before


@pytest.mark.parametrize("number", ["0", "-1", "abc", "1.5", str(2**31), "9" * 40])
def test_room_number_out_of_range_is_422(client: TestClient, staff: Headers, number: str):
    assert error(client.get(BASE + f"/rooms/{number}/", headers=staff)) == (
        422,
        "VALIDATION_ERROR",
    )


def test_history_is_newest_first_and_paginated(client: TestClient, staff: Headers):
    for event in ("start_cleaning", "finish_cleaning", "pass_inspection"):
        fire(client, staff, 104, event, note=f"note {event}")

    history = client.get(HISTORY.format(104), headers=staff)

    assert history.status_code == 200
    body = history.json()
    assert body["total"] == 3
    assert [entry["event"] for entry in body["items"]] == [
        "pass_inspection",
        "finish_cleaning",
        "start_cleaning",
    ]
    newest = body["items"][0]
    assert newest == {
        "id": newest["id"],
        "event": "pass_inspection",
        "from_state": "CLEANED_UNINSPECTED",
        "to_state": "READY_FOR_GUEST",
        "actor": "maria",
        "source": "staff_housekeeping_endpoint",
        "note": "note pass_inspection",
        "details": None,
        "created_at": newest["created_at"],
    }
    assert newest["created_at"].endswith("Z")
    page = client.get(HISTORY.format(104), params={"limit": 1, "offset": 1}, headers=staff).json()
    assert [entry["event"] for entry in page["items"]] == ["finish_cleaning"]
    assert error(client.get(HISTORY.format(104), params={"limit": 500}, headers=staff)) == (
        422,
        "VALIDATION_ERROR",
    )
    assert client.get(HISTORY.format(101), headers=staff).json() == {
        "items": [],
        "total": 0,
        "limit": 50,
        "offset": 0,
    }
    assert error(client.get(HISTORY.format(301), headers=staff)) == (404, "ROOM_NOT_FOUND")
