"""Concurrent multi-row writes take their row locks in one global order (rooms by id, a
room's bookings before the room), so two bulk checkouts over the same rooms in opposite or
random orders cannot deadlock; a deadlock or serialization failure that happens anyway is
retried as a whole unit of work, like a lost compare-and-set."""

import random
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from storage.database import get_engine
from storage.models import Booking, Room, TransitionLog
from storage.unit_of_work import UnitOfWork
from tests.conftest import ANNA, HOTEL, rows, seed
from workflows.services.bulk_checkout import BulkCheckoutResult, bulk_checkout
from workflows.services.retries import retry_on_conflict

ROOMS = 50


def in_house_hotel(rooms: int = ROOMS) -> dict[str, Any]:
    numbers = [100 + n for n in range(rooms)]
    return {
        "hotels": [{"slug": HOTEL}],
        "rooms": [{"hotel": HOTEL, "room_number": r, "room_status": "OCCUPIED"} for r in numbers],
        "bookings": [
            {
                "hotel": HOTEL,
                "booking_id": f"BK-{r}",
                "status": "CHECKED_IN",
                "room_number": r,
                "guests": [{"first_name": f"Guest {r}"}],
            }
            for r in numbers
        ],
        "chat_sessions": [{"hotel": HOTEL, "room_number": r} for r in numbers[::2]],
    }


def concurrent_bulk_checkouts(orders: list[list[int]]) -> list[BulkCheckoutResult]:
    start = threading.Barrier(len(orders), timeout=30)

    def run(room_ids: list[int]) -> BulkCheckoutResult:
        start.wait()
        return bulk_checkout(hotel_slug=HOTEL, room_ids=room_ids, performed_by=ANNA)

    with ThreadPoolExecutor(len(orders)) as pool:
        return [f.result(timeout=120) for f in [pool.submit(run, o) for o in orders]]


def assert_each_room_checked_out_once(results: list[BulkCheckoutResult]) -> None:
    assert [r.errors for r in results] == [[] for _ in results]
    reported = Counter(b for r in results for b in r.checked_out_bookings)
    assert set(reported.values()) == {1}
    assert sorted(reported) == sorted(b.booking_id for b in rows(Booking))
    assert {b.status for b in rows(Booking)} == {"COMPLETED"}
    assert {r.room_status for r in rows(Room)} == {"CHECKOUT_DIRTY"}
    checkouts = Counter(e.entity_id for e in rows(TransitionLog) if e.entity_kind == "booking")
    assert set(checkouts.values()) == {1} and len(checkouts) == ROOMS


@pytest.mark.postgres
@pytest.mark.parametrize("round_", range(3))
def test_bulk_checkouts_in_opposite_and_random_orders_on_postgres(
    postgres_database: str, round_: int
) -> None:
    seed(in_house_hotel())
    ids = [room.id for room in rows(Room)]
    shuffled = random.Random(round_).sample(ids, len(ids))
    results = concurrent_bulk_checkouts([ids, ids[::-1], shuffled, shuffled[::-1]])
    assert_each_room_checked_out_once(results)


def wait_until(condition, what: str, ceiling: float = 30.0) -> None:
    deadline = time.monotonic() + ceiling
    while not condition():
        assert time.monotonic() < deadline, f"gave up waiting for {what}"
        time.sleep(0.02)


def waiting_for_a_lock(pid: int) -> bool:
    with get_engine().connect() as connection:
        query = text("SELECT wait_event_type FROM pg_stat_activity WHERE pid = :pid")
        return connection.execute(query, {"pid": pid}).scalar() == "Lock"


@pytest.mark.postgres
def test_a_deadlock_all_the_same_reruns_the_whole_bulk_checkout(
    postgres_database: str, monkeypatch
) -> None:
    """Another transaction locks in the opposite order: it holds room 101's booking and then
    asks for room 100's, which the bulk holds. PostgreSQL rolls the bulk back (the other
    session's deadlock_timeout is set long, so the bulk is the one that notices); the bulk
    runs again from the start and succeeds, with no error and each room done once."""
    import workflows.services.bulk_checkout as bulk_module

    seed(in_house_hotel(rooms=2))
    room_ids = [room.id for room in rows(Room)]
    first, second = (b.id for b in sorted(rows(Booking), key=lambda b: b.assigned_room_id))
    other = get_engine().connect()
    other.execute(text("SET deadlock_timeout = '60s'"))
    other.execute(text("SELECT id FROM booking WHERE id = :id FOR UPDATE"), {"id": second})
    other_pid = other.execute(text("SELECT pg_backend_pid()")).scalar_one()
    attempts = []
    real_check_out = bulk_module._RoomJob.check_out

    def check_out_then_let_the_other_ask(self, room, bookings):
        done = real_check_out(self, room, bookings)
        attempts.append(room.id)
        if len(attempts) == 1:  # holds room 100 and its booking now
            asking = threading.Thread(target=lock_first_booking_then_roll_back, daemon=True)
            asking.start()
            wait_until(lambda: waiting_for_a_lock(other_pid), "the other session to wait")
        return done

    def lock_first_booking_then_roll_back() -> None:
        other.execute(text("SELECT id FROM booking WHERE id = :id FOR UPDATE"), {"id": first})
        other.rollback()

    monkeypatch.setattr(bulk_module._RoomJob, "check_out", check_out_then_let_the_other_ask)
    try:
        result = bulk_checkout(hotel_slug=HOTEL, room_ids=room_ids[::-1], performed_by=ANNA)
    finally:
        other.close()

    assert result.errors == []
    assert result.checked_out_bookings == ["BK-101", "BK-100"]  # in the order given
    assert attempts[:2] == [room_ids[0], room_ids[0]]  # the first try died on room 101
    assert {b.status for b in rows(Booking)} == {"COMPLETED"}
    checkouts = Counter(e.entity_id for e in rows(TransitionLog) if e.entity_kind == "booking")
    assert checkouts == {first: 1, second: 1}


class _Deadlock(Exception):
    sqlstate = "40P01"  # what psycopg's DeadlockDetected carries


def deadlock() -> OperationalError:
    return OperationalError("UPDATE room ...", {}, _Deadlock("deadlock detected"))


def test_only_the_owner_of_the_transaction_reruns_it_after_a_deadlock(sqlite_database) -> None:
    """The database rolled back the whole transaction: a function running inside someone
    else's unit of work passes the deadlock up instead of retrying a part of it."""
    calls = []

    @retry_on_conflict
    def fails_once() -> str:
        calls.append("call")
        if len(calls) == 1:
            raise deadlock()
        return "done"

    assert fails_once() == "done" and len(calls) == 2

    calls.clear()
    with UnitOfWork(), pytest.raises(OperationalError):
        fails_once()
    assert len(calls) == 1
