"""Loading a hotel's data from a seed file (`turnover seed FILE.json`, `turnover demo`).

Everything is checked before anything is written, and everything is written in one
transaction: a bad file names each bad record and field and leaves the database untouched.
Seeded states are starting data, not transitions: no audit rows or events are written.
"""

from collections import Counter
from dataclasses import dataclass, field
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError
from sqlmodel import Session, select

from storage.models import (
    ORDER_STATUSES,
    Booking,
    Conversation,
    Guest,
    GuestChatSession,
    Hotel,
    Room,
    RoomServiceOrder,
    Staff,
)
from storage.timestamps import utc_now
from workflows.machines.base import state_values
from workflows.machines.booking_lifecycle import BookingLifecycle
from workflows.machines.errors import InvalidSeed
from workflows.machines.room_turnover import RoomTurnover
from workflows.services.staff_accounts import hash_token

Slug = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]{0,63}$")]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=150)]
RoomNumber = Annotated[int, Field(ge=1, le=999_999)]


class SeedRecord(BaseModel):
    model_config = ConfigDict(extra="ignore", strict=False)


class SeedHotel(SeedRecord):
    slug: Slug
    name: Annotated[str, StringConstraints(max_length=200)] = ""
    checkout_notification_text: Annotated[str, StringConstraints(max_length=500)] | None = None


class SeedStaff(SeedRecord):
    hotel: str
    username: Name
    is_superuser: bool = False
    token: Annotated[str, StringConstraints(min_length=16, max_length=200)] | None = None


class SeedRoom(SeedRecord):
    hotel: str
    room_number: RoomNumber
    room_status: str = "READY_FOR_GUEST"
    fcm_token: Annotated[str, StringConstraints(max_length=512)] | None = None


class SeedGuest(SeedRecord):
    first_name: Name
    last_name: Annotated[str, StringConstraints(max_length=150)] = ""


class SeedBooking(SeedRecord):
    hotel: str
    booking_id: Annotated[str, StringConstraints(min_length=1, max_length=64)]
    status: str = "CONFIRMED"
    room_number: RoomNumber | None = None
    guests: list[SeedGuest] = []


class SeedRoomRecord(SeedRecord):
    hotel: str
    room_number: RoomNumber


class SeedOrder(SeedRoomRecord):
    status: str = "OPEN"


class SeedFile(SeedRecord):
    hotels: list[SeedHotel]
    staff: list[SeedStaff] = []
    rooms: list[SeedRoom] = []
    bookings: list[SeedBooking] = []
    chat_sessions: list[SeedRoomRecord] = []
    conversations: list[SeedRoomRecord] = []
    room_service_orders: list[SeedOrder] = []


@dataclass
class SeedSummary:
    counts: dict[str, int] = field(default_factory=dict)


def parse_seed(data: Any) -> SeedFile:
    try:
        return SeedFile.model_validate(data)
    except ValidationError as error:
        problems = [f"{_path(e['loc'])}: {e['msg']}" for e in error.errors()]
        raise InvalidSeed("Invalid seed file:\n  " + "\n  ".join(problems)) from None


def load_seed(session: Session, data: Any) -> SeedSummary:
    """Check `data` against the schema, the machines and the database, then insert it."""
    seed = parse_seed(data)
    _SeedChecker(session, seed).raise_problems()
    return _insert(session, seed)


def _path(loc: tuple[Any, ...]) -> str:
    path = ""
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path


class _SeedChecker:
    """The rules a schema cannot express: references, uniqueness, states the machines know."""

    def __init__(self, session: Session, seed: SeedFile) -> None:
        self.session, self.seed = session, seed
        self.problems: list[str] = []
        self.db_hotels = {h.slug: h for h in session.exec(select(Hotel))}
        self.hotels = set(self.db_hotels) | {h.slug for h in seed.hotels}
        self.rooms = self._known_rooms()

    def raise_problems(self) -> None:
        self._check_hotels()
        self._check_staff()
        self._check_rooms()
        self._check_bookings()
        for kind in ("chat_sessions", "conversations", "room_service_orders"):
            for i, record in enumerate(getattr(self.seed, kind)):
                self._check_room_ref(f"{kind}[{i}]", record.hotel, record.room_number)
        for i, order in enumerate(self.seed.room_service_orders):
            if order.status not in ORDER_STATUSES:
                self._problem(f"room_service_orders[{i}].status", order.status, ORDER_STATUSES)
        if self.problems:
            raise InvalidSeed("Invalid seed file:\n  " + "\n  ".join(self.problems))

    def _known_rooms(self) -> dict[tuple[str, int], str]:
        """(hotel slug, room number) -> room status, from the database and the file."""
        slugs = {h.id: slug for slug, h in self.db_hotels.items()}
        rooms = {(slugs[r.hotel_id], r.room_number): r.room_status for r in self._db(Room)}
        rooms.update({(r.hotel, r.room_number): r.room_status for r in self.seed.rooms})
        return rooms

    def _db(self, table: type) -> list:
        ids = [h.id for h in self.db_hotels.values()]
        return list(self.session.exec(select(table).where(table.hotel_id.in_(ids))))

    def _check_hotels(self) -> None:
        seen: set[str] = set()
        for i, hotel in enumerate(self.seed.hotels):
            if hotel.slug in self.db_hotels or hotel.slug in seen:
                self.problems.append(f"hotels[{i}].slug: hotel '{hotel.slug}' already exists")
            seen.add(hotel.slug)

    def _check_hotel_ref(self, where: str, slug: str) -> bool:
        if slug not in self.hotels:
            self.problems.append(f"{where}.hotel: unknown hotel '{slug}'")
            return False
        return True

    def _check_room_ref(self, where: str, slug: str, room_number: int | None) -> None:
        if self._check_hotel_ref(where, slug) and (slug, room_number) not in self.rooms:
            self.problems.append(f"{where}.room_number: hotel '{slug}' has no room {room_number}")

    def _check_staff(self) -> None:
        slugs = {h.id: slug for slug, h in self.db_hotels.items()}
        taken = {(slugs[s.hotel_id], s.username) for s in self._db(Staff)}
        for i, staff in enumerate(self.seed.staff):
            self._check_hotel_ref(f"staff[{i}]", staff.hotel)
            if (staff.hotel, staff.username) in taken:
                self.problems.append(f"staff[{i}].username: '{staff.username}' already exists")
            taken.add((staff.hotel, staff.username))
            if staff.token and self._token_taken(staff.token):
                self.problems.append(f"staff[{i}].token: this token is already in use")

    def _token_taken(self, token: str) -> bool:
        tokens = [s.token for s in self.seed.staff if s.token]
        in_db = self.session.exec(select(Staff).where(Staff.token_hash == hash_token(token)))
        return tokens.count(token) > 1 or in_db.first() is not None

    def _check_rooms(self) -> None:
        known = state_values(RoomTurnover)
        slugs = {h.id: slug for slug, h in self.db_hotels.items()}
        in_db = {(slugs[r.hotel_id], r.room_number) for r in self._db(Room)}
        in_file = Counter((r.hotel, r.room_number) for r in self.seed.rooms)
        for i, room in enumerate(self.seed.rooms):
            self._check_hotel_ref(f"rooms[{i}]", room.hotel)
            key = (room.hotel, room.room_number)
            if key in in_db or in_file[key] > 1:
                self.problems.append(
                    f"rooms[{i}].room_number: room {room.room_number} appears twice"
                    f" in hotel '{room.hotel}'"
                )
            if room.room_status not in known:
                self._problem(f"rooms[{i}].room_status", room.room_status, known)

    def _check_bookings(self) -> None:
        known = state_values(BookingLifecycle)
        slugs = {h.id: slug for slug, h in self.db_hotels.items()}
        taken = {(slugs[b.hotel_id], b.booking_id) for b in self._db(Booking)}
        file_occupants: Counter[tuple[str, int]] = Counter()
        for i, booking in enumerate(self.seed.bookings):
            where = f"bookings[{i}]"
            if (booking.hotel, booking.booking_id) in taken:
                self.problems.append(f"{where}.booking_id: '{booking.booking_id}' appears twice")
            taken.add((booking.hotel, booking.booking_id))
            if booking.status not in known:
                self._problem(f"{where}.status", booking.status, known)
            if booking.room_number is not None:
                self._check_room_ref(where, booking.hotel, booking.room_number)
            elif not self._check_hotel_ref(where, booking.hotel):
                continue
            if booking.status == "CHECKED_IN":
                self._check_in_house(where, booking, file_occupants)

    def _check_in_house(self, where: str, booking: SeedBooking, occupants: Counter) -> None:
        if booking.room_number is None:
            self.problems.append(f"{where}.room_number: a CHECKED_IN booking needs a room")
            return
        key = (booking.hotel, booking.room_number)
        status = self.rooms.get(key)
        if status is not None and status != "OCCUPIED":
            self.problems.append(
                f"{where}.status: CHECKED_IN but room {booking.room_number} is {status},"
                " not OCCUPIED"
            )
        occupants[key] += 1
        if occupants[key] > 1 or self._room_has_guest_in_db(key):
            self.problems.append(
                f"{where}.room_number: room {booking.room_number} already has an in-house booking"
            )

    def _room_has_guest_in_db(self, key: tuple[str, int]) -> bool:
        hotel = self.db_hotels.get(key[0])
        if hotel is None:
            return False
        query = (
            select(Booking)
            .join(Room, Booking.assigned_room_id == Room.id)  # type: ignore[arg-type]
            .where(
                Room.hotel_id == hotel.id,
                Room.room_number == key[1],
                Booking.status == "CHECKED_IN",
            )
        )
        return self.session.exec(query).first() is not None

    def _problem(self, where: str, value: str, allowed: Any) -> None:
        self.problems.append(f"{where}: '{value}' is not one of {', '.join(allowed)}")


HotelsBySlug = dict[str, Hotel]
RoomsByNumber = dict[tuple[str, int], Room]


def _insert(session: Session, seed: SeedFile) -> SeedSummary:
    hotels = _insert_hotels(session, seed)
    rooms = _insert_rooms(session, seed, hotels)
    _insert_staff(session, seed, hotels)
    session.flush()
    for record in seed.bookings:
        _insert_booking(session, record, hotels[record.hotel], rooms)
    _insert_room_records(session, seed, rooms)
    session.flush()
    counts = {kind: len(getattr(seed, kind)) for kind in SeedFile.model_fields}
    return SeedSummary(counts)


def _insert_hotels(session: Session, seed: SeedFile) -> HotelsBySlug:
    """The file's hotels, added, and the database's, which the file may refer to."""
    hotels = {h.slug: h for h in session.exec(select(Hotel))}
    for record in seed.hotels:
        hotels[record.slug] = Hotel(
            slug=record.slug,
            name=record.name or record.slug,
            checkout_notification_text=record.checkout_notification_text,
        )
        session.add(hotels[record.slug])
    session.flush()
    return hotels


def _insert_rooms(session: Session, seed: SeedFile, hotels: HotelsBySlug) -> RoomsByNumber:
    rooms = {(slug, r.room_number): r for slug, h in hotels.items() for r in _rooms(session, h)}
    for record in seed.rooms:
        room = Room(
            hotel_id=hotels[record.hotel].id,
            room_number=record.room_number,
            room_status=record.room_status,
            is_occupied=record.room_status == "OCCUPIED",
            fcm_token=record.fcm_token,
        )
        rooms[(record.hotel, record.room_number)] = room
        session.add(room)
    return rooms


def _insert_staff(session: Session, seed: SeedFile, hotels: HotelsBySlug) -> None:
    for record in seed.staff:
        token_hash = hash_token(record.token) if record.token else None
        session.add(
            Staff(
                hotel_id=hotels[record.hotel].id,
                username=record.username,
                is_superuser=record.is_superuser,
                token_hash=token_hash,
            )
        )


def _insert_room_records(session: Session, seed: SeedFile, rooms: RoomsByNumber) -> None:
    """Chat sessions, conversations and room-service orders."""
    for kind, table in (
        ("chat_sessions", GuestChatSession),
        ("conversations", Conversation),
        ("room_service_orders", RoomServiceOrder),
    ):
        for item in getattr(seed, kind):
            room = rooms[(item.hotel, item.room_number)]
            extra = {"status": item.status} if kind == "room_service_orders" else {}
            session.add(table(hotel_id=room.hotel_id, room_id=room.id, **extra))


def _rooms(session: Session, hotel: Hotel) -> list[Room]:
    if hotel.id is None:
        return []
    return list(session.exec(select(Room).where(Room.hotel_id == hotel.id)))


def _insert_booking(
    session: Session, record: SeedBooking, hotel: Hotel, rooms: RoomsByNumber
) -> None:
    room = rooms.get((record.hotel, record.room_number)) if record.room_number else None
    booking = Booking(
        hotel_id=hotel.id,
        booking_id=record.booking_id,
        status=record.status,
        assigned_room_id=room.id if room else None,
        checked_in_at=utc_now() if record.status in ("CHECKED_IN", "COMPLETED") else None,
        checked_out_at=utc_now() if record.status == "COMPLETED" else None,
    )
    session.add(booking)
    session.flush()
    in_house = record.status == "CHECKED_IN"
    for guest in record.guests:
        session.add(
            Guest(
                hotel_id=hotel.id,
                booking_id=booking.id,
                room_id=room.id if (room and in_house) else None,
                first_name=guest.first_name,
                last_name=guest.last_name,
            )
        )
