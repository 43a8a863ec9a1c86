"""Seed files: loaded whole, or refused with every problem named and nothing written."""

import copy
from typing import Any

import pytest

from storage.models import Booking, Guest, Hotel, Room, RoomServiceOrder, Staff, StaffToken
from tests.conftest import HOTEL, rows, seed, small_hotel, snapshot
from workflows.machines.errors import InvalidSeed
from workflows.services.staff_accounts import hash_token


def test_a_good_file_loads_everything(database: str) -> None:
    seed(small_hotel())
    assert [h.slug for h in rows(Hotel)] == [HOTEL, "hotel-galway"]
    rooms = {(r.hotel_id, r.room_number): r for r in rows(Room)}
    assert rooms[1, 101].is_occupied and rooms[1, 101].fcm_token == "f-101"
    assert not rooms[1, 102].is_occupied
    in_house = next(b for b in rows(Booking) if b.booking_id == "BK-1")
    assert in_house.assigned_room_id == rooms[1, 101].id and in_house.checked_in_at
    mary = next(g for g in rows(Guest) if g.first_name == "Mary")
    assert mary.room_id == rooms[1, 101].id
    sean = next(g for g in rows(Guest) if g.first_name == "Sean")
    assert sean.room_id is None  # BK-2 is only confirmed
    assert len(rows(RoomServiceOrder)) == 3


def test_only_hotels_are_required(sqlite_database: str) -> None:
    seed({"hotels": [{"slug": "tiny"}]})
    assert [h.name for h in rows(Hotel)] == ["tiny"]


def test_preset_tokens_are_stored_hashed(sqlite_database: str) -> None:
    data = {
        "hotels": [{"slug": "h"}],
        "staff": [{"hotel": "h", "username": "anna", "token": "a-preset-token-of-length"}],
    }
    seed(data)
    (anna,) = rows(Staff)
    (token,) = rows(StaffToken)
    assert token.staff_id == anna.id and token.name == "seed"
    assert token.token_hash == hash_token("a-preset-token-of-length")
    assert "a-preset-token-of-length" not in str(snapshot())


def broken(change) -> dict[str, Any]:
    data = copy.deepcopy(small_hotel())
    change(data)
    return data


BAD_FILES = {
    "missing hotels": (lambda d: d.pop("hotels"), "hotels: required"),
    "unknown room state": (
        lambda d: d["rooms"][1].update(room_status="SPARKLING"),
        "rooms[1].room_status: 'SPARKLING' is not one of",
    ),
    "unknown booking state": (
        lambda d: d["bookings"][0].update(status="PAID"),
        "bookings[0].status: 'PAID' is not one of",
    ),
    "wrong type": (
        lambda d: d["rooms"][0].update(room_number="one-oh-one"),
        "rooms[0].room_number:",
    ),
    "negative room": (lambda d: d["rooms"][0].update(room_number=-1), "rooms[0].room_number:"),
    "unknown hotel": (
        lambda d: d["rooms"][0].update(hotel="nowhere"),
        "rooms[0].hotel: unknown hotel 'nowhere'",
    ),
    "duplicate room": (
        lambda d: d["rooms"].append(dict(d["rooms"][1])),
        "rooms[5].room_number: room 102 appears twice",
    ),
    "in house in a ready room": (
        lambda d: d["bookings"][1].update(status="CHECKED_IN"),
        "bookings[1].status: CHECKED_IN but room 102 is READY_FOR_GUEST, not OCCUPIED",
    ),
    "in house without room": (
        lambda d: d["bookings"][2].update(status="CHECKED_IN"),
        "bookings[2].room_number: a CHECKED_IN booking needs a room",
    ),
    "two guests parties in one room": (
        lambda d: d["bookings"].append(
            {"hotel": HOTEL, "booking_id": "BK-9", "status": "CHECKED_IN", "room_number": 101}
        ),
        "bookings[4].room_number: room 101 already has an in-house booking",
    ),
    "order for unknown room": (
        lambda d: d["room_service_orders"][0].update(room_number=555),
        f"room_service_orders[0].room_number: hotel '{HOTEL}' has no room 555",
    ),
    "unknown order status": (
        lambda d: d["room_service_orders"][0].update(status="EATEN"),
        "room_service_orders[0].status: 'EATEN' is not one of",
    ),
    "bad slug": (lambda d: d["hotels"][0].update(slug="Hotel Killarney!"), "hotels[0].slug:"),
}


@pytest.mark.parametrize("case", list(BAD_FILES))
def test_a_bad_file_names_the_record_and_loads_nothing(sqlite_database: str, case: str) -> None:
    change, expected = BAD_FILES[case]
    with pytest.raises(InvalidSeed) as invalid:
        seed(broken(change))
    assert expected in invalid.value.message
    assert rows(Hotel) == [] and rows(Room) == []


def test_every_problem_is_reported_at_once(sqlite_database: str) -> None:
    def two_problems(d: dict) -> None:
        d["rooms"][0]["room_status"] = "SPARKLING"
        d["bookings"][0]["status"] = "PAID"

    with pytest.raises(InvalidSeed) as invalid:
        seed(broken(two_problems))
    assert "rooms[0].room_status" in invalid.value.message
    assert "bookings[0].status" in invalid.value.message


def test_loading_the_same_hotel_twice_is_refused(database: str) -> None:
    seed(small_hotel())
    before = snapshot()
    with pytest.raises(InvalidSeed) as invalid:
        seed(small_hotel())
    assert (
        f"hotels[0].slug: hotel '{HOTEL}' is already in the database "
        "(turnover seed --update updates it)"
    ) in invalid.value.message
    assert "appears twice" not in invalid.value.message
    assert snapshot() == before


def test_a_later_file_can_add_rooms_to_an_existing_hotel(database: str) -> None:
    seed(small_hotel())
    seed({"hotels": [], "rooms": [{"hotel": HOTEL, "room_number": 301}]})
    assert 301 in [r.room_number for r in rows(Room)]
    with pytest.raises(InvalidSeed, match=r"room 101 of hotel '.*' is already in the database"):
        seed({"hotels": [], "rooms": [{"hotel": HOTEL, "room_number": 101}]})
