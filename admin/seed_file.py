"""Loading a hotel's data from a seed file (`turnover seed FILE.json`, `turnover demo`).

The file is checked like the API checks a request: unknown keys are errors, values are
not coerced (`"11"` is not a room number, `"yes"` is not a boolean), and every problem
of the file, of its shape and of its meaning, is reported in one run. Nothing is written
unless the whole file is good, and then everything is written in one transaction, in
batches (a file of 100,000 rooms is a few dozen statements).

Records already in the database are refused, saying so, unless `update=True`
(`turnover seed --update`): then the keys the file gives overwrite theirs and the others
are kept. Seeded states are starting data, not transitions: no audit rows or events.
"""

import contextlib
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy import case, delete, insert, update
from sqlmodel import Session, select

from storage.models import (
    DEFAULT_STAFF_ROLE,
    ORDER_STATUSES,
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
from storage.timestamps import utc_now
from workflows.machines.base import state_values
from workflows.machines.booking_lifecycle import BookingLifecycle
from workflows.machines.errors import InvalidSeed
from workflows.machines.room_turnover import RoomTurnover
from workflows.services.staff_accounts import (
    TokenNotFound,
    find_token,
    hash_token,
    issue_token,
    revoke_token,
    role_problem,
    username_key,
    username_problem,
)

BATCH = 5_000
SEED_TOKEN_NAME = "seed"
ROOM_STATES = state_values(RoomTurnover)
BOOKING_STATES = state_values(BookingLifecycle)


def _check(problem_of: Any) -> AfterValidator:
    def validate(value: Any) -> Any:
        problem = problem_of(value)
        if problem:
            raise ValueError(problem)
        return value

    return AfterValidator(validate)


def _nul_problem(text: str) -> str | None:
    if "\x00" in text:
        return "contains the NUL character (\\u0000), which cannot be stored; remove it"
    return None


def _one_of(allowed: Iterable[str]) -> AfterValidator:
    allowed = list(allowed)
    return _check(lambda v: None if v in allowed else f"'{v}' is not one of {', '.join(allowed)}")


def _text(max_length: int, min_length: int = 0) -> Any:
    return Annotated[str, Field(min_length=min_length, max_length=max_length), _check(_nul_problem)]


Slug = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]{0,63}$")]
Username = Annotated[str, _check(username_problem)]
Role = Annotated[str, _check(role_problem)]
RoomNumber = Annotated[int, Field(ge=1, le=999_999)]
RoomState = Annotated[str, _one_of(ROOM_STATES)]
BookingState = Annotated[str, _one_of(BOOKING_STATES)]
OrderState = Annotated[str, _one_of(ORDER_STATUSES)]


class SeedRecord(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class SeedHotel(SeedRecord):
    slug: Slug
    name: _text(200) = ""


class SeedStaff(SeedRecord):
    hotel: Slug
    username: Username
    role: Role = DEFAULT_STAFF_ROLE
    is_superuser: bool = False
    token: _text(200, min_length=16) | None = None


class SeedRoom(SeedRecord):
    hotel: Slug
    room_number: RoomNumber
    room_status: RoomState = "READY_FOR_GUEST"
    fcm_token: _text(512) | None = None


class SeedGuest(SeedRecord):
    first_name: Annotated[_text(150, min_length=1), Field(pattern=r"\S")]
    last_name: _text(150) = ""


class SeedBooking(SeedRecord):
    hotel: Slug
    booking_id: Annotated[_text(64, min_length=1), Field(pattern=r"\S")]
    status: BookingState = "CONFIRMED"
    room_number: RoomNumber | None = None
    guests: list[SeedGuest] = []


class SeedRoomRecord(SeedRecord):
    hotel: Slug
    room_number: RoomNumber


class SeedOrder(SeedRoomRecord):
    status: OrderState = "OPEN"


SECTIONS: dict[str, type[SeedRecord]] = {
    "hotels": SeedHotel,
    "staff": SeedStaff,
    "rooms": SeedRoom,
    "bookings": SeedBooking,
    "chat_sessions": SeedRoomRecord,
    "conversations": SeedRoomRecord,
    "room_service_orders": SeedOrder,
}
ROOM_RECORDS = {
    "chat_sessions": GuestChatSession,
    "conversations": Conversation,
    "room_service_orders": RoomServiceOrder,
}

RoomKey = tuple[str, int]  # (hotel slug, room number)
Numbered = list[tuple[int, Any]]  # (index in the file's section, record)


@dataclass
class ParsedSeed:
    """The records that passed the schema, with their index in the file, and the problems."""

    records: dict[str, Numbered] = field(default_factory=lambda: {k: [] for k in SECTIONS})
    problems: list[str] = field(default_factory=list)
    # Hotels and rooms of records the schema refused: references to them are not reported
    # again as "unknown".
    unsure_hotels: set[str] = field(default_factory=set)
    unsure_rooms: set[RoomKey] = field(default_factory=set)

    def __getitem__(self, kind: str) -> Numbered:
        return self.records[kind]


@dataclass
class SeedSummary:
    counts: dict[str, int] = field(default_factory=dict)  # added, per section
    updated: dict[str, int] = field(default_factory=dict)

    def describe(self) -> str:
        added = ", ".join(f"{n} {kind}" for kind, n in self.counts.items() if n)
        changed = ", ".join(f"{n} {kind}" for kind, n in self.updated.items() if n)
        parts = [f"Loaded {added or 'nothing new'}"]
        if changed:
            parts.append(f"updated {changed}")
        return "; ".join(parts) + "."


def load_seed(session: Session, data: Any, *, update: bool = False) -> SeedSummary:
    """Check `data` against the schema, the machines and the database, then write it."""
    parsed = parse_seed(data)
    plan = _Plan(session, parsed, update)
    problems = sorted(parsed.problems + plan.problems, key=_place_in_file)
    if problems:
        raise InvalidSeed(_report(problems))
    return _Writer(session, parsed, plan).write()


def _place_in_file(problem: str) -> tuple[int, int]:
    """(section, record): problems listed in the order of the file."""
    match = re.match(r"(\w+)(?:\[(\d+)\])?", problem)
    section = list(SECTIONS).index(match[1]) if match and match[1] in SECTIONS else -1
    return section, int(match[2]) if match and match[2] else -1


def _report(problems: list[str]) -> str:
    if len(problems) == 1:
        return f"Invalid seed file: {problems[0]}"
    return "Invalid seed file:\n  " + "\n  ".join(problems)


# --- the schema ----------------------------------------------------------------------------


def parse_seed(data: Any) -> ParsedSeed:
    """Validate every record on its own, so one bad record hides no other problem."""
    parsed = ParsedSeed()
    if not isinstance(data, dict):
        parsed.problems.append("the file must be a JSON object with a 'hotels' list")
        return parsed
    if "hotels" not in data:
        parsed.problems.append("hotels: required (it may be an empty list)")
    for key in data:
        if key not in SECTIONS:
            parsed.problems.append(
                f"{key}: unknown section; the sections are {', '.join(SECTIONS)}"
            )
    for kind, model in SECTIONS.items():
        section = data.get(kind, [])
        if not isinstance(section, list):
            parsed.problems.append(f"{kind}: must be a list of records")
            continue
        for i, raw in enumerate(section):
            _parse_record(parsed, kind, model, i, raw)
    return parsed


def _parse_record(parsed: ParsedSeed, kind: str, model: type[SeedRecord], i: int, raw: Any) -> None:
    try:
        parsed.records[kind].append((i, model.model_validate(raw)))
    except ValidationError as error:
        for item in error.errors(include_url=False, include_input=False):
            parsed.problems.append(f"{kind}[{i}]{_path(item['loc'])}: {_message(item, model)}")
        if isinstance(raw, dict):
            _remember_unsure(parsed, kind, raw)


def _remember_unsure(parsed: ParsedSeed, kind: str, raw: dict[str, Any]) -> None:
    hotel = raw.get("slug" if kind == "hotels" else "hotel")
    if isinstance(hotel, str):
        if kind == "hotels":
            parsed.unsure_hotels.add(hotel)
        elif kind == "rooms" and isinstance(raw.get("room_number"), int):
            parsed.unsure_rooms.add((hotel, raw["room_number"]))


def _path(loc: tuple[Any, ...]) -> str:
    return "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in loc)


def _message(item: Any, model: type[SeedRecord]) -> str:
    if item["type"] == "extra_forbidden":
        owner = SeedGuest if "guests" in item["loc"] else model
        return f"unknown key; the keys are {', '.join(owner.model_fields)}"
    if item["type"] == "missing":
        return "required"
    if item["type"] == "value_error":
        return str(item["ctx"]["error"])
    if item["type"] == "string_pattern_mismatch" and item["loc"][-1] in ("hotel", "slug"):
        return "a hotel slug is lower-case letters, digits and -, at most 64 characters"
    if item["type"] == "string_pattern_mismatch":
        return "must not be blank"
    return str(item["msg"])


# --- the meaning ---------------------------------------------------------------------------


@dataclass
class _StoredBooking:
    id: int
    status: str
    room: RoomKey | None
    checked_in_at: datetime | None
    checked_out_at: datetime | None


class _Plan:
    """What the database holds for the file's hotels, the problems of the file against it
    and against the machines' rules, and which records are new and which update a row."""

    def __init__(self, session: Session, parsed: ParsedSeed, update: bool) -> None:
        self.session, self.parsed, self.update = session, parsed, update
        self.problems: list[str] = []
        slugs = self._slugs()
        self.hotels = {h.slug: h for h in session.exec(select(Hotel).where(Hotel.slug.in_(slugs)))}
        self.slug_of = {h.id: slug for slug, h in self.hotels.items()}
        self.rooms = self._stored_rooms()
        self.bookings = self._stored_bookings()
        self.staff = {
            (self.slug_of[s.hotel_id], s.username_key): s
            for s in session.exec(select(Staff).where(Staff.hotel_id.in_(self.slug_of)))
        }
        self._check()

    def _slugs(self) -> set[str]:
        slugs = {h.slug for _, h in self.parsed["hotels"]}
        for kind in SECTIONS:
            if kind != "hotels":
                slugs |= {r.hotel for _, r in self.parsed[kind]}
        return slugs

    def _stored_rooms(self) -> dict[RoomKey, tuple[int, str]]:
        query = select(Room.id, Room.hotel_id, Room.room_number, Room.room_status).where(
            Room.hotel_id.in_(self.slug_of)
        )
        return {
            (self.slug_of[hotel_id], number): (room_id, status)
            for room_id, hotel_id, number, status in self.session.execute(query)
        }

    def _stored_bookings(self) -> dict[tuple[str, str], _StoredBooking]:
        number_of = {room_id: key for key, (room_id, _) in self.rooms.items()}
        query = select(
            Booking.id,
            Booking.hotel_id,
            Booking.booking_id,
            Booking.status,
            Booking.assigned_room_id,
            Booking.checked_in_at,
            Booking.checked_out_at,
        ).where(Booking.hotel_id.in_(self.slug_of))
        return {
            (self.slug_of[row.hotel_id], row.booking_id): _StoredBooking(
                row.id,
                row.status,
                number_of.get(row.assigned_room_id),
                row.checked_in_at,
                row.checked_out_at,
            )
            for row in self.session.execute(query)
        }

    # -- the checks ---------------------------------------------------------------------

    def _check(self) -> None:
        self._check_hotels()
        self._check_staff()
        self._check_rooms()
        self._check_bookings()
        self._check_in_house()
        for kind in ROOM_RECORDS:
            for i, record in self.parsed[kind]:
                self._check_room_ref(f"{kind}[{i}]", record.hotel, record.room_number)

    def _already_stored(self, where: str, what: str) -> None:
        self.problems.append(
            f"{where}: {what} is already in the database (turnover seed --update updates it)"
        )

    def _check_hotels(self) -> None:
        seen: set[str] = set()
        for i, hotel in self.parsed["hotels"]:
            if hotel.slug in seen:
                self.problems.append(
                    f"hotels[{i}].slug: hotel '{hotel.slug}' appears twice in the file"
                )
            elif hotel.slug in self.hotels and not self.update:
                self._already_stored(f"hotels[{i}].slug", f"hotel '{hotel.slug}'")
            seen.add(hotel.slug)
        self.known_hotels = seen | set(self.hotels)

    def _check_hotel_ref(self, where: str, slug: str) -> bool:
        if slug in self.known_hotels:
            return True
        if slug not in self.parsed.unsure_hotels:
            self.problems.append(f"{where}.hotel: unknown hotel '{slug}'")
        return False

    def _check_staff(self) -> None:
        seen: set[tuple[str, str]] = set()
        tokens = Counter(s.token for _, s in self.parsed["staff"] if s.token)
        stored_tokens = self._stored_token_owners(tokens)
        for i, staff in self.parsed["staff"]:
            where = f"staff[{i}]"
            self._check_hotel_ref(where, staff.hotel)
            key = (staff.hotel, username_key(staff.username))
            stored = self.staff.get(key)
            if key in seen:
                self.problems.append(
                    f"{where}.username: '{staff.username}' appears twice in the file "
                    "(usernames ignore case)"
                )
            elif stored is not None and not self.update:
                self._already_stored(f"{where}.username", f"staff member '{stored.username}'")
            seen.add(key)
            if staff.token:
                owner = stored_tokens.get(hash_token(staff.token))
                mine = stored is not None and owner == stored.id
                if tokens[staff.token] > 1 or (owner is not None and not mine):
                    self.problems.append(f"{where}.token: this token is already in use")

    def _stored_token_owners(self, tokens: Iterable[str]) -> dict[str, int]:
        hashes = [hash_token(token) for token in tokens]
        query = select(StaffToken.token_hash, StaffToken.staff_id).where(
            StaffToken.token_hash.in_(hashes)
        )
        return {token_hash: staff_id for token_hash, staff_id in self.session.execute(query)}

    def _check_rooms(self) -> None:
        in_file = Counter((r.hotel, r.room_number) for _, r in self.parsed["rooms"])
        for i, room in self.parsed["rooms"]:
            where = f"rooms[{i}].room_number"
            self._check_hotel_ref(f"rooms[{i}]", room.hotel)
            key = (room.hotel, room.room_number)
            if in_file[key] > 1:
                self.problems.append(
                    f"{where}: room {room.room_number} appears twice in hotel '{room.hotel}'"
                )
            elif key in self.rooms and not self.update:
                self._already_stored(where, f"room {room.room_number} of hotel '{room.hotel}'")
        self.known_rooms = set(in_file) | set(self.rooms)

    def _check_room_ref(self, where: str, slug: str, number: int | None) -> None:
        if not self._check_hotel_ref(where, slug) or (slug, number) in self.known_rooms:
            return
        if (slug, number) not in self.parsed.unsure_rooms:
            self.problems.append(f"{where}.room_number: hotel '{slug}' has no room {number}")

    def _check_bookings(self) -> None:
        in_file = Counter((b.hotel, b.booking_id) for _, b in self.parsed["bookings"])
        for i, booking in self.parsed["bookings"]:
            where = f"bookings[{i}]"
            key = (booking.hotel, booking.booking_id)
            if in_file[key] > 1:
                self.problems.append(
                    f"{where}.booking_id: '{booking.booking_id}' appears twice in the file"
                )
            elif key in self.bookings and not self.update:
                self._already_stored(f"{where}.booking_id", f"booking '{booking.booking_id}'")
            if booking.room_number is not None:
                self._check_room_ref(where, booking.hotel, booking.room_number)
            else:
                self._check_hotel_ref(where, booking.hotel)

    # -- the state after loading -------------------------------------------------------

    def room_status_after(self, key: RoomKey) -> str | None:
        return self._room_status_after.get(key, self.rooms.get(key, (0, None))[1])

    def _check_in_house(self) -> None:
        """A CHECKED_IN booking needs an OCCUPIED room, and a room has at most one; both
        are checked on the data as it will be, stored rows and file together."""
        self._room_status_after = {
            (r.hotel, r.room_number): r.room_status
            for _, r in self.parsed["rooms"]
            if "room_status" in r.model_fields_set or (r.hotel, r.room_number) not in self.rooms
        }
        after = {key: (stored.status, stored.room) for key, stored in self.bookings.items()}
        from_file: dict[tuple[str, str], int] = {}
        for i, b in self.parsed["bookings"]:
            key = (b.hotel, b.booking_id)
            status, room = after.get(key, ("CONFIRMED", None))
            fields = b.model_fields_set if key in self.bookings else {"status", "room_number"}
            if "status" in fields:
                status = b.status
            if "room_number" in fields:
                room = (b.hotel, b.room_number) if b.room_number is not None else None
            after[key] = (status, room)
            from_file[key] = i
        occupants: dict[RoomKey, list[tuple[str, str]]] = defaultdict(list)
        for key in sorted(after, key=lambda k: (k in from_file, from_file.get(k, 0))):
            status, room = after[key]
            if status == "CHECKED_IN" and room is not None:
                occupants[room].append(key)
        for key, i in from_file.items():
            self._check_booking_in_house(f"bookings[{i}]", key, *after[key], occupants)
        self._check_rooms_left_in_house(occupants, from_file)

    def _check_booking_in_house(
        self, where: str, key: tuple[str, str], status: str, room: RoomKey | None, occupants: Any
    ) -> None:
        if status != "CHECKED_IN":
            return
        if room is None:
            self.problems.append(f"{where}.room_number: a CHECKED_IN booking needs a room")
            return
        room_status = self.room_status_after(room)
        if room_status is not None and room_status != "OCCUPIED":
            self.problems.append(
                f"{where}.status: CHECKED_IN but room {room[1]} is {room_status}, not OCCUPIED"
            )
        if occupants[room].index(key) > 0:
            self.problems.append(
                f"{where}.room_number: room {room[1]} already has an in-house booking"
            )

    def _check_rooms_left_in_house(self, occupants: Any, from_file: dict) -> None:
        """A stored in-house booking whose room the file turns into another state."""
        for i, room in self.parsed["rooms"]:
            key = (room.hotel, room.room_number)
            status = self.room_status_after(key)
            guests = [b for b in occupants.get(key, []) if b not in from_file]
            if status != "OCCUPIED" and guests:
                self.problems.append(
                    f"rooms[{i}].room_status: booking '{guests[0][1]}' is CHECKED_IN in room "
                    f"{room.room_number}, which must stay OCCUPIED (check it out first)"
                )


# --- writing -------------------------------------------------------------------------------


def _batches(rows: Iterable[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    batch: list[dict[str, Any]] = []
    for row in rows:
        batch.append(row)
        if len(batch) == BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def _stamps(
    status: str, checked_in: datetime | None, checked_out: datetime | None, now: datetime
) -> dict[str, Any]:
    """`checked_in_at` / `checked_out_at` as a booking in `status` has them."""
    in_house_or_after = status in ("CHECKED_IN", "COMPLETED")
    return {
        "checked_in_at": (checked_in or now) if in_house_or_after else None,
        "checked_out_at": (checked_out or now) if status == "COMPLETED" else None,
    }


class _Writer:
    def __init__(self, session: Session, parsed: ParsedSeed, plan: _Plan) -> None:
        self.session, self.parsed, self.plan = session, parsed, plan
        self.now = utc_now()
        self.summary = SeedSummary({k: 0 for k in SECTIONS}, {k: 0 for k in SECTIONS})

    def write(self) -> SeedSummary:
        self._hotels()
        self._staff()
        self._rooms()
        self._bookings()
        self._room_records()
        self.session.flush()
        self.session.expire_all()  # the ORM's view of the rows written in bulk is stale
        return self.summary

    def _count(self, kind: str, *, updated: bool) -> None:
        (self.summary.updated if updated else self.summary.counts)[kind] += 1

    def _hotels(self) -> None:
        for _, record in self.parsed["hotels"]:
            hotel = self.plan.hotels.get(record.slug)
            self._count("hotels", updated=hotel is not None)
            if hotel is None:
                hotel = Hotel(slug=record.slug, name=record.name or record.slug)
            elif "name" in record.model_fields_set:
                hotel.name = record.name or record.slug
            self.session.add(hotel)
            self.plan.hotels[record.slug] = hotel
        self.session.flush()
        self.hotel_ids = {slug: h.id for slug, h in self.plan.hotels.items()}

    def _staff(self) -> None:
        for _, record in self.parsed["staff"]:
            key = (record.hotel, username_key(record.username))
            staff = self.plan.staff.get(key)
            self._count("staff", updated=staff is not None)
            if staff is None:
                staff = Staff(
                    hotel_id=self.hotel_ids[record.hotel],
                    username=record.username,
                    username_key=key[1],
                )
            for name in ("role", "is_superuser"):
                if name in record.model_fields_set or staff.id is None:
                    setattr(staff, name, getattr(record, name))
            self.session.add(staff)
            self.session.flush()
            if record.token:
                self._seed_token(staff, record.token, existed=key in self.plan.staff)

    def _seed_token(self, staff: Staff, secret: str, *, existed: bool) -> None:
        """The file's token becomes the member's token named "seed" (replacing an older one
        of that name when updating)."""
        if existed:
            query = select(StaffToken.id).where(StaffToken.token_hash == hash_token(secret))
            if self.session.execute(query).first() is not None:
                return  # already this member's token (the checks refused anyone else's)
            with contextlib.suppress(TokenNotFound):
                old = find_token(self.session, staff, name=SEED_TOKEN_NAME)
                revoke_token(self.session, old, now=self.now)
        issue_token(self.session, staff, name=SEED_TOKEN_NAME, secret=secret, now=self.now)

    def _rooms(self) -> None:
        new, changes = [], []
        for _, r in self.parsed["rooms"]:
            key = (r.hotel, r.room_number)
            stored = self.plan.rooms.get(key)
            self._count("rooms", updated=stored is not None)
            if stored is None:
                new.append(
                    {
                        "hotel_id": self.hotel_ids[r.hotel],
                        "room_number": r.room_number,
                        "room_status": r.room_status,
                        "is_occupied": r.room_status == "OCCUPIED",
                        "fcm_token": r.fcm_token,
                        "turnover_notes": "",
                    }
                )
                continue
            change: dict[str, Any] = {"id": stored[0]}
            if "room_status" in r.model_fields_set:
                change |= {"room_status": r.room_status, "is_occupied": r.room_status == "OCCUPIED"}
            if "fcm_token" in r.model_fields_set:
                change["fcm_token"] = r.fcm_token
            if len(change) > 1:
                changes.append(change)
        for batch in _batches(new):
            self.session.execute(insert(Room), batch)
        for batch in _batches(changes):
            self.session.execute(update(Room), batch)
        self.room_ids = self._ids(Room.room_number)

    def _ids(self, column: Any) -> dict[tuple[str, Any], int]:
        """(hotel slug, natural key) -> row id, for the file's hotels."""
        table = column.class_
        slug_of = {hotel_id: slug for slug, hotel_id in self.hotel_ids.items()}
        query = select(table.id, table.hotel_id, column).where(table.hotel_id.in_(slug_of))
        return {(slug_of[h], key): row_id for row_id, h, key in self.session.execute(query)}

    def _bookings(self) -> None:
        new, changes, guests_of = [], [], {}
        for _, b in self.parsed["bookings"]:
            key = (b.hotel, b.booking_id)
            stored = self.plan.bookings.get(key)
            self._count("bookings", updated=stored is not None)
            room_id = self.room_ids.get((b.hotel, b.room_number)) if b.room_number else None
            if stored is None:
                new.append(
                    {
                        "hotel_id": self.hotel_ids[b.hotel],
                        "booking_id": b.booking_id,
                        "status": b.status,
                        "assigned_room_id": room_id,
                        "created_at": self.now,
                        **_stamps(b.status, None, None, self.now),
                    }
                )
                guests_of[key] = b
                continue
            changes.append(self._booking_change(b, stored, room_id))
            if "guests" in b.model_fields_set:
                guests_of[key] = b
        for batch in _batches(new):
            self.session.execute(insert(Booking), batch)
        self._update_bookings([c for c in changes if len(c) > 1])
        self._guests(guests_of, replaced={k for k in guests_of if k in self.plan.bookings})

    def _booking_change(self, b: SeedBooking, stored: _StoredBooking, room_id: int | None) -> dict:
        change: dict[str, Any] = {"id": stored.id}
        if "room_number" in b.model_fields_set:
            change["assigned_room_id"] = room_id
        if "status" in b.model_fields_set and b.status != stored.status:
            change["status"] = b.status
            change |= _stamps(b.status, stored.checked_in_at, stored.checked_out_at, self.now)
        return change

    def _update_bookings(self, changes: list[dict[str, Any]]) -> None:
        for batch in _batches(changes):
            self.session.execute(update(Booking), batch)
        # Guests follow their booking: in its room while it is in house, else in none.
        room_while_in_house = (
            select(case((Booking.status == "CHECKED_IN", Booking.assigned_room_id), else_=None))
            .where(Booking.id == Guest.booking_id)
            .scalar_subquery()
        )
        for batch in _batches(changes):
            ids = [change["id"] for change in batch]
            self.session.execute(
                update(Guest).where(Guest.booking_id.in_(ids)).values(room_id=room_while_in_house)
            )

    def _guests(self, bookings: dict[tuple[str, str], SeedBooking], replaced: set) -> None:
        if not bookings:
            return
        booking_ids = self._ids(Booking.booking_id)
        for key in replaced:
            self.session.execute(delete(Guest).where(Guest.booking_id == booking_ids[key]))
        rows = (
            {
                "hotel_id": self.hotel_ids[b.hotel],
                "booking_id": booking_ids[key],
                "room_id": self._room_of_guests(b),
                "first_name": guest.first_name,
                "last_name": guest.last_name,
            }
            for key, b in bookings.items()
            for guest in b.guests
        )
        for batch in _batches(rows):
            self.session.execute(insert(Guest), batch)

    def _room_of_guests(self, b: SeedBooking) -> int | None:
        booking = self.plan.bookings.get((b.hotel, b.booking_id))
        status = b.status if booking is None or "status" in b.model_fields_set else booking.status
        if status != "CHECKED_IN":
            return None
        if b.room_number is not None:
            return self.room_ids[(b.hotel, b.room_number)]
        return self.room_ids.get(booking.room) if booking and booking.room else None

    def _room_records(self) -> None:
        """Chat sessions, conversations and room-service orders: always added (they have no
        key a file could name them by)."""
        for kind, table in ROOM_RECORDS.items():
            rows = (
                {
                    "hotel_id": self.hotel_ids[r.hotel],
                    "room_id": self.room_ids[(r.hotel, r.room_number)],
                    "created_at": self.now,
                    **({"status": r.status} if kind == "room_service_orders" else {}),
                }
                for _, r in self.parsed[kind]
            )
            for batch in _batches(rows):
                self.session.execute(insert(table), batch)
                self.summary.counts[kind] += len(batch)
