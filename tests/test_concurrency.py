"""Two checkouts of the same booking at the same moment: one transition, one winner, and
the loser gets the idempotent answer."""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

import workflows.checkout as checkout_module
from storage.models import Guest, OutboxEvent, TransitionLog
from tests.conftest import ANNA, HOTEL, rows, seed, small_hotel
from workflows.checkout import BookingOutcome, BookingRef, checkout_booking


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
    ]
    assert [e.event_name for e in rows(OutboxEvent)] == [
        "booking-checked-out",
        "room-status-changed",
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
    both_loaded = threading.Barrier(2, timeout=20)
    real_load = checkout_module.load_assigned_room
    first_attempts = threading.local()

    def load_then_wait(session, booking):
        room = real_load(session, booking)
        if not getattr(first_attempts, "done", False):
            first_attempts.done = True
            both_loaded.wait()
        return room

    monkeypatch.setattr(checkout_module, "load_assigned_room", load_then_wait)
    assert_exactly_one_checkout(race(2))
