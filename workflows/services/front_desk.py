"""The front desk's changes to an in-house stay: a room move, and the undo of a check-in or
a checkout pressed on the wrong booking. The rules are the booking machine's (`move`,
`revert_check_in`, `reinstate`); each service opens one transaction, loads, fires, returns.
"""

from datetime import datetime

from storage.unit_of_work import UnitOfWork
from workflows.machines.actors import Actor
from workflows.machines.booking_lifecycle import BookingLifecycle
from workflows.services.checkout import BookingOutcome, BookingRef
from workflows.services.retries import retry_on_conflict
from workflows.services.scope import hotel_scope

# What a reinstated checkout does not bring back (the API answer and the docs say so).
NOT_RESTORED = (
    "The chat sessions, conversations and open room-service orders the checkout deleted "
    "are not restored."
)


@retry_on_conflict
def move_booking(
    *,
    booking: BookingRef,
    to_room_number: int,
    performed_by: Actor,
    reason: str | None = None,
    source: str = "staff_api",
    now: datetime | None = None,
    uow: UnitOfWork | None = None,
) -> BookingOutcome:
    """Move an in-house booking to a READY_FOR_GUEST room, in one transaction: its guests,
    the guest's phone (FCM token), open orders, chat sessions and conversations follow; the
    old room goes to CHECKOUT_DIRTY, the new one to OCCUPIED."""
    with hotel_scope(booking.hotel_slug, uow) as scope:
        record = scope.booking(booking.booking_id)
        old_room = scope.assigned_room(record)
        new_room = scope.room(to_room_number)
        ctx = scope.context(performed_by, source, now=now)
        machine = BookingLifecycle(record, ctx, room=old_room)
        machine.move_to(new_room, reason)
        return BookingOutcome(record, new_room)


@retry_on_conflict
def revert_check_in(
    *,
    booking: BookingRef,
    performed_by: Actor,
    note: str | None = None,
    source: str = "staff_api",
    now: datetime | None = None,
    uow: UnitOfWork | None = None,
) -> BookingOutcome:
    """CHECKED_IN -> CONFIRMED on the arrival day; the room goes back to READY_FOR_GUEST."""
    return _undo(booking, "revert_check_in", performed_by, note, source, now, uow)


@retry_on_conflict
def reinstate_booking(
    *,
    booking: BookingRef,
    performed_by: Actor,
    note: str | None = None,
    source: str = "staff_api",
    now: datetime | None = None,
    uow: UnitOfWork | None = None,
) -> BookingOutcome:
    """COMPLETED -> CHECKED_IN while the room is still CHECKOUT_DIRTY and nobody else's, up
    to a day after the departure date. What the checkout deleted stays deleted."""
    return _undo(booking, "reinstate", performed_by, note, source, now, uow)


def _undo(
    booking: BookingRef,
    event: str,
    performed_by: Actor,
    note: str | None,
    source: str,
    now: datetime | None,
    uow: UnitOfWork | None,
) -> BookingOutcome:
    with hotel_scope(booking.hotel_slug, uow) as scope:
        record = scope.booking(booking.booking_id)
        room = scope.assigned_room(record)
        ctx = scope.context(performed_by, source, note or f"undo: {event}", now=now)
        BookingLifecycle(record, ctx, room=room).fire(event)
        return BookingOutcome(record, room)
