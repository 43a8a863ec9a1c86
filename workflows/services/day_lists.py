"""The lists a front desk opens every morning: arrivals, departures, who is in house, and a
booking's history. "Today" is the hotel's local date at `now` (hotel_day.py), never the
server's. Nothing here writes.
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlmodel import col, select

from storage.models import Booking, Room, TransitionLog
from storage.timestamps import utc_now
from storage.unit_of_work import UnitOfWork
from workflows.machines.actors import Actor
from workflows.machines.booking_lifecycle import BookingLifecycle
from workflows.machines.hotel_day import hotel_today
from workflows.services.queries import Page, page_of, rooms_by_id
from workflows.services.scope import HotelScope, hotel_scope

CONFIRMED = BookingLifecycle.confirmed.value
CHECKED_IN = BookingLifecycle.checked_in.value
COMPLETED = BookingLifecycle.completed.value


@dataclass(frozen=True)
class DeskItem:
    booking: Booking
    room: Room | None
    # Booking events the machine would accept now from the caller (guards evaluated).
    allowed_events: list[str]
    # In house past its departure date (the hotel's today).
    late_departure: bool


@dataclass(frozen=True)
class DayPage(Page[DeskItem]):
    day: date


def arrivals(
    *,
    hotel_slug: str,
    actor: Actor,
    day: date | None = None,
    limit: int,
    offset: int,
    now: datetime | None = None,
    uow: UnitOfWork | None = None,
) -> DayPage:
    """CONFIRMED bookings arriving on `day` (default: the hotel's today)."""
    return _day_list(hotel_slug, actor, day, limit, offset, now, uow, _arriving)


def departures(
    *,
    hotel_slug: str,
    actor: Actor,
    day: date | None = None,
    limit: int,
    offset: int,
    now: datetime | None = None,
    uow: UnitOfWork | None = None,
) -> DayPage:
    """CHECKED_IN bookings due out on `day` (default: the hotel's today), and those that
    should have left before it and are still in house (flagged `late_departure`)."""
    return _day_list(hotel_slug, actor, day, limit, offset, now, uow, _leaving)


def in_house(
    *,
    hotel_slug: str,
    actor: Actor,
    limit: int,
    offset: int,
    now: datetime | None = None,
    uow: UnitOfWork | None = None,
) -> DayPage:
    """Every CHECKED_IN booking, by departure date."""
    return _day_list(hotel_slug, actor, None, limit, offset, now, uow, _staying)


def recent_checkouts(
    *,
    hotel_slug: str,
    actor: Actor,
    day: date | None = None,
    limit: int,
    offset: int,
    now: datetime | None = None,
    uow: UnitOfWork | None = None,
) -> DayPage:
    """COMPLETED bookings due out on `day` or later, or the day before (an early checkout
    included): those a wrong checkout may still be reinstated for (`allowed_events` says
    whether it may), the latest checkout first."""
    return _day_list(hotel_slug, actor, day, limit, offset, now, uow, _left)


def booking_history(
    *,
    hotel_slug: str,
    booking_id: str,
    limit: int,
    offset: int,
    uow: UnitOfWork | None = None,
) -> Page[TransitionLog]:
    """The booking's transition log, newest first (cancel and no-show notes included)."""
    with hotel_scope(hotel_slug, uow, write=False) as scope:
        booking = scope.booking(booking_id)
        query = select(TransitionLog).where(
            TransitionLog.hotel_id == scope.hotel.id,
            TransitionLog.entity_kind == BookingLifecycle.entity_kind,
            TransitionLog.entity_id == booking.id,
        )
        return page_of(scope.session, query.order_by(col(TransitionLog.id).desc()), limit, offset)


def _arriving(query, day: date):  # type: ignore[no-untyped-def]
    return query.where(Booking.status == CONFIRMED, Booking.arrival_date == day).order_by(
        col(Booking.expected_arrival_time).is_(None),
        col(Booking.expected_arrival_time),
        col(Booking.id),
    )


def _leaving(query, day: date):  # type: ignore[no-untyped-def]
    return query.where(Booking.status == CHECKED_IN, Booking.departure_date <= day).order_by(
        col(Booking.departure_date), col(Booking.id)
    )


def _left(query, day: date):  # type: ignore[no-untyped-def]
    return query.where(
        Booking.status == COMPLETED, Booking.departure_date >= day - timedelta(days=1)
    ).order_by(col(Booking.checked_out_at).desc(), col(Booking.id))


def _staying(query, day: date):  # type: ignore[no-untyped-def]
    return query.where(Booking.status == CHECKED_IN).order_by(
        col(Booking.departure_date), col(Booking.id)
    )


def _day_list(  # type: ignore[no-untyped-def]
    hotel_slug: str,
    actor: Actor,
    day: date | None,
    limit: int,
    offset: int,
    now: datetime | None,
    uow: UnitOfWork | None,
    select_bookings,
) -> DayPage:
    now = now or utc_now()
    with hotel_scope(hotel_slug, uow, write=False) as scope:
        today = hotel_today(scope.hotel, now)
        day = day or today
        query = select_bookings(select(Booking).where(Booking.hotel_id == scope.hotel.id), day)
        page = page_of(scope.session, query, limit, offset)
        rooms = rooms_by_id(scope.session, {b.assigned_room_id for b in page.items})
        items = [
            _item(scope, actor, now, today, booking, rooms.get(booking.assigned_room_id))  # type: ignore[arg-type]
            for booking in page.items
        ]
        return DayPage(items, page.total, limit, offset, day)


def _item(
    scope: HotelScope,
    actor: Actor,
    now: datetime,
    today: date,
    booking: Booking,
    room: Room | None,
) -> DeskItem:
    machine = BookingLifecycle(booking, scope.context(actor, "front_desk_list", now=now), room=room)
    late = booking.status == CHECKED_IN and booking.departure_date < today
    return DeskItem(booking, room, machine.enabled_event_names(), late)
