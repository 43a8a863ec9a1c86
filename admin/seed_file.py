"""Loading a hotel's data from a seed file (`turnover seed FILE.json`, `turnover demo`).

The file is checked like the API checks a request: unknown keys are errors, values are
not coerced (`"11"` is not a room number, `"yes"` is not a boolean), and every problem
of the file, of its shape and of its meaning, is reported in one run. Nothing is written
unless the whole file is good, and then everything is written in one transaction, in
batches (a file of 100,000 rooms is a few dozen statements).

Records already in the database are refused, saying so, unless `update=True`
(`turnover seed --update`): then the keys the file gives overwrite theirs and the others
are kept. Seeded states are starting data, not transitions: no audit rows or events.

A good file is validated in one pass straight from its text (pydantic-core, no tree of
Python objects in between, which is what keeps a 22 MB file under 300 MB); only a file
with problems is read again record by record, to report every problem at once.
"""

import contextlib
import json
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Annotated, Any, Literal, Required, TypeVar

from pydantic import AfterValidator, ConfigDict, Field, TypeAdapter, ValidationError, with_config
from sqlalchemy import case, delete, update
from sqlmodel import Session, select
from typing_extensions import TypedDict  # pydantic needs it before Python 3.12

from storage.models import (
    DEFAULT_STAFF_ROLE,
    ORDER_STATUSES,
    STAFF_ROLES,
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
from workflows.machines.hotel_day import hotel_today, is_time_zone
from workflows.machines.room_turnover import RoomTurnover
from workflows.services.staff_accounts import (
    USERNAME_PATTERN,
    USERNAME_RULE,
    TokenNotFound,
    find_token,
    hash_token,
    issue_token,
    revoke_token,
    username_key,
)

BATCH = 5_000
SEED_TOKEN_NAME = "seed"
ROOM_STATES = tuple(state_values(RoomTurnover))
BOOKING_STATES = tuple(state_values(BookingLifecycle))
NO_NUL = r"^[^\x00]*$"
NOT_BLANK = r"^[^\x00]*[^\x00\s][^\x00]*$"
SLUG = r"^[a-z0-9][a-z0-9-]{0,63}$"
# Repeated values ("hotel-killarney" 100,000 times) are one string in memory.
STRICT = ConfigDict(extra="forbid", strict=True, cache_strings="all")


def _text(max_length: int, pattern: str = NO_NUL, min_length: int = 0) -> Any:
    return Annotated[str, Field(min_length=min_length, max_length=max_length, pattern=pattern)]


Slug = _text(64, SLUG)
RoomNumber = Annotated[int, Field(ge=1, le=999_999)]


def _time_zone(name: str) -> str:
    if not is_time_zone(name):
        raise ValueError(f"'{name}' is not an IANA time zone (e.g. Europe/Dublin)")
    return name


def _local_date(text: str) -> str:
    try:
        date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"'{text}' is not a date (YYYY-MM-DD)") from None
    return text


def _local_time(text: str) -> str:
    try:
        time.fromisoformat(text)
    except ValueError:
        raise ValueError(f"'{text}' is not a time of day (HH:MM)") from None
    return text


TimeZone = Annotated[str, Field(max_length=64), AfterValidator(_time_zone)]
LocalDate = Annotated[str, Field(pattern=r"^\d{4}-\d{2}-\d{2}$"), AfterValidator(_local_date)]
LocalTime = Annotated[str, Field(pattern=r"^\d{2}:\d{2}$"), AfterValidator(_local_time)]


@with_config(STRICT)
class SeedHotel(TypedDict, total=False):
    slug: Required[Slug]
    name: _text(200)
    checkout_notification_text: _text(500) | None
    timezone: TimeZone
    check_in_time: LocalTime


@with_config(STRICT)
class SeedStaff(TypedDict, total=False):
    hotel: Required[Slug]
    username: Required[_text(150, USERNAME_PATTERN, min_length=1)]
    role: Literal[STAFF_ROLES]  # type: ignore[valid-type]
    is_superuser: bool
    token: _text(200, min_length=16) | None


@with_config(STRICT)
class SeedRoom(TypedDict, total=False):
    hotel: Required[Slug]
    room_number: Required[RoomNumber]
    room_status: Literal[ROOM_STATES]  # type: ignore[valid-type]
    fcm_token: _text(512) | None
    floor: Annotated[int, Field(ge=-10, le=300)] | None


@with_config(STRICT)
class SeedGuest(TypedDict, total=False):
    first_name: Required[_text(150, NOT_BLANK, min_length=1)]
    last_name: _text(150)


@with_config(STRICT)
class SeedBooking(TypedDict, total=False):
    hotel: Required[Slug]
    booking_id: Required[_text(64, NOT_BLANK, min_length=1)]
    status: Literal[BOOKING_STATES]  # type: ignore[valid-type]
    room_number: RoomNumber | None
    guests: list[SeedGuest]
    arrival_date: LocalDate
    departure_date: LocalDate
    expected_arrival_time: LocalTime | None
    adults: Annotated[int, Field(ge=1, le=50)]
    notes: _text(2000)


@with_config(STRICT)
class SeedRoomRecord(TypedDict):
    hotel: Slug
    room_number: RoomNumber


@with_config(STRICT)
class SeedOrder(TypedDict, total=False):
    hotel: Required[Slug]
    room_number: Required[RoomNumber]
    status: Literal[ORDER_STATUSES]  # type: ignore[valid-type]


SECTIONS: dict[str, type] = {
    "hotels": SeedHotel,
    "staff": SeedStaff,
    "rooms": SeedRoom,
    "bookings": SeedBooking,
    "chat_sessions": SeedRoomRecord,
    "conversations": SeedRoomRecord,
    "room_service_orders": SeedOrder,
}
# What a record that leaves a key out has (on insert; on update the stored value stays).
DEFAULTS: dict[str, dict[str, Any]] = {
    "hotels": {"name": ""},
    "staff": {"role": DEFAULT_STAFF_ROLE, "is_superuser": False, "token": None},
    "rooms": {"room_status": "READY_FOR_GUEST", "fcm_token": None},
    "bookings": {
        "status": "CONFIRMED",
        "room_number": None,
        "guests": [],
        "expected_arrival_time": None,
        "adults": 1,
        "notes": "",
    },
    "room_service_orders": {"status": "OPEN"},
}
ALLOWED = {
    "role": STAFF_ROLES,
    "room_status": ROOM_STATES,
    "status": BOOKING_STATES,
    "room_service_orders.status": ORDER_STATUSES,
}
ROOM_RECORDS = {
    "chat_sessions": GuestChatSession,
    "conversations": Conversation,
    "room_service_orders": RoomServiceOrder,
}


@with_config(STRICT)
class SeedFile(TypedDict, total=False):
    hotels: Required[list[SeedHotel]]
    staff: list[SeedStaff]
    rooms: list[SeedRoom]
    bookings: list[SeedBooking]
    chat_sessions: list[SeedRoomRecord]
    conversations: list[SeedRoomRecord]
    room_service_orders: list[SeedOrder]


_WHOLE_FILE = TypeAdapter(SeedFile)
_RECORD = {kind: TypeAdapter(model) for kind, model in SECTIONS.items()}

T = TypeVar("T")
RoomKey = tuple[str, int]  # (hotel slug, room number)
Record = dict[str, Any]
Numbered = list[tuple[int, Record]]  # (index in the file's section, record)


def value(kind: str, record: Record, key: str) -> Any:
    """The record's value for `key`, or the default of a key it leaves out."""
    return record[key] if key in record else DEFAULTS[kind][key]


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
    """Check `data` (parsed JSON) against the schema, the machines and the database, then
    write it."""
    return _load(session, parse_seed(data), update)


def load_seed_file(session: Session, path: Path, *, update: bool = False) -> SeedSummary:
    """The same from a file. Raises OSError when it cannot be read, UnicodeDecodeError when
    it is not UTF-8, json.JSONDecodeError when it is not JSON, and RecursionError when it
    is nested too deeply to be read."""
    return _load(session, _parse_file(path), update)


def _parse_file(path: Path) -> ParsedSeed:
    """The file's bytes are dropped once parsed (they are a big file's biggest object)."""
    content = path.read_bytes()
    try:
        return _numbered(_WHOLE_FILE.validate_json(content))
    except ValidationError:
        return parse_seed(json.loads(content.decode("utf-8")))


def _load(session: Session, parsed: ParsedSeed, update: bool) -> SeedSummary:
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


def _numbered(valid: dict[str, list[Record]]) -> ParsedSeed:
    parsed = ParsedSeed()
    for kind in SECTIONS:
        parsed.records[kind] = list(enumerate(valid.get(kind, [])))
    return parsed


def parse_seed(data: Any) -> ParsedSeed:
    """Validate the whole file at once; when that fails, every record on its own, so that
    one bad record hides no other problem."""
    try:
        return _numbered(_WHOLE_FILE.validate_python(data))
    except ValidationError:
        pass
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
    for kind in SECTIONS:
        section = data.get(kind, [])
        if not isinstance(section, list):
            parsed.problems.append(f"{kind}: must be a list of records")
            continue
        for i, raw in enumerate(section):
            _parse_record(parsed, kind, i, raw)
    return parsed


def _parse_record(parsed: ParsedSeed, kind: str, i: int, raw: Any) -> None:
    try:
        parsed.records[kind].append((i, _RECORD[kind].validate_python(raw)))
    except ValidationError as error:
        for item in error.errors(include_url=False):
            parsed.problems.append(f"{kind}[{i}]{_path(item['loc'])}: {_message(kind, item)}")
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


def _message(kind: str, item: Any) -> str:
    name, given = (item["loc"][-1] if item["loc"] else ""), item.get("input")
    kind_of_error = item["type"]
    if kind_of_error == "extra_forbidden":
        owner = SeedGuest if "guests" in item["loc"] else SECTIONS[kind]
        return f"unknown key; the keys are {', '.join(owner.__annotations__)}"
    if kind_of_error == "missing":
        return "required"
    if kind_of_error == "string_pattern_mismatch":
        return _pattern_message(name, given)
    if kind_of_error == "literal_error":
        allowed = ALLOWED.get(f"{kind}.{name}", ALLOWED.get(name, ()))
        if name == "role":
            return f"'{given}' is not a role; roles are {', '.join(allowed)}"
        return f"'{given}' is not one of {', '.join(allowed)}"
    return str(item["msg"])


def _pattern_message(name: str, given: Any) -> str:
    if isinstance(given, str) and "\x00" in given:
        return "contains the NUL character (\\u0000), which cannot be stored; remove it"
    if name in ("hotel", "slug"):
        return "a hotel slug is lower-case letters, digits and -, at most 64 characters"
    if name == "username":
        return f"'{given}' is not a valid username: {USERNAME_RULE}"
    return "must not be blank"


# --- the meaning ---------------------------------------------------------------------------


@dataclass
class _StoredBooking:
    id: int
    status: str
    room: RoomKey | None
    checked_in_at: datetime | None
    checked_out_at: datetime | None
    arrival_date: date
    departure_date: date


class _Plan:
    """What the database holds for the file's hotels, the problems of the file against it
    and against the machines' rules, and which records are new and which update a row."""

    def __init__(self, session: Session, parsed: ParsedSeed, update: bool) -> None:
        self.session, self.parsed, self.update = session, parsed, update
        self.problems: list[str] = []
        query = select(Hotel).where(Hotel.slug.in_(self._slugs()))  # type: ignore[attr-defined]
        self.hotels = {h.slug: h for h in session.exec(query)}
        self.slug_of = {h.id: slug for slug, h in self.hotels.items()}
        self.rooms = self._stored_rooms()
        self.bookings = self._stored_bookings()
        staff = select(Staff).where(Staff.hotel_id.in_(self.slug_of))  # type: ignore[attr-defined]
        self.staff = {(self.slug_of[s.hotel_id], s.username_key): s for s in session.exec(staff)}
        self._check()

    def _slugs(self) -> set[str]:
        slugs = {h["slug"] for _, h in self.parsed["hotels"]}
        for kind in SECTIONS:
            if kind != "hotels":
                slugs |= {r["hotel"] for _, r in self.parsed[kind]}
        return slugs

    def _stored_rooms(self) -> dict[RoomKey, tuple[int, str]]:
        query = select(Room.id, Room.hotel_id, Room.room_number, Room.room_status).where(
            Room.hotel_id.in_(self.slug_of)  # type: ignore[attr-defined]
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
            Booking.arrival_date,
            Booking.departure_date,
        ).where(Booking.hotel_id.in_(self.slug_of))  # type: ignore[attr-defined]
        return {
            (self.slug_of[row.hotel_id], row.booking_id): _StoredBooking(
                row.id,
                row.status,
                number_of.get(row.assigned_room_id),
                row.checked_in_at,
                row.checked_out_at,
                row.arrival_date,
                row.departure_date,
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
                self._check_room_ref(f"{kind}[{i}]", record["hotel"], record["room_number"])

    def _already_stored(self, where: str, what: str) -> None:
        self.problems.append(
            f"{where}: {what} is already in the database (turnover seed --update updates it)"
        )

    def _check_hotels(self) -> None:
        seen: set[str] = set()
        for i, hotel in self.parsed["hotels"]:
            slug = hotel["slug"]
            if slug in seen:
                self.problems.append(f"hotels[{i}].slug: hotel '{slug}' appears twice in the file")
            elif slug in self.hotels and not self.update:
                self._already_stored(f"hotels[{i}].slug", f"hotel '{slug}'")
            seen.add(slug)
        self.known_hotels = seen | set(self.hotels)

    def _check_hotel_ref(self, where: str, slug: str) -> bool:
        if slug in self.known_hotels:
            return True
        if slug not in self.parsed.unsure_hotels:
            self.problems.append(f"{where}.hotel: unknown hotel '{slug}'")
        return False

    def _check_staff(self) -> None:
        seen: set[tuple[str, str]] = set()
        tokens = Counter(s["token"] for _, s in self.parsed["staff"] if s.get("token"))
        stored_tokens = self._stored_token_owners(tokens)
        for i, staff in self.parsed["staff"]:
            where = f"staff[{i}]"
            self._check_hotel_ref(where, staff["hotel"])
            key = (staff["hotel"], username_key(staff["username"]))
            stored = self.staff.get(key)
            if key in seen:
                self.problems.append(
                    f"{where}.username: '{staff['username']}' appears twice in the file "
                    "(usernames ignore case)"
                )
            elif stored is not None and not self.update:
                self._already_stored(f"{where}.username", f"staff member '{stored.username}'")
            seen.add(key)
            token = staff.get("token")
            if token:
                owner = stored_tokens.get(hash_token(token))
                mine = stored is not None and owner == stored.id
                if tokens[token] > 1 or (owner is not None and not mine):
                    self.problems.append(f"{where}.token: this token is already in use")

    def _stored_token_owners(self, tokens: Iterable[str]) -> dict[str, int]:
        hashes = [hash_token(token) for token in tokens]
        query = select(StaffToken.token_hash, StaffToken.staff_id).where(
            StaffToken.token_hash.in_(hashes)  # type: ignore[attr-defined]
        )
        return {token_hash: staff_id for token_hash, staff_id in self.session.execute(query)}

    def _check_rooms(self) -> None:
        in_file = Counter((r["hotel"], r["room_number"]) for _, r in self.parsed["rooms"])
        for i, room in self.parsed["rooms"]:
            where = f"rooms[{i}].room_number"
            self._check_hotel_ref(f"rooms[{i}]", room["hotel"])
            key = (room["hotel"], room["room_number"])
            if in_file[key] > 1:
                self.problems.append(f"{where}: room {key[1]} appears twice in hotel '{key[0]}'")
            elif key in self.rooms and not self.update:
                self._already_stored(where, f"room {key[1]} of hotel '{key[0]}'")
        self.known_rooms = set(in_file) | set(self.rooms)

    def _check_room_ref(self, where: str, slug: str, number: int | None) -> None:
        if not self._check_hotel_ref(where, slug) or (slug, number) in self.known_rooms:
            return
        if (slug, number) not in self.parsed.unsure_rooms:
            self.problems.append(f"{where}.room_number: hotel '{slug}' has no room {number}")

    def _check_bookings(self) -> None:
        in_file = Counter((b["hotel"], b["booking_id"]) for _, b in self.parsed["bookings"])
        for i, booking in self.parsed["bookings"]:
            where = f"bookings[{i}]"
            key = (booking["hotel"], booking["booking_id"])
            if in_file[key] > 1:
                self.problems.append(f"{where}.booking_id: '{key[1]}' appears twice in the file")
            elif key in self.bookings and not self.update:
                self._already_stored(f"{where}.booking_id", f"booking '{key[1]}'")
            if booking.get("room_number") is not None:
                self._check_room_ref(where, booking["hotel"], booking["room_number"])
            else:
                self._check_hotel_ref(where, booking["hotel"])
            self._check_stay(where, booking, self.bookings.get(key))

    def _check_stay(self, where: str, booking: Record, stored: _StoredBooking | None) -> None:
        """Departure after arrival, for the dates as they will be (a date the file leaves
        out keeps its stored value; a new booking without dates stays one night)."""
        arrival = booking.get("arrival_date") or (stored and stored.arrival_date.isoformat())
        departure = booking.get("departure_date") or (stored and stored.departure_date.isoformat())
        if arrival and departure and departure <= arrival:
            self.problems.append(
                f"{where}.departure_date: {departure} is not after the arrival date {arrival}"
            )

    # -- the state after loading -------------------------------------------------------

    def room_status_after(self, key: RoomKey) -> str | None:
        return self._room_status_after.get(key, self.rooms.get(key, (0, None))[1])

    def _check_in_house(self) -> None:
        """A CHECKED_IN booking needs an OCCUPIED room, and a room has at most one; both
        are checked on the data as it will be, stored rows and file together."""
        self._room_status_after = {
            (r["hotel"], r["room_number"]): value("rooms", r, "room_status")
            for _, r in self.parsed["rooms"]
            if "room_status" in r or (r["hotel"], r["room_number"]) not in self.rooms
        }
        after = {key: (stored.status, stored.room) for key, stored in self.bookings.items()}
        from_file: dict[tuple[str, str], int] = {}
        for i, b in self.parsed["bookings"]:
            key = (b["hotel"], b["booking_id"])
            status, room = after.get(key, ("CONFIRMED", None))
            given = b if key in self.bookings else ("status", "room_number")
            if "status" in given:
                status = value("bookings", b, "status")
            if "room_number" in given:
                number = b.get("room_number")
                room = (b["hotel"], number) if number is not None else None
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
            key = (room["hotel"], room["room_number"])
            guests = [b for b in occupants.get(key, []) if b not in from_file]
            if self.room_status_after(key) != "OCCUPIED" and guests:
                self.problems.append(
                    f"rooms[{i}].room_status: booking '{guests[0][1]}' is CHECKED_IN in room "
                    f"{key[1]}, which must stay OCCUPIED (check it out first)"
                )


# --- writing -------------------------------------------------------------------------------


def _batches(rows: Iterable[T]) -> Iterator[list[T]]:
    batch: list[T] = []
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


BULK = {"synchronize_session": False}  # rows written in bulk are not in the session


def _stay_details(b: Record, *, insert: bool) -> dict[str, Any]:
    """Expected arrival time, adults and notes: all of them for a new booking (defaults
    where left out), the ones the file gives for an update."""
    details: dict[str, Any] = {}
    for key in ("expected_arrival_time", "adults", "notes"):
        if key in b or insert:
            details[key] = value("bookings", b, key)
    given_time = details.get("expected_arrival_time")
    if given_time is not None:
        details["expected_arrival_time"] = time.fromisoformat(given_time)
    return details


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

    def _insert(self, model: type, rows: Iterable[dict[str, Any]]) -> None:
        """Core executemany on the table: the ORM's bulk insert costs as much again."""
        statement = model.__table__.insert()  # type: ignore[attr-defined]
        for batch in _batches(rows):
            self.session.execute(statement, batch)

    def _update(self, table: type, rows: Iterable[dict[str, Any]]) -> None:
        for batch in _batches(rows):
            self.session.execute(update(table), batch)

    def _hotels(self) -> None:
        for _, record in self.parsed["hotels"]:
            slug = record["slug"]
            hotel = self.plan.hotels.get(slug)
            self._count("hotels", updated=hotel is not None)
            if hotel is None:
                hotel = Hotel(slug=slug, name=record.get("name") or slug)
            elif "name" in record:
                hotel.name = record["name"] or slug
            if "checkout_notification_text" in record:
                hotel.checkout_notification_text = record["checkout_notification_text"]
            if "timezone" in record:
                hotel.timezone = record["timezone"]
            if "check_in_time" in record:
                hotel.check_in_time = time.fromisoformat(record["check_in_time"])
            self.session.add(hotel)
            self.plan.hotels[slug] = hotel
        self.session.flush()
        self.hotel_ids = {slug: h.id for slug, h in self.plan.hotels.items()}

    def _staff(self) -> None:
        for _, record in self.parsed["staff"]:
            key = (record["hotel"], username_key(record["username"]))
            staff = self.plan.staff.get(key)
            self._count("staff", updated=staff is not None)
            if staff is None:
                staff = Staff(
                    hotel_id=self.hotel_ids[record["hotel"]],
                    username=record["username"],
                    username_key=key[1],
                )
            for name in ("role", "is_superuser"):
                if name in record or staff.id is None:
                    setattr(staff, name, value("staff", record, name))
            self.session.add(staff)
            self.session.flush()
            if record.get("token"):
                self._seed_token(staff, record["token"], existed=key in self.plan.staff)

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
            stored = self.plan.rooms.get((r["hotel"], r["room_number"]))
            self._count("rooms", updated=stored is not None)
            (new if stored is None else changes).append(r)
        self._insert(Room, (self._new_room(r) for r in new))
        self._update(Room, filter(None, (self._room_change(r) for r in changes)))
        self.room_ids = self._ids(Room.room_number)

    def _new_room(self, r: Record) -> dict[str, Any]:
        status = value("rooms", r, "room_status")
        return {
            "hotel_id": self.hotel_ids[r["hotel"]],
            "room_number": r["room_number"],
            "room_status": status,
            "is_occupied": status == "OCCUPIED",
            "fcm_token": r.get("fcm_token"),
            "floor": r["floor"] if r.get("floor") is not None else r["room_number"] // 100,
            "turnover_notes": "",
        }

    def _room_change(self, r: Record) -> dict[str, Any] | None:
        change: dict[str, Any] = {"id": self.plan.rooms[(r["hotel"], r["room_number"])][0]}
        if "room_status" in r:
            change |= {
                "room_status": r["room_status"],
                "is_occupied": r["room_status"] == "OCCUPIED",
            }
        for key in ("fcm_token", "floor"):
            if key in r:
                change[key] = r[key]
        return change if len(change) > 1 else None

    def _ids(self, column: Any) -> dict[tuple[str, Any], int]:
        """(hotel slug, natural key) -> row id, for the file's hotels."""
        table = column.class_
        slug_of = {hotel_id: slug for slug, hotel_id in self.hotel_ids.items()}
        query = select(table.id, table.hotel_id, column).where(table.hotel_id.in_(slug_of))
        return {(slug_of[h], key): row_id for row_id, h, key in self.session.execute(query)}

    def _room_id(self, b: Record) -> int | None:
        number = b.get("room_number")
        return self.room_ids[(b["hotel"], number)] if number is not None else None

    def _bookings(self) -> None:
        new, changed = [], []
        for _, b in self.parsed["bookings"]:
            stored = self.plan.bookings.get((b["hotel"], b["booking_id"]))
            self._count("bookings", updated=stored is not None)
            (new if stored is None else changed).append(b)
        self._new_bookings(new)
        changes = [c for c in map(self._booking_change, changed) if len(c) > 1]
        self._update_bookings(changes)
        self._replace_guests([b for b in changed if "guests" in b])

    def _new_bookings(self, bookings: list[Record]) -> None:
        """Each batch of bookings, then its guests, with the ids the insert returned."""
        table = Booking.__table__  # type: ignore[attr-defined]
        statement = table.insert().returning(table.c.id, sort_by_parameter_order=True)
        for batch in _batches(bookings):
            ids = self.session.execute(statement, [self._new_booking(b) for b in batch])
            self._insert(Guest, self._guest_rows(zip(ids.scalars(), batch, strict=True)))

    def _new_booking(self, b: Record) -> dict[str, Any]:
        status = value("bookings", b, "status")
        return {
            "hotel_id": self.hotel_ids[b["hotel"]],
            "booking_id": b["booking_id"],
            "status": status,
            "assigned_room_id": self._room_id(b),
            "created_at": self.now,
            **_stamps(status, None, None, self.now),
            **self._stay(b),
        }

    def _stay(self, b: Record) -> dict[str, Any]:
        """The stay of a new booking: dates the file leaves out are the hotel's today and
        the day after the arrival."""
        today = hotel_today(self.plan.hotels[b["hotel"]], self.now)
        arrival = date.fromisoformat(b["arrival_date"]) if "arrival_date" in b else today
        departure = b.get("departure_date")
        return {
            "arrival_date": arrival,
            "departure_date": (
                date.fromisoformat(departure) if departure else arrival + timedelta(days=1)
            ),
            **_stay_details(b, insert=True),
        }

    def _booking_change(self, b: Record) -> dict[str, Any]:
        stored = self.plan.bookings[(b["hotel"], b["booking_id"])]
        change: dict[str, Any] = {"id": stored.id}
        if "room_number" in b:
            change["assigned_room_id"] = self._room_id(b)
        if "status" in b and b["status"] != stored.status:
            change["status"] = b["status"]
            change |= _stamps(b["status"], stored.checked_in_at, stored.checked_out_at, self.now)
        for key in ("arrival_date", "departure_date"):
            if key in b:
                change[key] = date.fromisoformat(b[key])
        return change | _stay_details(b, insert=False)

    def _update_bookings(self, changes: list[dict[str, Any]]) -> None:
        self._update(Booking, changes)
        # Guests follow their booking: in its room while it is in house, else in none.
        room_while_in_house = (
            select(case((Booking.status == "CHECKED_IN", Booking.assigned_room_id), else_=None))
            .where(Booking.id == Guest.booking_id)
            .scalar_subquery()
        )
        for batch in _batches(changes):
            ids = [change["id"] for change in batch]
            self.session.execute(
                update(Guest)
                .where(Guest.booking_id.in_(ids))  # type: ignore[attr-defined]
                .values(room_id=room_while_in_house)
                .execution_options(**BULK)
            )

    def _replace_guests(self, bookings: list[Record]) -> None:
        """An updated booking's guests, when the file gives them, replace the stored ones."""
        with_ids = [(self.plan.bookings[(b["hotel"], b["booking_id"])].id, b) for b in bookings]
        for batch in _batches(with_ids):
            ids = [booking_id for booking_id, _ in batch]
            self.session.execute(
                delete(Guest).where(Guest.booking_id.in_(ids)).execution_options(**BULK)  # type: ignore[attr-defined]
            )
            self._insert(Guest, self._guest_rows(batch))

    def _guest_rows(self, bookings: Iterable[tuple[int, Record]]) -> Iterator[dict[str, Any]]:
        for booking_id, b in bookings:
            room_id = self._room_of_guests(b)
            for guest in b.get("guests", []):
                yield {
                    "hotel_id": self.hotel_ids[b["hotel"]],
                    "booking_id": booking_id,
                    "room_id": room_id,
                    "first_name": guest["first_name"],
                    "last_name": guest.get("last_name", ""),
                }

    def _room_of_guests(self, b: Record) -> int | None:
        stored = self.plan.bookings.get((b["hotel"], b["booking_id"]))
        status = (
            value("bookings", b, "status") if stored is None or "status" in b else stored.status
        )
        if status != "CHECKED_IN":
            return None
        if b.get("room_number") is not None:
            return self._room_id(b)
        return self.room_ids.get(stored.room) if stored and stored.room else None

    def _room_records(self) -> None:
        """Chat sessions, conversations and room-service orders: always added (they have no
        key a file could name them by)."""
        for kind, table in ROOM_RECORDS.items():
            rows = (
                {
                    "hotel_id": self.hotel_ids[r["hotel"]],
                    "room_id": self.room_ids[(r["hotel"], r["room_number"])],
                    "created_at": self.now,
                    **(
                        {"status": value(kind, r, "status")}
                        if kind == "room_service_orders"
                        else {}
                    ),
                }
                for _, r in self.parsed[kind]
            )
            for batch in _batches(rows):
                self._insert(table, batch)
                self.summary.counts[kind] += len(batch)
