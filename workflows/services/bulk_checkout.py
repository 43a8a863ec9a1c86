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
from dataclasses import dataclass, field

from sqlmodel import Session, select

from storage.models import Booking, Hotel, Room
from storage.transition_writes import PendingRecords
from storage.unit_of_work import UnitOfWork
from workflows.machines.actors import Actor
from workflows.machines.base import TransitionContext
from workflows.machines.booking_lifecycle import BookingLifecycle
from workflows.machines.errors import (
    PERMISSION_DENIED,
    ROOM_NOT_FOUND,
    ConcurrentTransition,
    DomainError,
    TransitionRefused,
)
from workflows.machines.room_turnover import RoomTurnover
from workflows.services.checkout import check_out_loaded
from workflows.services.lookups import FRESH
from workflows.services.retries import retry_on_conflict
from workflows.services.scope import hotel_scope


@dataclass
class RoomError:
    room_id: int
    code: str
    message: str


@dataclass
class RoomSkipped:
    room_id: int
    room_number: int
    reason: str


@dataclass
class BulkCheckoutResult:
    """Every room id asked for is in exactly one of: a checked-out booking's room,
    `rooms_cleared`, `skipped` (it needed nothing) or `errors`."""

    hotel_slug: str
    rooms_processed: int
    destructive_mode: bool
    checked_out_bookings: list[str] = field(default_factory=list)
    rooms_cleared: list[int] = field(default_factory=list)
    skipped: list[RoomSkipped] = field(default_factory=list)
    errors: list[RoomError] = field(default_factory=list)


@retry_on_conflict  # a deadlock all the same (see below) runs the whole request again
def bulk_checkout(
    *,
    hotel_slug: str,
    room_ids: list[int],
    performed_by: Actor,
    destructive: bool = False,
    source: str = "bulk_checkout",
    uow: UnitOfWork | None = None,
) -> BulkCheckoutResult:
    if destructive and not RoomTurnover.permits(performed_by, "force_checkout"):
        raise TransitionRefused(
            "Destructive bulk checkout requires a superuser", code=PERMISSION_DENIED
        )
    room_ids = list(dict.fromkeys(room_ids))  # each room once, in the order given
    result = BulkCheckoutResult(hotel_slug, len(room_ids), destructive)
    with hotel_scope(hotel_slug, uow) as scope:
        rooms = _rooms_by_id(scope.session, scope.hotel, room_ids)
        in_house = _in_house_bookings(scope.session, list(rooms))
        job = _RoomJob(scope.uow, scope.hotel, performed_by, source, destructive, in_house)
        # Rows are locked in one global order, rooms by id (and a room's bookings before
        # the room, as a single checkout does): two bulk checkouts over the same rooms in
        # different orders then queue instead of deadlocking. Reported in the order given.
        outcomes: dict[int, _RoomDone | RoomError] = {
            room_id: RoomError(room_id, ROOM_NOT_FOUND.name, "Room not found")
            for room_id in room_ids
            if room_id not in rooms
        }
        found = [rooms[room_id] for room_id in sorted(room_ids) if room_id in rooms]
        outcomes.update(job.run(found))
        for room_id in room_ids:
            _report(result, rooms, room_id, outcomes[room_id])
    return result


def _report(
    result: BulkCheckoutResult, rooms: dict[int, Room], room_id: int, done: "_RoomDone | RoomError"
) -> None:
    if isinstance(done, RoomError):
        result.errors.append(done)
        return
    room_number = rooms[room_id].room_number
    result.checked_out_bookings.extend(done.checked_out_bookings)
    if done.cleared:
        result.rooms_cleared.append(room_number)
    if done.skipped:
        result.skipped.append(RoomSkipped(room_id, room_number, done.skipped))


@dataclass
class _RoomDone:
    """What one room's work did; reported only once its savepoint is released."""

    checked_out_bookings: list[str] = field(default_factory=list)
    cleared: bool = False
    skipped: str | None = None  # why the room needed nothing


# Rooms are worked on in groups of this many, each group in one savepoint; a group where
# a room fails is rolled back and done again one savepoint per room.
ROOMS_PER_SAVEPOINT = 50


@dataclass
class _RoomJob:
    """The rooms of one request. Each room is rolled back alone when it fails: rooms go
    in groups, each in a savepoint (one savepoint per room would be a fair share of a
    room's cost); when a room of a group fails, the group is rolled back, the values its
    machines changed on the loaded rows are put back, and its rooms are done again, each
    in its own savepoint, so that only the failing one is undone. The audit and outbox
    rows of every room are written together at the end (`records`)."""

    uow: UnitOfWork
    hotel: Hotel
    actor: Actor
    source: str
    destructive: bool
    in_house: dict[int, list[Booking]]
    records: PendingRecords = field(default_factory=PendingRecords)

    def __post_init__(self) -> None:
        # Each room's writes touch its own rows only (its guests, sessions, orders, its row
        # and its bookings'), so a statement can run once for all rooms, at the end.
        self.records.batch_writes = not self.destructive

    def run(self, rooms: list[Room]) -> dict[int, "_RoomDone | RoomError"]:
        outcomes: dict[int, _RoomDone | RoomError] = {}
        with self.records.collecting(self.uow.session):
            for start in range(0, len(rooms), ROOMS_PER_SAVEPOINT):
                group = rooms[start : start + ROOMS_PER_SAVEPOINT]
                done = self._together(group)
                if done is None:
                    done = {room.id: self._alone(room) for room in group}  # type: ignore[misc]
                outcomes.update(done)
        return outcomes

    def check_out(self, room: Room, bookings: list[Booking]) -> _RoomDone:
        """One room's work (in a savepoint its caller opened)."""
        return self._force(room, bookings) if self.destructive else self._check_out(room, bookings)

    def _together(self, group: list[Room]) -> dict[int, "_RoomDone | RoomError"] | None:
        """The group's rooms in one savepoint, or None (nothing done) if one failed."""
        mark = self.records.mark()
        try:
            with self.uow.savepoint():
                return {room.id: self.check_out(room, self.in_house[room.id]) for room in group}  # type: ignore[misc,index]
        except DomainError:
            self.records.drop_after(mark)
            return None

    def _alone(self, room: Room) -> "_RoomDone | RoomError":
        mark = self.records.mark()
        try:
            return self._attempt(room)
        except DomainError as error:
            self.records.drop_after(mark)
            return RoomError(room.id, error.code, error.message)  # type: ignore[arg-type]

    def _attempt(self, room: Room) -> _RoomDone:
        mark = self.records.mark()
        try:
            with self.uow.savepoint():
                return self.check_out(room, self.in_house[room.id])  # type: ignore[index]
        except ConcurrentTransition:
            self.records.drop_after(mark)
            return self._attempt_reloaded(room.id)  # type: ignore[arg-type]

    @retry_on_conflict
    def _attempt_reloaded(self, room_id: int) -> _RoomDone:
        """Another transaction changed the room or a booking since they were loaded: read
        them as committed now and try again, as a single checkout's retry would."""
        mark = self.records.mark()
        try:
            with self.uow.savepoint():
                session = self.uow.session
                room = _rooms_by_id(session, self.hotel, [room_id])[room_id]
                return self.check_out(room, _in_house_bookings(session, [room_id])[room_id])
        except DomainError:
            self.records.drop_after(mark)
            raise

    def _context(self, note: str | None = None) -> TransitionContext:
        session = self.uow.session
        return TransitionContext(
            session, self.hotel, self.actor, self.source, note=note, records=self.records
        )

    def _check_out(self, room: Room, bookings: list[Booking]) -> _RoomDone:
        done = _RoomDone()
        for booking in bookings:
            outcome = check_out_loaded(self._context(), booking, room)
            if not outcome.unchanged:
                done.checked_out_bookings.append(booking.booking_id)
        if not bookings:
            room_machine = RoomTurnover(room, self._context())
            done.cleared = room_machine.clear_ghost_room()
            done.skipped = None if done.cleared else room_machine.nothing_to_check_out()
        return done

    def _force(self, room: Room, bookings: list[Booking]) -> _RoomDone:
        """Bookings are completed on their own (their room is forced just after), then the
        room is forced to CHECKOUT_DIRTY whatever its state."""
        ctx = self._context("destructive bulk checkout")
        room_machine = RoomTurnover(room, ctx)
        if not bookings and room_machine.nothing_to_force():
            return _RoomDone(skipped=room_machine.nothing_to_force())
        for booking in bookings:
            BookingLifecycle(booking, ctx, room=room).complete_for_forced_room()
        room_machine.fire("force_checkout")
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
