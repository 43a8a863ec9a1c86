"""Ending a booking before arrival: cancelling it, or marking the guest a no-show.

Both fire a BookingLifecycle event on a CONFIRMED booking. Repeating one that already
happened returns the booking as it stands, with nothing written.
"""

from storage.unit_of_work import UnitOfWork, transaction
from workflows.machines.actors import Actor
from workflows.machines.base import TransitionContext
from workflows.machines.booking_lifecycle import BookingLifecycle
from workflows.services.checkout import BookingOutcome, BookingRef
from workflows.services.lookups import load_assigned_room, load_booking, load_hotel
from workflows.services.retries import retry_on_conflict


@retry_on_conflict
def cancel_booking(
    *,
    booking: BookingRef,
    performed_by: Actor,
    note: str | None = None,
    source: str = "staff_api",
    uow: UnitOfWork | None = None,
) -> BookingOutcome:
    """CONFIRMED -> CANCELLED."""
    return _end_before_arrival(
        booking, "cancel", BookingLifecycle.cancelled.value, performed_by, note, source, uow
    )


@retry_on_conflict
def mark_no_show(
    *,
    booking: BookingRef,
    performed_by: Actor,
    note: str | None = None,
    source: str = "staff_api",
    uow: UnitOfWork | None = None,
) -> BookingOutcome:
    """CONFIRMED -> NO_SHOW: the guest never arrived."""
    return _end_before_arrival(
        booking, "mark_no_show", BookingLifecycle.no_show.value, performed_by, note, source, uow
    )


def _end_before_arrival(
    booking: BookingRef,
    event: str,
    final_status: str,
    performed_by: Actor,
    note: str | None,
    source: str,
    uow: UnitOfWork | None,
) -> BookingOutcome:
    with transaction(uow) as tx:
        hotel = load_hotel(tx.session, booking.hotel_slug)
        record = load_booking(tx.session, hotel, booking.booking_id)
        room = load_assigned_room(tx.session, record)
        if record.status == final_status:
            return BookingOutcome(record, room, unchanged=True)
        ctx = TransitionContext(tx.session, hotel, performed_by, source, note=note)
        BookingLifecycle(record, ctx, room=room).fire(event)
        return BookingOutcome(record, room)
