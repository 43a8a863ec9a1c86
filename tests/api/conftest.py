"""API fixtures: a TestClient on the per-test database, and bearer tokens for staff."""

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from storage.unit_of_work import UnitOfWork
from tests.conftest import HOTEL, seed
from workflows.services.lookups import load_hotel
from workflows.services.staff_accounts import create_staff

OTHER_HOTEL = "hotel-galway"
BASE = f"/api/staff/hotels/{HOTEL}"
BULK = f"/api/staff/hotel/{HOTEL}/rooms/checkout/"

Headers = dict[str, str]


def bearer(token: str) -> Headers:
    return {"Authorization": f"Bearer {token}"}


def new_staff_token(
    hotel_slug: str, username: str, *, superuser: bool = False, role: str = "front_desk"
) -> str:
    with UnitOfWork() as uow:
        hotel = load_hotel(uow.session, hotel_slug)
        _, token = create_staff(
            uow.session, hotel_id=hotel.id, username=username, is_superuser=superuser, role=role
        )
        uow.commit()
    return token


@pytest.fixture
def api_hotel(hotel: str) -> str:
    """The conftest's small hotel, plus a room only the other hotel has (number 301)."""
    seed(
        {
            "hotels": [],
            "rooms": [{"hotel": OTHER_HOTEL, "room_number": 301, "room_status": "CHECKOUT_DIRTY"}],
        }
    )
    return hotel


@pytest.fixture
def client(api_hotel: str) -> TestClient:
    return TestClient(create_app())


@pytest.fixture
def staff(api_hotel: str) -> Headers:
    """A plain staff member of the hotel in BASE (front desk)."""
    return bearer(new_staff_token(HOTEL, "maria"))


@pytest.fixture
def superuser(api_hotel: str) -> Headers:
    return bearer(new_staff_token(HOTEL, "root", superuser=True))


@pytest.fixture
def other_staff(api_hotel: str) -> Headers:
    """Staff of the other hotel."""
    return bearer(new_staff_token(OTHER_HOTEL, "sean"))


@pytest.fixture
def room_ids(client: TestClient, staff: Headers) -> Callable[[str], dict[int, int]]:
    """room number -> room id, as a client learns them from the room list."""

    def lookup(hotel_slug: str = HOTEL, headers: Headers | None = None) -> dict[int, int]:
        response = client.get(f"/api/staff/hotels/{hotel_slug}/rooms/", headers=headers or staff)
        assert response.status_code == 200, response.text
        return {room["room_number"]: room["room_id"] for room in response.json()["items"]}

    return lookup


def error(response: Any) -> tuple[int, str]:
    """(status, code) of an error response, checking the envelope on the way."""
    body = response.json()
    assert set(body) == {"error"}, body
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    return response.status_code, body["error"]["code"]


def seeded_stay(booking: dict[str, Any]) -> dict[str, Any]:
    """The stay of a booking seeded without dates, as the API shows it: one night from the
    hotel's day it was seeded (read from the answer), no expected time, one adult."""
    arrival = date.fromisoformat(booking["arrival_date"])
    return {
        "arrival_date": arrival.isoformat(),
        "departure_date": (arrival + timedelta(days=1)).isoformat(),
        "expected_arrival_time": None,
        "adults": 1,
        "notes": "",
    }
