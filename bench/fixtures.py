"""Starting data written straight with SQLAlchemy Core (fast, not timed): a hotel whose
rooms are all OCCUPIED by a CHECKED_IN booking with two guests, a chat session, a
conversation and an open room-service order -- everything a checkout has to clean up."""

from dataclasses import dataclass

from sqlalchemy import insert, select

from storage.database import get_engine
from storage.models import (
    Booking,
    Conversation,
    Guest,
    GuestChatSession,
    Hotel,
    Room,
    RoomServiceOrder,
    Staff,
    StaffToken,
)
from workflows.services.staff_accounts import hash_token, new_token


@dataclass(frozen=True)
class SeededHotel:
    slug: str
    hotel_id: int
    room_ids: list[int]
    booking_ids: list[str]
    token: str


def _table(model: type) -> object:
    return model.__table__  # type: ignore[attr-defined]


def seed_hotel(slug: str, rooms: int) -> SeededHotel:
    token = new_token()
    with get_engine().begin() as connection:
        hotel_id = connection.execute(
            insert(_table(Hotel)).values(slug=slug, name=slug).returning(_table(Hotel).c.id)
        ).scalar_one()
        staff_id = connection.execute(
            insert(_table(Staff))
            .values(hotel_id=hotel_id, username="bench", username_key="bench")
            .returning(_table(Staff).c.id)
        ).scalar_one()
        connection.execute(
            insert(_table(StaffToken)).values(
                staff_id=staff_id, name="bench", token_hash=hash_token(token)
            )
        )
        if rooms:
            _seed_rooms(connection, hotel_id, rooms)
        room_ids = list(
            connection.execute(
                select(_table(Room).c.id)
                .where(_table(Room).c.hotel_id == hotel_id)
                .order_by(_table(Room).c.room_number)
            ).scalars()
        )
    booking_ids = [f"BK-{n}" for n in range(1, rooms + 1)]
    return SeededHotel(slug, hotel_id, room_ids, booking_ids, token)


def _seed_rooms(connection, hotel_id: int, count: int) -> None:  # type: ignore[no-untyped-def]
    numbers = range(1, count + 1)
    connection.execute(
        insert(_table(Room)),
        [
            {
                "hotel_id": hotel_id,
                "room_number": n,
                "room_status": "OCCUPIED",
                "is_occupied": True,
                "fcm_token": f"fcm-{n}",
                "turnover_notes": "",
            }
            for n in numbers
        ],
    )
    room_by_number = dict(
        connection.execute(
            select(_table(Room).c.room_number, _table(Room).c.id).where(
                _table(Room).c.hotel_id == hotel_id
            )
        ).all()
    )
    connection.execute(
        insert(_table(Booking)),
        [
            {
                "hotel_id": hotel_id,
                "booking_id": f"BK-{n}",
                "status": "CHECKED_IN",
                "assigned_room_id": room_by_number[n],
            }
            for n in numbers
        ],
    )
    booking_by_ref = dict(
        connection.execute(
            select(_table(Booking).c.booking_id, _table(Booking).c.id).where(
                _table(Booking).c.hotel_id == hotel_id
            )
        ).all()
    )
    guests = [
        {
            "hotel_id": hotel_id,
            "booking_id": booking_by_ref[f"BK-{n}"],
            "room_id": room_by_number[n],
            "first_name": name,
            "last_name": "",
        }
        for n in numbers
        for name in ("Mary", "John")
    ]
    connection.execute(insert(_table(Guest)), guests)
    per_room = [{"hotel_id": hotel_id, "room_id": room_by_number[n]} for n in numbers]
    connection.execute(insert(_table(GuestChatSession)), per_room)
    connection.execute(insert(_table(Conversation)), per_room)
    connection.execute(
        insert(_table(RoomServiceOrder)), [{**row, "status": "OPEN"} for row in per_room]
    )
