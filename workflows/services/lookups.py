"""Loading the rows an operation works on, scoped to a hotel; not-found is a domain error."""

from sqlmodel import Session, select

from storage.models import Booking, Hotel, Room
from workflows.machines.errors import BookingNotFound, HotelNotFound, RoomNotFound

# Always read the row as the database has it now, not as this session cached it: after a
# lost compare-and-set the retry must see the winner's state.
FRESH = {"populate_existing": True}


def load_hotel(session: Session, slug: str) -> Hotel:
    hotel = session.exec(select(Hotel).where(Hotel.slug == slug)).first()
    if hotel is None:
        raise HotelNotFound(f"Hotel '{slug}' not found")
    return hotel


def load_booking(session: Session, hotel: Hotel, booking_id: str) -> Booking:
    query = select(Booking).where(Booking.hotel_id == hotel.id, Booking.booking_id == booking_id)
    booking = session.exec(query.execution_options(**FRESH)).first()
    if booking is None:
        raise BookingNotFound("Booking not found")
    return booking


def load_room(session: Session, hotel: Hotel, room_number: int) -> Room:
    query = select(Room).where(Room.hotel_id == hotel.id, Room.room_number == room_number)
    room = session.exec(query.execution_options(**FRESH)).first()
    if room is None:
        raise RoomNotFound(f"Room {room_number} not found")
    return room


def load_assigned_room(session: Session, booking: Booking) -> Room | None:
    if booking.assigned_room_id is None:
        return None
    query = select(Room).where(Room.id == booking.assigned_room_id)
    return session.exec(query.execution_options(**FRESH)).first()
