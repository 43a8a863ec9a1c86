"""Checking a guest in: booking CONFIRMED -> CHECKED_IN, room READY_FOR_GUEST -> OCCUPIED."""

from storage.unit_of_work import UnitOfWork, transaction
from workflows.machines.actors import Actor
from workflows.machines.base import TransitionContext
from workflows.machines.booking_lifecycle import BookingLifecycle
from workflows.machines.errors import TransitionRefused
from workflows.machines.room_turnover import RoomTurnover
from workflows.services.checkout import BookingOutcome, BookingRef
from workflows.services.lookups import load_assigned_room, load_booking, load_hotel, load_room
from workflows.services.retries import retry_on_conflict


@retry_on_conflict
def check_in_booking(
    *,
    booking: BookingRef,
    performed_by: Actor,
    room_number: int | None = None,
    source: str = "staff_api",
    uow: UnitOfWork | None = None,
) -> BookingOutcome:
    """Check a booking in, first assigning `room_number` when given.

    Repeating a check-in that already happened (same room, or no room named) returns the
    booking as it stands.
    """
    with transaction(uow) as tx:
        hotel = load_hotel(tx.session, booking.hotel_slug)
        record = load_booking(tx.session, hotel, booking.booking_id)
        room = load_assigned_room(tx.session, record)
        if record.status == BookingLifecycle.checked_in.value:
            if room_number is None or (room is not None and room.room_number == room_number):
                return BookingOutcome(record, room, unchanged=True)
            raise TransitionRefused(
                f"Booking {record.booking_id} is already checked in to another room",
                code="CHECKIN_FAILED",
            )
        if room_number is not None and record.status == BookingLifecycle.confirmed.value:
            room = load_room(tx.session, hotel, room_number)
            record.assigned_room_id = room.id
        ctx = TransitionContext(tx.session, hotel, performed_by, source)
        BookingLifecycle(record, ctx, room=room).fire("check_in")
        assert room is not None  # the booking machine's guard has checked it
        RoomTurnover(room, ctx).fire("check_in")
        return BookingOutcome(record, room)
