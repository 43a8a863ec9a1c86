"""Loading the rows an operation works on, scoped to a hotel; not-found is a domain error.

The queries are built once, with bound parameters: building a statement costs more than
running it on SQLite, and a checkout runs three of them.
"""

from sqlalchemy import bindparam
from sqlmodel import Session, col, select

from storage.models import Booking, Hotel, Room
from workflows.machines.errors import BookingNotFound, HotelNotFound, RoomNotFound

# Always read the row as the database has it now, not as this session cached it: after a
# lost compare-and-set the retry must see the winner's state.
FRESH = {"populate_existing": True}

_HOTEL_BY_SLUG = select(Hotel).where(Hotel.slug == bindparam("slug"))
_BOOKING = (
    select(Booking)
    .where(Booking.hotel_id == bindparam("hotel_id"), Booking.booking_id == bindparam("booking_id"))
    .execution_options(**FRESH)
)
# A hotel, one of its bookings and the booking's assigned room (any hotel's: the machines'
# guards judge it) in one query.
_BOOKING_WITH_ROOM = (
    select(Hotel, Booking, Room)
    .join(Booking, col(Booking.hotel_id) == col(Hotel.id))
    .outerjoin(Room, col(Room.id) == col(Booking.assigned_room_id))
    .where(Hotel.slug == bindparam("slug"), Booking.booking_id == bindparam("booking_id"))
    .execution_options(**FRESH)
)
_ROOM_BY_NUMBER = (
    select(Room)
    .where(Room.hotel_id == bindparam("hotel_id"), Room.room_number == bindparam("room_number"))
    .execution_options(**FRESH)
)
_ROOM_BY_ID = select(Room).where(Room.id == bindparam("room_id")).execution_options(**FRESH)


def load_hotel(session: Session, slug: str) -> Hotel:
    hotel = session.exec(_HOTEL_BY_SLUG, params={"slug": slug}).first()
    if hotel is None:
        raise HotelNotFound(f"Hotel '{slug}' not found")
    return hotel


def load_booking(session: Session, hotel: Hotel, booking_id: str) -> Booking:
    params = {"hotel_id": hotel.id, "booking_id": booking_id}
    booking = session.exec(_BOOKING, params=params).first()
    if booking is None:
        raise BookingNotFound("Booking not found")
    return booking


def load_booking_with_room(
    session: Session, hotel_slug: str, booking_id: str
) -> tuple[Hotel, Booking, Room | None]:
    """`load_hotel`, `load_booking` and `load_assigned_room` in one query."""
    params = {"slug": hotel_slug, "booking_id": booking_id}
    found = session.exec(_BOOKING_WITH_ROOM, params=params).first()
    if found is None:
        load_hotel(session, hotel_slug)  # the hotel's 404 comes first
        raise BookingNotFound("Booking not found")
    hotel, booking, room = found
    return hotel, booking, room


def load_room(session: Session, hotel: Hotel, room_number: int) -> Room:
    params = {"hotel_id": hotel.id, "room_number": room_number}
    room = session.exec(_ROOM_BY_NUMBER, params=params).first()
    if room is None:
        raise RoomNotFound(f"Room {room_number} not found")
    return room


def load_assigned_room(session: Session, booking: Booking) -> Room | None:
    if booking.assigned_room_id is None:
        return None
    return session.exec(_ROOM_BY_ID, params={"room_id": booking.assigned_room_id}).first()
