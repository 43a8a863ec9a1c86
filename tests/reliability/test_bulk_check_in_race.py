"""Concurrent bulk check-ins on PostgreSQL, from several processes: a coach party checked
in at four desks at once, every request auto-assigning from the same free rooms, some
bookings in two requests. Afterwards the database alone must show that no room was given
to two bookings and that every booking was checked in at most once.

Each process runs the bulk check-in service in its own transaction against the shared
database (what two API workers do); they meet at a barrier so the requests overlap.
"""

import multiprocessing
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime
from typing import Any

import pytest

from storage.models import Booking, Room, TransitionLog
from tests.conftest import rows, seed
from tests.reliability.test_races import database_url

pytestmark = pytest.mark.postgres

HOTEL = "hotel-coach"
DESKS = 4
OWN = 12  # bookings only one desk asks for
SHARED = 4  # bookings every desk asks for
ROOMS = 40  # fewer than the bookings: some desks run out
NOW = datetime(2026, 12, 3, 10, 0, tzinfo=UTC)


def coach_hotel() -> dict[str, Any]:
    bookings = [f"BK-D{desk}-{n}" for desk in range(DESKS) for n in range(OWN)]
    bookings += [f"BK-S{n}" for n in range(SHARED)]
    return {
        "hotels": [{"slug": HOTEL}],
        "rooms": [
            {"hotel": HOTEL, "room_number": 100 + n, "room_status": "READY_FOR_GUEST"}
            for n in range(ROOMS)
        ],
        "bookings": [
            {
                "hotel": HOTEL,
                "booking_id": booking_id,
                "arrival_date": "2026-12-03",
                "departure_date": "2026-12-04",
            }
            for booking_id in bookings
        ],
    }


_barrier: Any = None


def _init(barrier: Any) -> None:
    global _barrier
    _barrier = barrier


def _desk(url: str, desk: int) -> dict[str, Any]:
    """One desk's bulk check-in, in a process of its own."""
    from storage.database import use_database
    from workflows.machines.actors import Actor, Role
    from workflows.services.bulk_check_in import CheckInRequestItem, bulk_check_in

    use_database(url)
    items = [CheckInRequestItem(f"BK-D{desk}-{n}") for n in range(OWN)]
    items += [CheckInRequestItem(f"BK-S{n}") for n in range(SHARED)]
    _barrier.wait(60)
    result = bulk_check_in(
        hotel_slug=HOTEL,
        bookings=items,
        auto_assign=True,
        performed_by=Actor(username=f"desk{desk}", role=Role.FRONT_DESK),
        now=NOW,
    )
    return {
        "checked_in": result.checked_in_bookings,
        "rooms": [(a.booking_id, a.room_number) for a in result.assigned_rooms],
        "skipped": [s.booking_id for s in result.skipped],
        "errors": [(e.booking_id, e.code) for e in result.errors],
    }


def test_concurrent_bulk_check_ins_never_share_a_room(postgres_database: str):
    seed(coach_hotel())
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(DESKS)
    with ProcessPoolExecutor(
        DESKS, mp_context=context, initializer=_init, initargs=(barrier,)
    ) as pool:
        futures = [pool.submit(_desk, database_url(), desk) for desk in range(DESKS)]
        answers = [future.result(timeout=300) for future in futures]

    # What the desks were told agrees with itself: each booking checked in by one desk,
    # each room given once.
    told = Counter(b for answer in answers for b in answer["checked_in"])
    assert max(told.values()) == 1, told
    given = Counter(room for answer in answers for _, room in answer["rooms"])
    assert max(given.values()) == 1, given
    # The bookings left without a room are told ROOM_TAKEN; a booking another desk
    # checked in at the same moment is reported skipped, not refused.
    refused = {b for answer in answers for b, code in answer["errors"] if code == "ROOM_TAKEN"}
    assert all(code == "ROOM_TAKEN" for answer in answers for _, code in answer["errors"])
    assert not refused & set(told)
    assert len(refused) == DESKS * OWN + SHARED - ROOMS

    # The database agrees.
    bookings = rows(Booking)
    in_house = [b for b in bookings if b.status == "CHECKED_IN"]
    assert len(in_house) == ROOMS  # every room went to someone, no more
    assert len({b.assigned_room_id for b in in_house}) == ROOMS
    assert sorted(told) == sorted(b.booking_id for b in in_house)
    assert all(r.room_status == "OCCUPIED" and r.is_occupied for r in rows(Room))
    check_ins = Counter(e.entity_ref for e in rows(TransitionLog) if e.event == "check_in")
    booking_refs = {b.booking_id for b in bookings}
    assert all(check_ins[ref] == 1 for ref in told)
    assert sum(check_ins[ref] for ref in booking_refs) == ROOMS
    print(
        f"\n{DESKS} desks, {len(bookings)} bookings, {ROOMS} rooms: "
        f"{len(in_house)} checked in, errors {Counter(c for a in answers for _, c in a['errors'])}"
    )
