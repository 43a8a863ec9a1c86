"""The read side: rooms, bookings and transition logs as staff see them, scoped to a hotel.

Nothing here writes. Each function reads in `uow` (the caller's; a new one when None),
read-only, and returns plain rows (detached, still readable) for the API to shape.
"""

from dataclasses import dataclass
from typing import Generic, TypeVar

from sqlalchemy import func
from sqlmodel import Session, col, select

from storage.models import Booking, Room, TransitionLog
from storage.unit_of_work import UnitOfWork
from workflows.machines.actors import Actor
from workflows.machines.room_turnover import RoomTurnover
from workflows.services.scope import hotel_scope

T = TypeVar("T")


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    total: int
    limit: int
    offset: int


@dataclass(frozen=True)
class RoomView:
    room: Room
    # Events the machine would accept now from the actor asking (guards evaluated).
    allowed_events: list[str]


@dataclass(frozen=True)
class BookingView:
    booking: Booking
    room: Room | None


def list_rooms(
    *,
    hotel_slug: str,
    status: str | None = None,
    limit: int,
    offset: int,
    uow: UnitOfWork | None = None,
) -> Page[Room]:
    """The hotel's rooms by room number, optionally only those in `status`."""
    with hotel_scope(hotel_slug, uow, write=False) as scope:
        query = select(Room).where(Room.hotel_id == scope.hotel.id)
        if status is not None:
            query = query.where(Room.room_status == status)
        return page_of(scope.session, query.order_by(col(Room.room_number)), limit, offset)


def room_view(
    *, hotel_slug: str, room_number: int, actor: Actor, uow: UnitOfWork | None = None
) -> RoomView:
    with hotel_scope(hotel_slug, uow, write=False) as scope:
        room = scope.room(room_number)
        machine = RoomTurnover(room, scope.context(actor, source="room_detail"))
        return RoomView(room, machine.enabled_event_names())


def room_history(
    *,
    hotel_slug: str,
    room_number: int,
    limit: int,
    offset: int,
    uow: UnitOfWork | None = None,
) -> Page[TransitionLog]:
    """The room's transition log, newest first."""
    with hotel_scope(hotel_slug, uow, write=False) as scope:
        room = scope.room(room_number)
        query = select(TransitionLog).where(
            TransitionLog.hotel_id == scope.hotel.id,
            TransitionLog.entity_kind == RoomTurnover.entity_kind,
            TransitionLog.entity_id == room.id,
        )
        return page_of(scope.session, query.order_by(col(TransitionLog.id).desc()), limit, offset)


def list_bookings(
    *,
    hotel_slug: str,
    status: str | None = None,
    room_number: int | None = None,
    limit: int,
    offset: int,
    uow: UnitOfWork | None = None,
) -> Page[BookingView]:
    """The hotel's bookings, oldest first, optionally filtered by status and room."""
    with hotel_scope(hotel_slug, uow, write=False) as scope:
        query = select(Booking).where(Booking.hotel_id == scope.hotel.id)
        if status is not None:
            query = query.where(Booking.status == status)
        if room_number is not None:
            query = query.join(Room, col(Booking.assigned_room_id) == Room.id).where(
                Room.room_number == room_number
            )
        page = page_of(scope.session, query.order_by(col(Booking.id)), limit, offset)
        rooms = rooms_by_id(scope.session, {b.assigned_room_id for b in page.items})
        views = [BookingView(b, rooms.get(b.assigned_room_id)) for b in page.items]  # type: ignore[arg-type]
        return Page(views, page.total, limit, offset)


def booking_view(*, hotel_slug: str, booking_id: str, uow: UnitOfWork | None = None) -> BookingView:
    with hotel_scope(hotel_slug, uow, write=False) as scope:
        return BookingView(*scope.booking_with_room(booking_id))


def page_of(session: Session, query, limit: int, offset: int) -> Page:  # type: ignore[no-untyped-def]
    """One page of `query`'s rows, with the count of all of them."""
    total = session.exec(select(func.count()).select_from(query.subquery())).one()
    return Page(list(session.exec(query.limit(limit).offset(offset))), total, limit, offset)


def rooms_by_id(session: Session, ids: set[int | None]) -> dict[int, Room]:
    wanted = [room_id for room_id in ids if room_id is not None]
    if not wanted:
        return {}
    rooms = session.exec(select(Room).where(col(Room.id).in_(wanted)))
    return {room.id: room for room in rooms}  # type: ignore[misc]
