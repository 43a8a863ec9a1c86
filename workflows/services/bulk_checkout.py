"""Bulk checkout over a list of rooms (the seed's emergency / admin button).

Non-destructive (default): every in-house booking in the rooms is checked out as
`checkout_booking` does it (`check_out_loaded`); an OCCUPIED room with no in-house booking
(a "ghost room") goes to CHECKOUT_DIRTY through the room machine. Destructive (superusers
only): in-house bookings are completed and every room is forced to CHECKOUT_DIRTY whatever
its state, deleting its guest records with a snapshot kept in the audit log.

One transaction for the whole request, one savepoint per room: a room that fails is
reported in `errors` and rolled back alone. Rooms and bookings are loaded once, up front;
a room whose rows another transaction changed meanwhile is reloaded and tried again.
Rooms are worked on in ascending id order whatever the order given (one global lock order).
"""

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlmodel import Session, select

from storage.models import Booking, Hotel, Room
from storage.unit_of_work import UnitOfWork
from workflows.machines.actors import Actor
from workflows.machines.base import TransitionContext
from workflows.machines.booking_lifecycle import BookingLifecycle
from workflows.machines.errors import ConcurrentTransition, DomainError, TransitionRefused
from workflows.machines.room_turnover import RoomTurnover
from workflows.services.checkout import check_out_loaded
from workflows.services.lookups import FRESH, load_hotel
from workflows.services.retries import retry_on_conflict


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


@retry_on_conflict  # a deadlock all the same (see below) runs the whole request again
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
        job = _RoomJob(uow, hotel, performed_by, source)
        check_out_room = job.force if destructive else job.check_out
        # Rows are locked in one global order, rooms by id (and a room's bookings before
        # the room, as a single checkout does): two bulk checkouts over the same rooms in
        # different orders then queue instead of deadlocking. Reported in the order given.
        outcomes: dict[int, _RoomDone | RoomError] = {}
        for room_id in sorted(room_ids):
            room = rooms.get(room_id)
            if room is None:
                outcomes[room_id] = RoomError(room_id, "ROOM_NOT_FOUND", "Room not found")
                continue
            try:
                outcomes[room_id] = check_out_room(room, in_house[room_id])
            except DomainError as error:
                outcomes[room_id] = RoomError(room_id, error.code, error.message)
        for room_id in room_ids:
            done = outcomes[room_id]
            if isinstance(done, RoomError):
                result.errors.append(done)
                continue
            result.checked_out_bookings.extend(done.checked_out_bookings)
            if done.cleared:
                result.rooms_cleared.append(rooms[room_id].room_number)
        uow.commit()
    return result


@dataclass
class _RoomDone:
    """What one room's savepoint did; reported only once the savepoint is released."""

    checked_out_bookings: list[str] = field(default_factory=list)
    cleared: bool = False


RoomWork = Callable[[Room, list[Booking]], "_RoomDone"]


@dataclass
class _RoomJob:
    """One room of the request, each attempt in its own savepoint."""

    uow: UnitOfWork
    hotel: Hotel
    actor: Actor
    source: str

    def check_out(self, room: Room, bookings: list[Booking]) -> _RoomDone:
        return self._attempt(self._check_out, room, bookings)

    def force(self, room: Room, bookings: list[Booking]) -> _RoomDone:
        return self._attempt(self._force, room, bookings)

    def _attempt(self, work: RoomWork, room: Room, bookings: list[Booking]) -> _RoomDone:
        try:
            with self.uow.savepoint():
                return work(room, bookings)
        except ConcurrentTransition:
            return self._attempt_reloaded(work, room.id)  # type: ignore[arg-type]

    @retry_on_conflict
    def _attempt_reloaded(self, work: RoomWork, room_id: int) -> _RoomDone:
        """Another transaction changed the room or a booking since they were loaded: read
        them as committed now and try again, as a single checkout's retry would."""
        with self.uow.savepoint():
            session = self.uow.session
            room = _rooms_by_id(session, self.hotel, [room_id])[room_id]
            return work(room, _in_house_bookings(session, [room_id])[room_id])

    def _check_out(self, room: Room, bookings: list[Booking]) -> _RoomDone:
        done = _RoomDone()
        for booking in bookings:
            outcome = check_out_loaded(
                self.uow.session, self.hotel, booking, room, self.actor, self.source
            )
            if not outcome.unchanged:
                done.checked_out_bookings.append(booking.booking_id)
        if not bookings and room.room_status == RoomTurnover.occupied.value:
            note = "ghost room: occupied with no in-house booking"
            ctx = TransitionContext(
                self.uow.session, self.hotel, self.actor, self.source, note=note
            )
            RoomTurnover(room, ctx).fire("check_out")
            done.cleared = True
        return done

    def _force(self, room: Room, bookings: list[Booking]) -> _RoomDone:
        ctx = TransitionContext(
            self.uow.session, self.hotel, self.actor, self.source, note="destructive bulk checkout"
        )
        for booking in bookings:
            BookingLifecycle(booking, ctx, room=room).fire("check_out")
        RoomTurnover(room, ctx).fire("force_checkout")
        return _RoomDone([booking.booking_id for booking in bookings], cleared=True)


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
