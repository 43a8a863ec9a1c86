"""Checking a guest in: booking CONFIRMED -> CHECKED_IN, which drives its room
READY_FOR_GUEST -> OCCUPIED."""

from datetime import datetime

from storage.unit_of_work import UnitOfWork
from workflows.machines.actors import Actor
from workflows.machines.booking_lifecycle import BookingLifecycle
from workflows.services.checkout import BookingOutcome, BookingRef
from workflows.services.retries import retry_on_conflict
from workflows.services.scope import hotel_scope


@retry_on_conflict
def check_in_booking(
    *,
    booking: BookingRef,
    performed_by: Actor,
    room_number: int | None = None,
    source: str = "staff_api",
    now: datetime | None = None,
    uow: UnitOfWork | None = None,
) -> BookingOutcome:
    """Check a booking in, to `room_number` when given, else to its assigned room.

    Repeating a check-in that already happened (same room, or no room named) returns the
    booking as it stands. Not before the arrival date (the hotel's local date at `now`),
    unless the caller's role may check in early. Bulk check-in calls this for each booking.
    """
    with hotel_scope(booking.hotel_slug, uow) as scope:
        record, room = scope.booking_with_room(booking.booking_id)
        if room_number is not None and record.status == BookingLifecycle.confirmed.value:
            room = scope.room(room_number)
        ctx = scope.context(performed_by, source, now=now)
        machine = BookingLifecycle(record, ctx, room=room, requested_room_number=room_number)
        changed = machine.fire("check_in")
        return BookingOutcome(record, room, unchanged=not changed)
