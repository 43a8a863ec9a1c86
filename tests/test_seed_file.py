"""Seed files: loaded whole, or refused with every problem named and nothing written."""

import copy
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from admin.seed_file import load_seed
from storage.models import Booking, Guest, Hotel, Room, RoomServiceOrder, Staff, StaffToken
from storage.unit_of_work import UnitOfWork
from tests.conftest import HOTEL, rows, seed, small_hotel, snapshot
from workflows.machines.errors import InvalidSeed
from workflows.services.staff_accounts import hash_token, staff_for_token


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
    "unknown time zone": (
        lambda d: d["hotels"][0].update(timezone="Europe/Atlantis"),
        "hotels[0].timezone: Value error, 'Europe/Atlantis' is not an IANA time zone",
    ),
    "impossible date": (
        lambda d: d["bookings"][0].update(arrival_date="2026-02-30"),
        "bookings[0].arrival_date: Value error, '2026-02-30' is not a date (YYYY-MM-DD)",
    ),
    "departure before arrival": (
        lambda d: d["bookings"][0].update(arrival_date="2026-03-02", departure_date="2026-03-01"),
        "bookings[0].departure_date: 2026-03-01 is not after the arrival date 2026-03-02",
    ),
    "check-in time not HH:MM": (
        lambda d: d["hotels"][0].update(check_in_time="3pm"),
        "hotels[0].check_in_time:",
    ),
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


STRICT_CASES = {
    "misspelled key": (
        lambda d: d["rooms"][0].update(room_stauts="OCCUPIED"),
        "rooms[0].room_stauts: unknown key; the keys are hotel, room_number, room_status,",
    ),
    "misspelled section": (
        lambda d: d.update(bokings=[]),
        "bokings: unknown section; the sections are hotels, staff, rooms, bookings,",
    ),
    "misspelled guest key": (
        lambda d: d["bookings"][0]["guests"][0].update(firstname="M"),
        "bookings[0].guests[0].firstname: unknown key; the keys are first_name, last_name",
    ),
    "string for a boolean": (
        lambda d: d["staff"][1].update(is_superuser="yes"),
        "staff[1].is_superuser: Input should be a valid boolean",
    ),
    "string for a number": (
        lambda d: d["rooms"][0].update(room_number="101"),
        "rooms[0].room_number: Input should be a valid integer",
    ),
    "float for a number": (
        lambda d: d["bookings"][0].update(room_number=101.0),
        "bookings[0].room_number: Input should be a valid integer",
    ),
    "unknown role": (
        lambda d: d["staff"][0].update(role="chef"),
        "staff[0].role: 'chef' is not a role; roles are front_desk, housekeeper",
    ),
    "blank username": (lambda d: d["staff"][0].update(username="  "), "staff[0].username:"),
    "usernames differing in case": (
        lambda d: d["staff"].append({"hotel": HOTEL, "username": "ANNA"}),
        "staff[2].username: 'ANNA' appears twice in the file (usernames ignore case)",
    ),
    "NUL in a string": (
        lambda d: d["bookings"][0]["guests"][0].update(first_name="M\x00ry"),
        "bookings[0].guests[0].first_name: contains the NUL character",
    ),
    "record not an object": (lambda d: d["rooms"].append(7), "rooms[5]: Input should be"),
    "section not a list": (lambda d: d.update(staff={}), "staff: must be a list of records"),
}


@pytest.mark.parametrize("case", list(STRICT_CASES))
def test_the_file_is_as_strict_as_the_api(sqlite_database: str, case: str) -> None:
    change, expected = STRICT_CASES[case]
    with pytest.raises(InvalidSeed) as invalid:
        seed(broken(change))
    assert expected in invalid.value.message
    assert rows(Hotel) == []


def test_schema_and_meaning_problems_are_reported_in_one_run(sqlite_database: str) -> None:
    def problems(d: dict) -> None:
        d["rooms"][0]["room_stauts"] = "OCCUPIED"  # schema: unknown key (room 101 is refused)
        d["staff"][1]["is_superuser"] = "yes"  # schema: no coercion
        d["bookings"][1]["status"] = "CHECKED_IN"  # meaning: room 102 is READY_FOR_GUEST
        d["room_service_orders"][0]["room_number"] = 555  # meaning: no such room

    with pytest.raises(InvalidSeed) as invalid:
        seed(broken(problems))
    lines = invalid.value.message.splitlines()[1:]
    assert [line.strip().split(":")[0] for line in lines] == [
        "staff[1].is_superuser",
        "rooms[0].room_stauts",
        "bookings[1].status",
        "room_service_orders[0].room_number",
    ]
    # Room 101's record was refused, so what refers to it is not reported again.
    assert "has no room 101" not in invalid.value.message


def test_loading_rows_already_there_names_each_and_update_updates_them(database: str) -> None:
    seed(small_hotel())
    with pytest.raises(InvalidSeed) as invalid:
        seed(small_hotel())
    message = invalid.value.message
    for expected in (
        f"hotels[0].slug: hotel '{HOTEL}' is already in the database",
        "staff[0].username: staff member 'anna' is already in the database",
        f"rooms[0].room_number: room 101 of hotel '{HOTEL}' is already in the database",
        "bookings[0].booking_id: booking 'BK-1' is already in the database",
    ):
        assert expected in message
    assert "appears twice" not in message

    with UnitOfWork() as uow:
        summary = load_seed(
            uow.session,
            {
                "hotels": [{"slug": HOTEL, "name": "Killarney Park"}],
                "staff": [{"hotel": HOTEL, "username": "ANNA", "role": "supervisor"}],
                "rooms": [{"hotel": HOTEL, "room_number": 102, "room_status": "OCCUPIED"}],
                "bookings": [
                    {"hotel": HOTEL, "booking_id": "BK-2", "status": "CHECKED_IN"},
                    {"hotel": HOTEL, "booking_id": "BK-9", "guests": [{"first_name": "Ann"}]},
                ],
            },
            update=True,
        )
        uow.commit()
    assert summary.describe() == (
        "Loaded 1 bookings; updated 1 hotels, 1 staff, 1 rooms, 1 bookings."
    )
    hotel = rows(Hotel)[0]
    assert hotel.name == "Killarney Park"
    anna = next(s for s in rows(Staff) if s.username == "anna")
    assert anna.role == "supervisor" and anna.username == "anna"  # the name stays as stored
    room_102 = next(r for r in rows(Room) if r.hotel_id == hotel.id and r.room_number == 102)
    assert room_102.room_status == "OCCUPIED" and room_102.is_occupied
    bk2 = next(b for b in rows(Booking) if b.booking_id == "BK-2")
    assert bk2.status == "CHECKED_IN" and bk2.checked_in_at and bk2.assigned_room_id == room_102.id
    sean = next(g for g in rows(Guest) if g.first_name == "Sean")
    assert sean.room_id == room_102.id  # guests follow their booking in house


def test_update_refuses_what_would_break_the_rules(database: str) -> None:
    seed(small_hotel())
    before = snapshot()
    with pytest.raises(InvalidSeed) as invalid, UnitOfWork() as uow:
        load_seed(
            uow.session,
            {
                "hotels": [],
                "rooms": [{"hotel": HOTEL, "room_number": 101, "room_status": "READY_FOR_GUEST"}],
                "bookings": [
                    {"hotel": HOTEL, "booking_id": "BK-2", "status": "CHECKED_IN"},
                    {"hotel": HOTEL, "booking_id": "BK-3", "status": "CHECKED_IN",
                     "room_number": 102},
                ],
            },
            update=True,
        )  # fmt: skip
    message = invalid.value.message
    assert (
        "rooms[0].room_status: booking 'BK-1' is CHECKED_IN in room 101, which must stay"
        " OCCUPIED (check it out first)"
    ) in message
    assert "bookings[0].status: CHECKED_IN but room 102 is READY_FOR_GUEST" in message
    assert "bookings[1].room_number: room 102 already has an in-house booking" in message
    assert snapshot() == before


def test_update_gives_a_seeded_member_the_files_token(sqlite_database: str) -> None:
    seed(small_hotel())
    token = "anna-token-from-the-file-0123"
    file = {"hotels": [], "staff": [{"hotel": HOTEL, "username": "anna", "token": token}]}
    with UnitOfWork() as uow:
        load_seed(uow.session, file, update=True)
        load_seed(uow.session, file, update=True)  # again: nothing more to do
        uow.commit()
    with UnitOfWork(write=False) as uow:
        assert staff_for_token(uow.session, token).username == "anna"
    assert [(t.name, t.revoked_at) for t in rows(StaffToken)] == [("seed", None)]


def test_stays_default_to_the_hotels_today_and_floors_to_the_hundreds(
    sqlite_database: str,
) -> None:
    """A file without dates (written before stays had them) still loads: the stay starts on
    the hotel's local today. Auckland is ahead of UTC, so its today is never behind UTC's."""
    data = copy.deepcopy(small_hotel())
    data["hotels"][0]["timezone"] = "Pacific/Auckland"
    data["rooms"][0]["floor"] = 7
    seed(data)
    auckland_today = datetime.now(ZoneInfo("Pacific/Auckland")).date()
    stays = {b.booking_id: (b.arrival_date, b.departure_date) for b in rows(Booking)}
    assert stays["BK-1"] == (auckland_today, auckland_today + timedelta(days=1))
    floors = {r.room_number: r.floor for r in rows(Room) if r.hotel_id == 1}
    assert floors[101] == 7 and floors[102] == 1


def test_stay_details_load_and_update_keeps_what_the_file_leaves_out(
    sqlite_database: str,
) -> None:
    data = copy.deepcopy(small_hotel())
    data["hotels"][0] |= {"timezone": "America/Los_Angeles", "check_in_time": "16:30"}
    data["bookings"][1] |= {
        "arrival_date": "2026-12-24",
        "departure_date": "2026-12-27",
        "expected_arrival_time": "18:15",
        "adults": 2,
        "notes": "Late arrival, cot needed",
    }
    seed(data)
    hotel = next(h for h in rows(Hotel) if h.slug == HOTEL)
    assert (hotel.timezone, hotel.check_in_time) == ("America/Los_Angeles", time(16, 30))
    booking = next(b for b in rows(Booking) if b.booking_id == data["bookings"][1]["booking_id"])
    assert (booking.arrival_date, booking.departure_date) == (
        date(2026, 12, 24),
        date(2026, 12, 27),
    )
    assert (booking.expected_arrival_time, booking.adults) == (time(18, 15), 2)
    assert booking.notes == "Late arrival, cot needed"

    later = {
        "hotels": [],
        "bookings": [
            {"hotel": HOTEL, "booking_id": booking.booking_id, "departure_date": "2026-12-28"}
        ],
    }
    with UnitOfWork() as uow:
        load_seed(uow.session, later, update=True)
        uow.commit()
    updated = next(b for b in rows(Booking) if b.booking_id == booking.booking_id)
    assert (updated.arrival_date, updated.departure_date) == (
        date(2026, 12, 24),
        date(2026, 12, 28),
    )
    assert updated.notes == "Late arrival, cot needed" and updated.adults == 2

    too_early = copy.deepcopy(later)
    too_early["bookings"][0]["departure_date"] = "2026-12-24"
    with (
        pytest.raises(InvalidSeed, match="2026-12-24 is not after the arrival date 2026-12-24"),
        UnitOfWork() as uow,
    ):
        load_seed(uow.session, too_early, update=True)
