"""Two checkouts of the same booking at the same moment: one transition, one winner, and
the loser gets the idempotent answer."""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

import workflows.services.scope as scope_module
from storage.models import Guest, OutboxEvent, Room, TransitionLog
from tests.conftest import ANNA, HOTEL, rows, seed, small_hotel
from workflows.services.checkout import BookingOutcome, BookingRef, checkout_booking


def race(count: int) -> list[BookingOutcome]:
    ref = BookingRef(HOTEL, "BK-1")
    with ThreadPoolExecutor(max_workers=count) as pool:
        futures = [
            pool.submit(checkout_booking, booking=ref, performed_by=ANNA, source=f"thread-{i}")
            for i in range(count)
        ]
        return [f.result(timeout=60) for f in futures]


def assert_exactly_one_checkout(outcomes: list[BookingOutcome]) -> None:
    assert sorted(o.unchanged for o in outcomes) == [False] + [True] * (len(outcomes) - 1)
    assert all(o.booking.status == "COMPLETED" for o in outcomes)
    assert [(e.entity_kind, e.event) for e in rows(TransitionLog)] == [
        ("booking", "check_out"),
        ("room", "check_out"),
        ("task", "create"),  # the room's departure cleaning, once
    ]
    assert [e.event_name for e in rows(OutboxEvent)] == [
        "booking-checked-out",
        "room-status-changed",
        "task-created",
    ]
    assert len(rows(Guest)) == 3


def test_simultaneous_checkouts(hotel: str) -> None:
    assert_exactly_one_checkout(race(4))


@pytest.mark.postgres
def test_both_read_before_either_writes_on_postgres(postgres_database: str, monkeypatch) -> None:
    """Force the worst interleaving: both transactions have loaded the booking as
    CHECKED_IN before either claims it. The compare-and-set lets exactly one through.
    (SQLite cannot interleave so: writers queue at BEGIN IMMEDIATE.)"""
    seed(small_hotel())
    both_loaded = threading.Barrier(2, timeout=60)
    real_load = scope_module.load_booking_with_room
    first_attempts = threading.local()

    def load_then_wait(session, hotel_slug, booking_id):
        loaded = real_load(session, hotel_slug, booking_id)
        if not getattr(first_attempts, "done", False):
            first_attempts.done = True
            both_loaded.wait()
        return loaded

    monkeypatch.setattr(scope_module, "load_booking_with_room", load_then_wait)
    assert_exactly_one_checkout(race(2))


@pytest.mark.postgres
def test_bulk_checkout_of_a_room_checked_out_meanwhile_reports_no_error(
    postgres_database: str, monkeypatch
) -> None:
    """Bulk checkout reads its rooms, then their in-house bookings. A single checkout that
    commits in between makes the room look like a ghost room (still OCCUPIED in the bulk's
    copy, no in-house booking): its compare-and-set loses, and the room is done again as it
    is now, already checked out. Found by tests/reliability/test_races.py, where the bulk
    answered CONCURRENT_UPDATE for such rooms. (SQLite cannot interleave so: the bulk
    holds the write lock from its first read.)"""
    import workflows.services.bulk_checkout as bulk_module

    seed(small_hotel())
    real_in_house = bulk_module._in_house_bookings
    single = []

    def single_checkout_commits_first(session, room_ids):
        if not single:
            single.append(checkout_booking(booking=BookingRef(HOTEL, "BK-1"), performed_by=ANNA))
        return real_in_house(session, room_ids)

    monkeypatch.setattr(bulk_module, "_in_house_bookings", single_checkout_commits_first)
    room_101 = next(r.id for r in rows(Room) if r.hotel_id == 1 and r.room_number == 101)

    result = bulk_module.bulk_checkout(hotel_slug=HOTEL, room_ids=[room_101], performed_by=ANNA)

    assert not single[0].unchanged
    assert (result.errors, result.checked_out_bookings, result.rooms_cleared) == ([], [], [])
    # Only the single checkout's transitions (with its departure task): none by the bulk.
    assert [(e.entity_kind, e.event, e.source) for e in rows(TransitionLog)] == [
        ("booking", "check_out", "staff_api"),
        ("room", "check_out", "staff_api"),
        ("task", "create", "staff_api"),
    ]
