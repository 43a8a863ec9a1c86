"""THE checkout. The primary endpoint and the legacy endpoint call `checkout_booking`, bulk
checkout its core `check_out_loaded`; what a checkout does to the data lives in the
machines' hooks."""

from dataclasses import dataclass

from sqlmodel import Session

from storage.models import Booking, Hotel, Room
from storage.unit_of_work import UnitOfWork, transaction
from workflows.machines.actors import Actor
from workflows.machines.base import TransitionContext
from workflows.machines.booking_lifecycle import BookingLifecycle
from workflows.machines.room_turnover import RoomTurnover
from workflows.services.lookups import load_assigned_room, load_booking, load_hotel
from workflows.services.retries import retry_on_conflict


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
    its own transaction, or as a savepoint of `uow`.
    """
    with transaction(uow) as tx:
        hotel = load_hotel(tx.session, booking.hotel_slug)
        record = load_booking(tx.session, hotel, booking.booking_id)
        room = load_assigned_room(tx.session, record)
        return check_out_loaded(tx.session, hotel, record, room, performed_by, source)


def check_out_loaded(
    session: Session,
    hotel: Hotel,
    record: Booking,
    room: Room | None,
    performed_by: Actor,
    source: str,
) -> BookingOutcome:
    """`checkout_booking` on rows this transaction has already loaded (bulk checkout loads
    all its rooms and bookings at once). A row another transaction changed since then
    fails the compare-and-set: `ConcurrentTransition`, for the caller to reload and retry."""
    if record.status == BookingLifecycle.completed.value:
        return BookingOutcome(record, room, unchanged=True)
    note = f"checked out booking {record.booking_id}"
    ctx = TransitionContext(session, hotel, performed_by, source, note=note)
    BookingLifecycle(record, ctx, room=room).fire("check_out")
    assert room is not None  # the booking machine's guard has checked it
    RoomTurnover(room, ctx).fire("check_out")
    return BookingOutcome(record, room)
