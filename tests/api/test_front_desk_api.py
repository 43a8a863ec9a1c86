"""The front desk over HTTP: the day's lists, history, bulk check-in, move, undo. The
request's clock is the test's (`request_now`), never the wall's."""

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.clock import request_now
from tests.api.conftest import Headers, bearer, error, new_staff_token
from tests.conftest import seed
from tests.front_desk_hotel import HOTEL, NOW, OTHER, at, front_desk_hotel

BASE = f"/api/staff/hotels/{HOTEL}"
BULK = f"/api/staff/hotel/{HOTEL}/bookings/check-in/"


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self):  # type: ignore[no-untyped-def]
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def client(database: str, clock: Clock) -> Iterator[TestClient]:
    seed(front_desk_hotel())
    app = create_app()
    app.dependency_overrides[request_now] = clock
    yield TestClient(app)


@pytest.fixture
def desk(client: TestClient) -> Headers:
    return bearer(new_staff_token(HOTEL, "fiona"))


@pytest.fixture
def manager(client: TestClient) -> Headers:
    return bearer(new_staff_token(HOTEL, "maeve", role="manager"))


def ok(response) -> dict:  # type: ignore[no-untyped-def]
    assert response.status_code == 200, response.text
    return response.json()


def test_a_booking_shows_its_stay(client: TestClient, desk: Headers):
    body = ok(client.get(BASE + "/bookings/BK-A2/", headers=desk))
    assert {k: body[k] for k in ("arrival_date", "departure_date", "adults", "notes")} == {
        "arrival_date": "2026-12-03",
        "departure_date": "2026-12-04",
        "adults": 1,
        "notes": "",
    }
    assert body["expected_arrival_time"] == "14:30"


def test_the_days_lists(client: TestClient, desk: Headers):
    arrivals = ok(client.get(BASE + "/arrivals/", headers=desk))
    assert arrivals["date"] == "2026-12-03"
    assert [i["booking"]["booking_id"] for i in arrivals["items"]] == ["BK-A2", "BK-A1", "BK-A3"]
    first = arrivals["items"][0]
    assert first["room"] == {"room_number": 102, "room_status": "READY_FOR_GUEST", "floor": 1}
    assert first["allowed_events"] == ["check_in", "cancel", "mark_no_show"]
    later = ok(client.get(BASE + "/arrivals/", params={"date": "2026-12-05"}, headers=desk))
    assert [i["booking"]["booking_id"] for i in later["items"]] == ["BK-FUT"]

    departures = ok(client.get(BASE + "/departures/", headers=desk))
    assert [(i["booking"]["booking_id"], i["late_departure"]) for i in departures["items"]] == [
        ("BK-LATE", True),
        ("BK-IN", False),
    ]
    in_house = ok(client.get(BASE + "/in-house/", params={"limit": 1}, headers=desk))
    assert (in_house["total"], in_house["date"], len(in_house["items"])) == (2, None, 1)


@pytest.mark.parametrize(
    "params", [{"date": "tomorrow"}, {"date": "2026-13-01"}, {"date": "0"}, {"day": "x"}]
)
def test_lists_refuse_bad_dates(client: TestClient, desk: Headers, params: dict):
    assert error(client.get(BASE + "/arrivals/", params=params, headers=desk)) == (
        422,
        "VALIDATION_ERROR",
    )


def test_lists_are_the_callers_hotel_only(client: TestClient, desk: Headers):
    other = f"/api/staff/hotels/{OTHER}/arrivals/"
    assert error(client.get(other, headers=desk)) == (403, "PERMISSION_DENIED")
    assert error(client.get(BASE + "/bookings/BK-G/history/", headers=desk)) == (
        404,
        "BOOKING_NOT_FOUND",
    )


def test_check_in_too_early_is_409_and_a_manager_may(client: TestClient, desk: Headers, manager):
    url = BASE + "/room-bookings/BK-FUT/check-in/"
    response = client.post(url, json={"room_number": 201}, headers=desk)
    assert error(response) == (409, "TOO_EARLY")
    assert (
        ok(client.post(url, json={"room_number": 201}, headers=manager))["status"] == "CHECKED_IN"
    )
    history = ok(client.get(BASE + "/bookings/BK-FUT/history/", headers=desk))
    assert "early check-in" in history["items"][0]["note"]


def test_check_in_on_the_arrival_day_follows_the_clock(client, desk: Headers, clock: Clock):
    clock.now = at(4, 23, 59)
    url = BASE + "/room-bookings/BK-FUT/check-in/"
    assert error(client.post(url, json={"room_number": 201}, headers=desk))[1] == "TOO_EARLY"
    clock.now = at(5, 0, 0)
    assert ok(client.post(url, json={"room_number": 201}, headers=desk))["status"] == "CHECKED_IN"


def test_bulk_check_in(client: TestClient, desk: Headers):
    body = {
        "bookings": [
            {"booking_id": "BK-A1", "room_number": 201},
            {"booking_id": "BK-IN"},
            {"booking_id": "BK-NOPE"},
            {"booking_id": "BK-G"},
            {"booking_id": "BK-A3", "room_number": 201},
            {"booking_id": "BK-A2"},
        ],
        "auto_assign": True,
    }
    answer = ok(client.post(BULK, json=body, headers=desk))
    assert answer["detail"] == f"Processed 6 booking(s) in hotel '{HOTEL}'"
    results = answer["results"]
    assert results["checked_in_bookings"] == ["BK-A1", "BK-A2"]
    assert results["assigned_rooms"] == [
        {"booking_id": "BK-A1", "room_number": 201, "auto_assigned": False},
        {"booking_id": "BK-A2", "room_number": 102, "auto_assigned": False},
    ]
    assert results["skipped"] == [{"booking_id": "BK-IN", "reason": "already checked in"}]
    assert [(e["booking_id"], e["code"]) for e in results["errors"]] == [
        ("BK-NOPE", "BOOKING_NOT_FOUND"),
        ("BK-G", "BOOKING_NOT_FOUND"),
        ("BK-A3", "ROOM_TAKEN"),
    ]


@pytest.mark.parametrize(
    "body",
    [
        {"bookings": []},
        {"bookings": [{"booking_id": f"B{n}"} for n in range(501)]},
        {"bookings": [{"booking_id": "BK-A1", "room": 201}]},
        {"bookings": [{"booking_id": "BK-A1"}], "auto_assign": "yes"},
        {"bookings": [{"booking_id": ""}]},
    ],
    ids=["empty", "over 500", "unknown field", "not a boolean", "blank id"],
)
def test_bulk_check_in_refuses_malformed_bodies(client: TestClient, desk: Headers, body: dict):
    assert error(client.post(BULK, json=body, headers=desk)) == (422, "VALIDATION_ERROR")


def test_move_and_its_refusals(client: TestClient, desk: Headers):
    url = BASE + "/room-bookings/BK-IN/move/"
    assert error(client.post(url, json={"to_room_number": 120}, headers=desk)) == (
        409,
        "ROOM_NOT_READY",
    )
    assert error(client.post(url, json={"to_room_number": "305"}, headers=desk))[0] == 422
    answer = ok(client.post(url, json={"to_room_number": 305, "reason": "shower"}, headers=desk))
    assert answer["message"] == "Booking moved to room 305"
    assert answer["booking"]["assigned_room"] == {"room_number": 305, "room_status": "OCCUPIED"}
    old = ok(client.get(BASE + "/rooms/110/", headers=desk))
    assert old["room_status"] == "CHECKOUT_DIRTY"
    history = ok(client.get(BASE + "/bookings/BK-IN/history/", headers=desk))
    assert history["items"][0]["event"] == "move"


def test_revert_and_reinstate(client: TestClient, desk: Headers, clock: Clock):
    assert ok(client.post(BASE + "/room-bookings/BK-A2/check-in/", headers=desk))
    revert = BASE + "/room-bookings/BK-A2/revert-check-in/"
    answer = ok(client.post(revert, json={"note": "wrong booking"}, headers=desk))
    assert answer["booking"]["status"] == "CONFIRMED"
    assert error(client.post(revert, headers=desk)) == (409, "UNDO_NOT_ALLOWED")

    assert ok(client.post(BASE + "/room-bookings/BK-IN/check-out/", headers=desk))
    reinstate = BASE + "/room-bookings/BK-IN/reinstate/"
    answer = ok(client.post(reinstate, headers=desk))
    assert answer["booking"]["status"] == "CHECKED_IN"
    assert "are not restored" in answer["message"]
    clock.now = at(5)
    late = BASE + "/room-bookings/BK-OUT/reinstate/"
    assert error(client.post(late, headers=desk)) == (409, "UNDO_NOT_ALLOWED")


def test_housekeepers_may_not_run_the_front_desk(client: TestClient):
    nora = bearer(new_staff_token(HOTEL, "nora", role="housekeeper"))
    move = client.post(
        BASE + "/room-bookings/BK-IN/move/", json={"to_room_number": 305}, headers=nora
    )
    assert error(move) == (403, "PERMISSION_DENIED")
    bulk = client.post(BULK, json={"bookings": [{"booking_id": "BK-A2"}]}, headers=nora)
    assert ok(bulk)["results"]["errors"][0]["code"] == "PERMISSION_DENIED"


PERIODS = BASE + "/rooms/{}/out-of-order/"


def test_out_of_order_periods(client: TestClient, manager: Headers, clock: Clock):
    body = {"from": "2026-12-05", "to": "2026-12-06", "reason": "repainting"}
    response = client.post(PERIODS.format(201), json=body, headers=manager)
    assert response.status_code == 201, response.text
    period = response.json()
    assert {k: period[k] for k in ("from", "to", "status", "room_status", "created_by")} == {
        "from": "2026-12-05",
        "to": "2026-12-06",
        "status": "SCHEDULED",
        "room_status": "READY_FOR_GUEST",
        "created_by": "maeve",
    }
    clash = client.post(PERIODS.format(201), json={**body, "from": "2026-12-06"}, headers=manager)
    assert error(clash) == (409, "PERIOD_CLASH")
    url = PERIODS.format(201) + f"{period['period_id']}/"
    shortened = ok(client.patch(url, json={"to": "2026-12-05"}, headers=manager))
    assert shortened["to"] == "2026-12-05"
    listed = ok(client.get(PERIODS.format(201), headers=manager))
    assert [p["period_id"] for p in listed["items"]] == [period["period_id"]]
    assert ok(client.post(url + "cancel/", headers=manager))["status"] == "CANCELLED"
    assert error(client.post(PERIODS.format(201) + "999/cancel/", headers=manager)) == (
        404,
        "PERIOD_NOT_FOUND",
    )


@pytest.mark.parametrize(
    "body",
    [
        {"from": "2026-12-02", "to": "2026-12-04"},  # yesterday (the hotel's)
        {"from": "2026-12-05", "to": "2026-12-04"},
        {"from": 20261205, "to": "2026-12-06"},
        {"from": 0, "to": "2026-12-06"},
        {"from": "5 Dec", "to": "2026-12-06"},
        {"from": "2026-12-05"},
        {"from": "2026-12-05", "to": "2026-12-06", "room": 1},
    ],
)
def test_out_of_order_bodies_refused(client: TestClient, manager: Headers, body: dict):
    assert error(client.post(PERIODS.format(201), json=body, headers=manager)) == (
        422,
        "VALIDATION_ERROR",
    )


def test_front_desk_may_not_take_rooms_out_of_order(client: TestClient, desk: Headers):
    body = {"from": "2026-12-05", "to": "2026-12-06"}
    assert error(client.post(PERIODS.format(201), json=body, headers=desk)) == (
        403,
        "PERMISSION_DENIED",
    )
