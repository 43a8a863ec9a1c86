"""Bulk check-in: a coach party at once. The complement of bulk checkout.

Each booking goes through `check_in_booking`, the single endpoint's service, in its own
savepoint of the request's one transaction: one booking's refusal is reported in `errors`
and undoes nothing else. With `auto_assign`, a booking that names no room and has none
gets a READY_FOR_GUEST room of the hotel, lowest floor first, then lowest number, never
one another booking of the request names or holds, one held by another booking arriving
today, nor one scheduled out of order during the stay.

Auto-assign (`_FreeRooms`) loads the hotel's live out-of-order periods once per request
and its next free room with one query whose exclusions do not grow with the request (the
rooms it has given are OCCUPIED by then: only the request's reserved rooms, rooms held
back for a period and rooms taken elsewhere meanwhile are excluded), so a request's cost
grows linearly with its size.

Two bulk check-ins at once never give one room to two bookings: the room's check-in is a
compare-and-set (READY_FOR_GUEST -> OCCUPIED), and auto-assign locks its candidates with
`FOR UPDATE SKIP LOCKED` on PostgreSQL, so rooms another transaction is giving away are
passed over instead of waited for (SQLite runs one writer at a time).
"""

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import func
from sqlmodel import Session, col, select

from storage.models import Booking, Hotel, OutOfOrderPeriod, Room
from storage.timestamps import utc_now
from storage.unit_of_work import UnitOfWork
from workflows.machines.actors import Actor
from workflows.machines.booking_lifecycle import BookingLifecycle
from workflows.machines.errors import (
    BOOKING_NOT_FOUND,
    CHECKIN_FAILED,
    CONCURRENT_UPDATE,
    ROOM_TAKEN,
    DomainError,
)
from workflows.machines.hotel_day import hotel_today
from workflows.machines.out_of_order_period import LIVE_PERIOD_STATUSES
from workflows.machines.room_turnover import RoomTurnover
from workflows.services.check_in import check_in_booking
from workflows.services.checkout import BookingRef
from workflows.services.retries import retry_on_conflict
from workflows.services.scope import hotel_scope

# How many free rooms auto-assign tries for one booking before giving up (each try that
# fails found a room taken between the choice and the check-in).
AUTO_ASSIGN_TRIES = 5
# Refusals that mean the chosen room went to someone else: auto-assign tries the next one.
ROOM_GONE = {CHECKIN_FAILED.name, CONCURRENT_UPDATE.name}


@dataclass(frozen=True)
class CheckInRequestItem:
    booking_id: str
    room_number: int | None = None


@dataclass
class BookingError:
    booking_id: str
    code: str
    message: str


@dataclass
class BookingSkipped:
    booking_id: str
    reason: str


@dataclass
class AssignedRoom:
    booking_id: str
    room_number: int
    auto_assigned: bool


@dataclass
class BulkCheckInResult:
    """Every booking id asked for is in exactly one of: `checked_in_bookings` (with its
    room in `assigned_rooms`), `skipped` (already in house) or `errors`."""

    hotel_slug: str
    bookings_processed: int
    checked_in_bookings: list[str] = field(default_factory=list)
    assigned_rooms: list[AssignedRoom] = field(default_factory=list)
    skipped: list[BookingSkipped] = field(default_factory=list)
    errors: list[BookingError] = field(default_factory=list)


@retry_on_conflict  # a deadlock between two requests' named rooms runs the request again
def bulk_check_in(
    *,
    hotel_slug: str,
    bookings: list[CheckInRequestItem],
    performed_by: Actor,
    auto_assign: bool = False,
    source: str = "bulk_check_in",
    now: datetime | None = None,
    uow: UnitOfWork | None = None,
) -> BulkCheckInResult:
    now = now or utc_now()
    first_mention: dict[str, CheckInRequestItem] = {}
    for item in bookings:
        first_mention.setdefault(item.booking_id, item)  # each booking once, in the order given
    wanted = list(first_mention.values())
    result = BulkCheckInResult(hotel_slug, len(wanted))
    with hotel_scope(hotel_slug, uow) as scope:
        job = _Job(scope.uow, scope.hotel, performed_by, source, now, auto_assign)
        job.load(wanted)
        for item in wanted:
            job.check_in(item, result)
    return result


@dataclass
class _Job:
    uow: UnitOfWork
    hotel: Hotel
    actor: Actor
    source: str
    now: datetime
    auto_assign: bool
    records: dict[str, Booking] = field(default_factory=dict)
    # Rooms (by id) auto-assign must not give: named or held by the request, or held by
    # another booking arriving today.
    reserved: set[int] = field(default_factory=set)
    named_twice: set[int] = field(default_factory=set)
    named_seen: set[int] = field(default_factory=set)
    free_rooms: "_FreeRooms | None" = None  # loaded at the first booking to auto-assign

    @property
    def session(self) -> Session:
        return self.uow.session

    def load(self, items: list[CheckInRequestItem]) -> None:
        ids = [item.booking_id for item in items]
        query = select(Booking).where(
            Booking.hotel_id == self.hotel.id, col(Booking.booking_id).in_(ids)
        )
        self.records = {b.booking_id: b for b in self.session.exec(query)}
        named = Counter(item.room_number for item in items if item.room_number is not None)
        self.named_twice = {number for number, count in named.items() if count > 1}
        self.reserved = self._rooms_held_today() | self._room_ids(list(named))
        self.reserved |= {b.assigned_room_id for b in self.records.values() if b.assigned_room_id}

    def check_in(self, item: CheckInRequestItem, result: BulkCheckInResult) -> None:
        if item.booking_id not in self.records:
            result.errors.append(
                BookingError(item.booking_id, BOOKING_NOT_FOUND.name, "Booking not found")
            )
            return
        if item.room_number in self.named_twice:
            if item.room_number in self.named_seen:
                message = f"Room {item.room_number} is named by another booking of this request"
                result.errors.append(BookingError(item.booking_id, ROOM_TAKEN.name, message))
                return
            self.named_seen.add(item.room_number)  # type: ignore[arg-type]
        record = self.records[item.booking_id]
        if record.status == BookingLifecycle.checked_in.value:
            result.skipped.append(BookingSkipped(item.booking_id, "already checked in"))
            return
        try:
            room_number, auto = self._check_in(item, record)
        except DomainError as error:
            if self._checked_in_meanwhile(record):  # by another request, at the same moment
                result.skipped.append(BookingSkipped(item.booking_id, "already checked in"))
            else:
                result.errors.append(BookingError(item.booking_id, error.code, error.message))
            return
        result.checked_in_bookings.append(item.booking_id)
        result.assigned_rooms.append(AssignedRoom(item.booking_id, room_number, auto))

    def _check_in(self, item: CheckInRequestItem, record: Booking) -> tuple[int, bool]:
        """Through the single endpoint's service, in a savepoint of this transaction."""
        ref = BookingRef(self.hotel.slug, item.booking_id)
        if (
            item.room_number is not None
            or record.assigned_room_id is not None
            or not self.auto_assign
        ):
            outcome = self._service(ref, item.room_number)
            assert outcome.room is not None
            return outcome.room.room_number, False
        return self._auto_assigned(ref, record), True

    def _auto_assigned(self, ref: BookingRef, record: Booking) -> int:
        if self.free_rooms is None:
            self.free_rooms = _FreeRooms(self.session, self.hotel, self.reserved)
        for _ in range(AUTO_ASSIGN_TRIES):
            room = self.free_rooms.take(record.arrival_date, record.departure_date)
            if room is None:
                break
            try:
                self._service(ref, room.room_number)
            except DomainError as error:
                if error.code not in ROOM_GONE or self._checked_in_meanwhile_by_ref(ref):
                    self.free_rooms.give_back(room)  # this booking's refusal, not the room's
                    raise
                self.free_rooms.gone.add(room.id)  # type: ignore[arg-type]
                continue  # taken meanwhile: the next free room
            return room.room_number
        self._wait_for_other_check_ins(record)
        raise DomainError("No free READY_FOR_GUEST room to assign", code=ROOM_TAKEN)

    def _wait_for_other_check_ins(self, record: Booking) -> None:
        """Before telling a booking there is no room: a request checking it in at this
        moment holds its row; wait for that transaction to end (the booking is then
        reported skipped, as checked in meanwhile, not refused)."""
        query = select(Booking.id).where(Booking.id == record.id).with_for_update()
        self.session.exec(query).first()

    def _checked_in_meanwhile_by_ref(self, ref: BookingRef) -> bool:
        return self._checked_in_meanwhile(self.records[ref.booking_id])

    def _checked_in_meanwhile(self, record: Booking) -> bool:
        query = select(Booking.status).where(Booking.id == record.id)
        return self.session.exec(query).one() == BookingLifecycle.checked_in.value

    def _service(self, ref: BookingRef, room_number: int | None):  # type: ignore[no-untyped-def]
        return check_in_booking(
            booking=ref,
            performed_by=self.actor,
            room_number=room_number,
            source=self.source,
            now=self.now,
            uow=self.uow,
        )

    def _rooms_held_today(self) -> set[int]:
        """Rooms assigned to CONFIRMED bookings arriving today (or overdue)."""
        today = hotel_today(self.hotel, self.now)
        query = select(Booking.assigned_room_id).where(
            Booking.hotel_id == self.hotel.id,
            Booking.status == BookingLifecycle.confirmed.value,
            Booking.arrival_date <= today,
            col(Booking.assigned_room_id).is_not(None),
        )
        return {room_id for room_id in self.session.exec(query) if room_id is not None}

    def _room_ids(self, numbers: list[int | None]) -> set[int]:
        if not numbers:
            return set()
        query = select(Room.id).where(
            Room.hotel_id == self.hotel.id, col(Room.room_number).in_(numbers)
        )
        return {room_id for room_id in self.session.exec(query) if room_id is not None}


@dataclass
class _FreeRooms:
    """The READY_FOR_GUEST rooms auto-assign may give, lowest floor then lowest number
    first, loaded one at a time (on PostgreSQL locked, skipping rooms another transaction
    holds: rooms are not locked ahead, so concurrent requests share them out evenly);
    `take` gives the first one free of out-of-order periods during a stay. `excluded`:
    rooms never to give (the request's named or held rooms, rooms held today)."""

    session: Session
    hotel: Hotel
    excluded: set[int]
    rooms: list[Room] = field(default_factory=list)
    periods: dict[int, list[tuple[date, date]]] = field(default_factory=dict)
    gone: set[int] = field(default_factory=set)

    def __post_init__(self) -> None:
        self.excluded = set(self.excluded)
        query = select(OutOfOrderPeriod).where(
            OutOfOrderPeriod.hotel_id == self.hotel.id,
            col(OutOfOrderPeriod.status).in_(LIVE_PERIOD_STATUSES),
        )
        periods: dict[int, list[tuple[date, date]]] = defaultdict(list)
        for period in self.session.exec(query):
            periods[period.room_id].append((period.starts_on, period.ends_on))
        self.periods = dict(periods)

    def take(self, arrival: date, departure: date) -> Room | None:
        while True:
            for index, room in enumerate(self.rooms):
                if not self._out_of_order(room, arrival, departure):
                    return self.rooms.pop(index)
            if not self.top_up(1):
                return None

    def give_back(self, room: Room) -> None:
        """A room taken for a booking that was then refused for its own reasons."""
        self.rooms.append(room)
        self.rooms.sort(key=_room_order)

    def top_up(self, count: int) -> int:
        """Load up to `count` more rooms; how many came. Rooms this request has given are
        OCCUPIED now, so the query excludes only the fixed reserved rooms, the ones held
        in the list (passed over for a period) and the few taken meanwhile elsewhere."""
        floor = func.coalesce(Room.floor, Room.room_number / 100)
        query = select(Room).where(
            Room.hotel_id == self.hotel.id,
            Room.room_status == RoomTurnover.ready_for_guest.value,
        )  # ordered as _room_order
        excluded = self.excluded | self.gone | {room.id for room in self.rooms}
        if excluded:
            query = query.where(col(Room.id).not_in(excluded))
        query = query.order_by(floor, col(Room.room_number)).limit(count)
        loaded = list(self.session.exec(query.with_for_update(skip_locked=True)))
        self.rooms.extend(loaded)
        return len(loaded)

    def _out_of_order(self, room: Room, arrival: date, departure: date) -> bool:
        return any(
            starts_on < departure and ends_on >= arrival
            for starts_on, ends_on in self.periods.get(room.id or 0, ())
        )


def _room_order(room: Room) -> tuple[int, int]:
    floor = room.floor if room.floor is not None else room.room_number // 100
    return floor, room.room_number
