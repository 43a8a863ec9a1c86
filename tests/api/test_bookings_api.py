"""Bookings: list with filters and pages, detail, check-in with an optional room."""

import pytest
from fastapi.testclient import TestClient

from tests.api.conftest import BASE, Headers, bearer, error, new_staff_token, seeded_stay
from tests.conftest import HOTEL, log, outbox, snapshot


@pytest.fixture
def staff(api_hotel: str) -> Headers:
    """Here staff both clean and check in: a manager, whose role may fire both."""
    return bearer(new_staff_token(HOTEL, "maria", role="manager"))


CHECK_IN = BASE + "/room-bookings/{}/check-in/"


def booking_ids(response) -> list[str]:
    assert response.status_code == 200, response.text
    return [booking["booking_id"] for booking in response.json()["items"]]


def test_list_shows_the_hotels_bookings_only(client: TestClient, staff: Headers):
    response = client.get(BASE + "/bookings/", headers=staff)
    assert booking_ids(response) == ["BK-1", "BK-2", "BK-3"]
    body = response.json()
    assert (body["total"], body["limit"], body["offset"]) == (3, 50, 0)
    assert body["items"][0] == {
        "booking_id": "BK-1",
        "status": "CHECKED_IN",
        "checked_in_at": body["items"][0]["checked_in_at"],
        "checked_out_at": None,
        "assigned_room": {"room_number": 101, "room_status": "OCCUPIED"},
        **seeded_stay(body["items"][0]),
    }
    assert body["items"][2]["assigned_room"] is None


def test_list_filters_and_pages(client: TestClient, staff: Headers):
    url = BASE + "/bookings/"
    assert booking_ids(client.get(url, params={"status": "CONFIRMED"}, headers=staff)) == [
        "BK-2",
        "BK-3",
    ]
    assert booking_ids(client.get(url, params={"room_number": 102}, headers=staff)) == ["BK-2"]
    assert booking_ids(client.get(url, params={"status": "COMPLETED"}, headers=staff)) == []
    page = client.get(url, params={"limit": 1, "offset": 1}, headers=staff)
    assert booking_ids(page) == ["BK-2"]
    assert page.json()["total"] == 3


@pytest.mark.parametrize(
    "params",
    [
        {"status": "checked_in"},
        {"status": "DONE"},
        {"limit": 0},
        {"limit": 201},
        {"offset": -1},
        {"offset": 10**20},
        {"room_number": "abc"},
        {"room_number": 2**31},
    ],
)
def test_list_refuses_bad_filters(client: TestClient, staff: Headers, params: dict):
    response = client.get(BASE + "/bookings/", params=params, headers=staff)
    assert error(response) == (422, "VALIDATION_ERROR")
    assert response.json()["error"]["details"][0]["field"].startswith("query.")


def test_detail(client: TestClient, staff: Headers):
    response = client.get(BASE + "/bookings/BK-2/", headers=staff)
    assert response.status_code == 200
    assert response.json() == {
        "booking_id": "BK-2",
        "status": "CONFIRMED",
        "checked_in_at": None,
        "checked_out_at": None,
        "assigned_room": {"room_number": 102, "room_status": "READY_FOR_GUEST"},
        **seeded_stay(response.json()),
    }
    assert error(client.get(BASE + "/bookings/BK-404/", headers=staff)) == (
        404,
        "BOOKING_NOT_FOUND",
    )


def test_check_in_the_assigned_room_without_a_body(client: TestClient, staff: Headers):
    response = client.post(CHECK_IN.format("BK-2"), headers=staff)

    assert response.status_code == 200
    assert response.json() == client.get(BASE + "/bookings/BK-2/", headers=staff).json()
    assert response.json()["status"] == "CHECKED_IN"
    assert response.json()["assigned_room"] == {"room_number": 102, "room_status": "OCCUPIED"}
    assert [name for name, _ in outbox()] == ["booking-checked-in", "room-status-changed"]
    assert [entry[-1] for entry in log()] == ["maria", "maria"]


def test_check_in_assigning_a_room(client: TestClient, staff: Headers):
    # 104 is dirty: refused; after housekeeping it is ready and the check-in works.
    refused = client.post(CHECK_IN.format("BK-3"), headers=staff, json={"room_number": 104})
    assert error(refused) == (409, "CHECKIN_FAILED")
    for event in ("start_cleaning", "finish_cleaning", "pass_inspection"):
        client.post(BASE + "/rooms/104/transitions/", headers=staff, json={"event": event})

    response = client.post(CHECK_IN.format("BK-3"), headers=staff, json={"room_number": 104})

    assert response.status_code == 200, response.text
    assert response.json()["assigned_room"] == {"room_number": 104, "room_status": "OCCUPIED"}


def test_check_in_errors(client: TestClient, staff: Headers):
    before = snapshot()
    cases = [
        ("BK-404", None, (404, "BOOKING_NOT_FOUND")),
        ("BK-3", None, (409, "CHECKIN_FAILED")),  # no room assigned and none named
        ("BK-3", {"room_number": 999}, (404, "ROOM_NOT_FOUND")),
        ("BK-3", {"room_number": 301}, (404, "ROOM_NOT_FOUND")),  # the other hotel's room
        ("BK-1", {"room_number": 102}, (409, "CHECKIN_FAILED")),  # in house elsewhere
    ]
    for booking_id, body, expected in cases:
        response = client.post(CHECK_IN.format(booking_id), headers=staff, json=body)
        assert error(response) == expected, (booking_id, body, response.text)
    assert snapshot() == before


def test_repeated_check_in_returns_the_booking_unchanged(client: TestClient, staff: Headers):
    first = client.post(CHECK_IN.format("BK-2"), headers=staff).json()
    events = len(outbox())
    again = client.post(CHECK_IN.format("BK-2"), headers=staff, json={"room_number": 102})
    assert (again.status_code, again.json()) == (200, first)
    assert len(outbox()) == events


@pytest.mark.parametrize(
    "content",
    [
        b"{not json",
        b"[1, 2]",
        b'"102"',
        b'{"room_number": "102"}',
        b'{"room_number": 102.5}',
        b'{"room_number": true}',
        b'{"room_number": -1}',
        b'{"room_number": 0}',
        b'{"room_number": 99999999999999999999999999}',
        b'{"room_number": 102, "force": true}',
    ],
)
def test_check_in_refuses_malformed_bodies(client: TestClient, staff: Headers, content: bytes):
    before = snapshot()
    headers = {**staff, "Content-Type": "application/json"}
    response = client.post(CHECK_IN.format("BK-2"), headers=headers, content=content)
    assert error(response) == (422, "VALIDATION_ERROR")
    assert response.json()["error"]["details"]
    assert snapshot() == before


CANCEL = BASE + "/room-bookings/{}/cancel/"
NO_SHOW = BASE + "/room-bookings/{}/no-show/"


@pytest.mark.parametrize(
    ("path", "status", "event"),
    [
        (CANCEL, "CANCELLED", "booking-cancelled"),
        (NO_SHOW, "NO_SHOW", "booking-no-show"),
    ],
)
def test_cancel_and_no_show_end_a_confirmed_booking(
    client: TestClient, staff: Headers, path: str, status: str, event: str
):
    response = client.post(path.format("BK-2"), headers=staff, json={"note": "phoned"})

    assert response.status_code == 200, response.text
    assert response.json() == client.get(BASE + "/bookings/BK-2/", headers=staff).json()
    assert response.json()["status"] == status
    assert [name for name, _ in outbox()] == [event]
    again = client.post(path.format("BK-2").rstrip("/"), headers=staff)  # no body, no slash
    assert (again.status_code, again.json()) == (200, response.json())
    assert len(outbox()) == 1


@pytest.mark.parametrize("path", [CANCEL, NO_SHOW])
def test_an_in_house_booking_cannot_be_cancelled(client: TestClient, staff: Headers, path: str):
    before = snapshot()
    response = client.post(path.format("BK-1"), headers=staff)
    assert error(response) == (409, "TRANSITION_NOT_ALLOWED")
    assert "CHECKED_IN" in response.json()["error"]["message"]
    assert error(client.post(path.format("BK-404"), headers=staff)) == (404, "BOOKING_NOT_FOUND")
    assert error(client.post(path.format("BK-2"), headers=staff, json={"note": 5})) == (
        422,
        "VALIDATION_ERROR",
    )
    assert snapshot() == before
