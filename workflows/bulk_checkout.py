"""Bulk checkout over a list of rooms (the seed's emergency / admin button).

Non-destructive (default): every in-house booking in the rooms goes through
`checkout_booking`; an OCCUPIED room with no in-house booking (a "ghost room") goes to
CHECKOUT_DIRTY through the room machine. Destructive (superusers only): in-house bookings
are completed and every room is forced to CHECKOUT_DIRTY whatever its state, deleting its
guest records with a snapshot kept in the audit log.

One transaction for the whole request, one savepoint per room: a room that fails is
reported in `errors` and rolled back alone.
"""

from collections import defaultdict
from dataclasses import dataclass, field

from sqlmodel import Session, select

from storage.models import Booking, Hotel, Room
from storage.unit_of_work import UnitOfWork
from workflows.actors import Actor
from workflows.booking_lifecycle import BookingLifecycle
from workflows.checkout import BookingRef, checkout_booking
from workflows.errors import ConcurrentTransition, DomainError, TransitionRefused
from workflows.lookups import FRESH, load_hotel
from workflows.machine_base import TransitionContext
from workflows.room_turnover import RoomTurnover

# As many tries as a single checkout gets (workflows/retries.py).
CONFLICT_ATTEMPTS = 5


@dataclass
class RoomError:
    room_id: int
    code: str
    message: str


@dataclass
class BulkCheckoutResult:
    hotel_slug: str
    rooms_processed: int
    destructive_mode: bool
    checked_out_bookings: list[str] = field(default_factory=list)
    rooms_cleared: list[int] = field(default_factory=list)
    errors: list[RoomError] = field(default_factory=list)


def bulk_checkout(
    *,
    hotel_slug: str,
    room_ids: list[int],
    performed_by: Actor,
    destructive: bool = False,
    source: str = "bulk_checkout",
) -> BulkCheckoutResult:
    if destructive and not performed_by.is_superuser:
        raise TransitionRefused(
            "Destructive bulk checkout requires a superuser", code="PERMISSION_DENIED"
        )
    room_ids = list(dict.fromkeys(room_ids))  # each room once, in the order given
    result = BulkCheckoutResult(hotel_slug, len(room_ids), destructive)
    with UnitOfWork() as uow:
        hotel = load_hotel(uow.session, hotel_slug)
        rooms = _rooms_by_id(uow.session, hotel, room_ids)
        in_house = _in_house_bookings(uow.session, list(rooms))
        for room_id in room_ids:
            room = rooms.get(room_id)
            if room is None:
                result.errors.append(RoomError(room_id, "ROOM_NOT_FOUND", "Room not found"))
                continue
            try:
                _checkout_one_room(
                    uow, hotel, room, in_house[room_id], performed_by, source, result
                )
            except DomainError as error:
                result.errors.append(RoomError(room_id, error.code, error.message))
        uow.commit()
    return result


def _checkout_one_room(
    uow: UnitOfWork,
    hotel: Hotel,
    room: Room,
    bookings: list[Booking],
    actor: Actor,
    source: str,
    result: BulkCheckoutResult,
) -> None:
    """One room in its own savepoint. Room and bookings were read at the start of the
    request; when another request changed them since (its compare-and-set won), the room
    is done again as it is now, as a single checkout's retry would."""
    checkout_room = _force_checkout_room if result.destructive_mode else _checkout_room
    for attempt in range(1, CONFLICT_ATTEMPTS + 1):
        done = (len(result.checked_out_bookings), len(result.rooms_cleared))
        try:
            with uow.savepoint():
                checkout_room(uow, hotel, room, bookings, actor, source, result)
            return
        except DomainError as error:
            # The savepoint undid this room's work: forget what it reported too.
            del result.checked_out_bookings[done[0] :]
            del result.rooms_cleared[done[1] :]
            if not isinstance(error, ConcurrentTransition) or attempt == CONFLICT_ATTEMPTS:
                raise
            room = _rooms_by_id(uow.session, hotel, [room.id])[room.id]  # type: ignore[list-item]
            bookings = _in_house_bookings(uow.session, [room.id])[room.id]  # type: ignore[list-item,index]


def _checkout_room(
    uow: UnitOfWork,
    hotel: Hotel,
    room: Room,
    bookings: list[Booking],
    actor: Actor,
    source: str,
    result: BulkCheckoutResult,
) -> None:
    for booking in bookings:
        ref = BookingRef(hotel.slug, booking.booking_id)
        outcome = checkout_booking(booking=ref, performed_by=actor, source=source, uow=uow)
        if not outcome.unchanged:
            result.checked_out_bookings.append(booking.booking_id)
    if not bookings and room.room_status == RoomTurnover.occupied.value:
        note = "ghost room: occupied with no in-house booking"
        ctx = TransitionContext(uow.session, hotel, actor, source, note=note)
        RoomTurnover(room, ctx).fire("check_out")
        result.rooms_cleared.append(room.room_number)


def _force_checkout_room(
    uow: UnitOfWork,
    hotel: Hotel,
    room: Room,
    bookings: list[Booking],
    actor: Actor,
    source: str,
    result: BulkCheckoutResult,
) -> None:
    ctx = TransitionContext(uow.session, hotel, actor, source, note="destructive bulk checkout")
    for booking in bookings:
        BookingLifecycle(booking, ctx, room=room).fire("check_out")
        result.checked_out_bookings.append(booking.booking_id)
    RoomTurnover(room, ctx).fire("force_checkout")
    result.rooms_cleared.append(room.room_number)


def _rooms_by_id(session: Session, hotel: Hotel, room_ids: list[int]) -> dict[int, Room]:
    query = select(Room).where(Room.hotel_id == hotel.id, Room.id.in_(room_ids))  # type: ignore[union-attr]
    return {room.id: room for room in session.exec(query.execution_options(**FRESH))}  # type: ignore[misc]


def _in_house_bookings(session: Session, room_ids: list[int]) -> dict[int, list[Booking]]:
    query = select(Booking).where(
        Booking.assigned_room_id.in_(room_ids),  # type: ignore[union-attr]
        Booking.status == BookingLifecycle.checked_in.value,
    )
    by_room: dict[int, list[Booking]] = defaultdict(list)
    for booking in session.exec(query.execution_options(**FRESH)):
        by_room[booking.assigned_room_id].append(booking)  # type: ignore[index]
    return by_room
