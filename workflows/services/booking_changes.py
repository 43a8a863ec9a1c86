"""Ending a booking before arrival: cancelling it, or marking the guest a no-show.

Both fire a BookingLifecycle event on a CONFIRMED booking. Repeating one that already
happened returns the booking as it stands, with nothing written.
"""

from storage.unit_of_work import UnitOfWork
from workflows.machines.actors import Actor
from workflows.machines.booking_lifecycle import BookingLifecycle
from workflows.services.checkout import BookingOutcome, BookingRef
from workflows.services.retries import retry_on_conflict
from workflows.services.scope import hotel_scope


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
    return _end_before_arrival(booking, "cancel", performed_by, note, source, uow)


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
    return _end_before_arrival(booking, "mark_no_show", performed_by, note, source, uow)


def _end_before_arrival(
    booking: BookingRef,
    event: str,
    performed_by: Actor,
    note: str | None,
    source: str,
    uow: UnitOfWork | None,
) -> BookingOutcome:
    with hotel_scope(booking.hotel_slug, uow) as scope:
        record, room = scope.booking_with_room(booking.booking_id)
        ctx = scope.context(performed_by, source, note)
        changed = BookingLifecycle(record, ctx, room=room).fire(event)
        return BookingOutcome(record, room, unchanged=not changed)
