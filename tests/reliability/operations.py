"""The write operations of the fault-injection tests, on the small hotel of tests/conftest.py."""

from collections.abc import Callable
from datetime import UTC, datetime, time
from typing import Any

from storage.models import Booking, Room
from storage.unit_of_work import UnitOfWork
from tests.conftest import ADMIN, ANNA, HOTEL, rows
from workflows.services.booking_changes import cancel_booking, mark_no_show
from workflows.services.bulk_check_in import CheckInRequestItem, bulk_check_in
from workflows.services.bulk_checkout import bulk_checkout
from workflows.services.check_in import check_in_booking
from workflows.services.checkout import BookingRef, checkout_booking
from workflows.services.front_desk import move_booking, reinstate_booking, revert_check_in
from workflows.services.housekeeping import RoomRef, transition_room


def room_ids(*numbers: int) -> list[int]:
    return [
        room.id  # type: ignore[misc]
        for number in numbers
        for room in rows(Room)
        if room.room_number == number and room.hotel_id == 1
    ]


def booking(booking_id: str) -> BookingRef:
    return BookingRef(HOTEL, booking_id)


def on_arrival_day(booking_id: str) -> datetime:
    """Noon UTC on the booking's arrival date (the small hotel is on UTC): the clock of an
    operation allowed only on that day, whatever the wall clock says."""
    arrival = next(b.arrival_date for b in rows(Booking) if b.booking_id == booking_id)
    return datetime.combine(arrival, time(12), tzinfo=UTC)


def checkout_then_reinstate() -> None:
    """A wrong checkout and its undo, in one transaction (nothing of it stays if it fails)."""
    with UnitOfWork() as uow:
        checkout_booking(booking=booking("BK-1"), performed_by=ANNA, uow=uow)
        now = on_arrival_day("BK-1")
        reinstate_booking(booking=booking("BK-1"), performed_by=ANNA, now=now, uow=uow)
        uow.commit()


OPERATIONS: dict[str, Callable[[], Any]] = {
    "check-in": lambda: check_in_booking(booking=booking("BK-2"), performed_by=ANNA),
    "checkout (primary)": lambda: checkout_booking(
        booking=booking("BK-1"), performed_by=ANNA, source="staff_checkout_endpoint"
    ),
    "checkout (legacy)": lambda: checkout_booking(
        booking=booking("BK-1"), performed_by=ANNA, source="legacy_checkout_endpoint"
    ),
    "bulk checkout": lambda: bulk_checkout(
        hotel_slug=HOTEL, room_ids=room_ids(101, 103, 104), performed_by=ANNA
    ),
    "destructive bulk checkout": lambda: bulk_checkout(
        hotel_slug=HOTEL,
        room_ids=room_ids(101, 102, 103, 104),
        performed_by=ADMIN,
        destructive=True,
    ),
    "housekeeping": lambda: transition_room(
        room=RoomRef(HOTEL, 104), event="start_cleaning", performed_by=ANNA
    ),
    "cancel": lambda: cancel_booking(booking=booking("BK-3"), performed_by=ANNA),
    "no-show": lambda: mark_no_show(booking=booking("BK-3"), performed_by=ANNA),
    "bulk check-in": lambda: bulk_check_in(
        hotel_slug=HOTEL,
        bookings=[CheckInRequestItem("BK-2")],
        performed_by=ANNA,
        now=on_arrival_day("BK-2"),
    ),
    "move": lambda: move_booking(booking=booking("BK-1"), to_room_number=102, performed_by=ANNA),
    "revert check-in": lambda: revert_check_in(
        booking=booking("BK-1"), performed_by=ANNA, now=on_arrival_day("BK-1")
    ),
    "reinstate": checkout_then_reinstate,
}
