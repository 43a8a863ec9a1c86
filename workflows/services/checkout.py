"""THE checkout. The primary endpoint and the legacy endpoint call `checkout_booking`, bulk
checkout its core `check_out_loaded`; what a checkout does to the data lives in the
machines and their hooks (the booking's `check_out` drives the room's)."""

from dataclasses import dataclass

from storage.models import Booking, Room
from storage.unit_of_work import UnitOfWork
from workflows.machines.actors import Actor
from workflows.machines.base import TransitionContext
from workflows.machines.booking_lifecycle import BookingLifecycle
from workflows.services.retries import retry_on_conflict
from workflows.services.scope import hotel_scope


@dataclass(frozen=True)
class BookingRef:
    """A booking as callers name it: the hotel's slug and the public booking id."""

    hotel_slug: str
    booking_id: str


@dataclass(frozen=True)
class BookingOutcome:
    booking: Booking
    room: Room | None
    # True when the booking was already in the requested state and nothing was done.
    unchanged: bool = False


@retry_on_conflict
def checkout_booking(
    *,
    booking: BookingRef,
    performed_by: Actor,
    source: str = "staff_api",
    uow: UnitOfWork | None = None,
) -> BookingOutcome:
    """Check a booking out: booking CHECKED_IN -> COMPLETED, room OCCUPIED -> CHECKOUT_DIRTY.

    Idempotent: a COMPLETED booking is returned as it stands, with nothing written. Runs in
    `uow`'s transaction (a savepoint of it when it is already in one).
    """
    with hotel_scope(booking.hotel_slug, uow) as scope:
        record, room = scope.booking_with_room(booking.booking_id)
        return check_out_loaded(scope.context(performed_by, source), record, room)


def check_out_loaded(ctx: TransitionContext, record: Booking, room: Room | None) -> BookingOutcome:
    """`checkout_booking` on rows this transaction has already loaded (bulk checkout loads
    all its rooms and bookings at once). A row another transaction changed since then
    fails the compare-and-set: `ConcurrentTransition`, for the caller to reload and retry."""
    ctx.note = f"checked out booking {record.booking_id}"
    changed = BookingLifecycle(record, ctx, room=room).fire("check_out")
    return BookingOutcome(record, room, unchanged=not changed)
