"""The read side: rooms, bookings and transition logs as staff see them, scoped to a hotel.

Nothing here writes. Each function opens its own read-only unit of work and returns plain
rows (detached, still readable) for the API to shape.
"""

from dataclasses import dataclass
from typing import Generic, TypeVar

from sqlalchemy import func
from sqlmodel import Session, col, select

from storage.models import Booking, Room, TransitionLog
from storage.unit_of_work import UnitOfWork
from workflows.machines.actors import Actor
from workflows.machines.base import TransitionContext
from workflows.machines.room_turnover import RoomTurnover
from workflows.services.lookups import load_assigned_room, load_booking, load_hotel, load_room

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
    *, hotel_slug: str, status: str | None = None, limit: int, offset: int
) -> Page[Room]:
    """The hotel's rooms by room number, optionally only those in `status`."""
    with UnitOfWork(write=False) as uow:
        hotel = load_hotel(uow.session, hotel_slug)
        query = select(Room).where(Room.hotel_id == hotel.id)
        if status is not None:
            query = query.where(Room.room_status == status)
        total = _count(uow.session, query)
        page = query.order_by(col(Room.room_number)).limit(limit).offset(offset)
        return Page(list(uow.session.exec(page)), total, limit, offset)


def room_view(*, hotel_slug: str, room_number: int, actor: Actor) -> RoomView:
    with UnitOfWork(write=False) as uow:
        hotel = load_hotel(uow.session, hotel_slug)
        room = load_room(uow.session, hotel, room_number)
        ctx = TransitionContext(uow.session, hotel, actor, source="room_detail")
        return RoomView(room, RoomTurnover(room, ctx).enabled_event_names())


def room_history(
    *, hotel_slug: str, room_number: int, limit: int, offset: int
) -> Page[TransitionLog]:
    """The room's transition log, newest first."""
    with UnitOfWork(write=False) as uow:
        hotel = load_hotel(uow.session, hotel_slug)
        room = load_room(uow.session, hotel, room_number)
        query = select(TransitionLog).where(
            TransitionLog.hotel_id == hotel.id,
            TransitionLog.entity_kind == RoomTurnover.entity_kind,
            TransitionLog.entity_id == room.id,
        )
        total = _count(uow.session, query)
        page = query.order_by(col(TransitionLog.id).desc()).limit(limit).offset(offset)
        return Page(list(uow.session.exec(page)), total, limit, offset)


def list_bookings(
    *,
    hotel_slug: str,
    status: str | None = None,
    room_number: int | None = None,
    limit: int,
    offset: int,
) -> Page[BookingView]:
    """The hotel's bookings, oldest first, optionally filtered by status and room."""
    with UnitOfWork(write=False) as uow:
        hotel = load_hotel(uow.session, hotel_slug)
        query = select(Booking).where(Booking.hotel_id == hotel.id)
        if status is not None:
            query = query.where(Booking.status == status)
        if room_number is not None:
            query = query.join(Room, col(Booking.assigned_room_id) == Room.id).where(
                Room.room_number == room_number
            )
        total = _count(uow.session, query)
        page = query.order_by(col(Booking.id)).limit(limit).offset(offset)
        bookings = list(uow.session.exec(page))
        rooms = _rooms_by_id(uow.session, {b.assigned_room_id for b in bookings})
        views = [BookingView(b, rooms.get(b.assigned_room_id)) for b in bookings]  # type: ignore[arg-type]
        return Page(views, total, limit, offset)


def booking_view(*, hotel_slug: str, booking_id: str) -> BookingView:
    with UnitOfWork(write=False) as uow:
        hotel = load_hotel(uow.session, hotel_slug)
        booking = load_booking(uow.session, hotel, booking_id)
        return BookingView(booking, load_assigned_room(uow.session, booking))


def _count(session: Session, query) -> int:  # type: ignore[no-untyped-def]
    return session.exec(select(func.count()).select_from(query.subquery())).one()


def _rooms_by_id(session: Session, ids: set[int | None]) -> dict[int, Room]:
    wanted = [room_id for room_id in ids if room_id is not None]
    if not wanted:
        return {}
    rooms = session.exec(select(Room).where(col(Room.id).in_(wanted)))
    return {room.id: room for room in rooms}  # type: ignore[misc]
