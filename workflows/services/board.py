"""The board (web/): every room of a hotel with its state, one room opened with its booking,
its last transitions and what the signed-in member may do to it, and doing it.

Reads are one read-only transaction each. An action is fired through the same services as
the API: housekeeping events through `transition_room`, a checkout through
`checkout_booking` (the one checkout; a ghost room's through bulk checkout, which clears
it), a check-in through `check_in_booking`, a forced checkout through destructive bulk
checkout (superusers only).
"""

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any

from sqlmodel import Session, col, select

from storage.models import (
    ACTIVE_TASK_STATUSES,
    Booking,
    Guest,
    Hotel,
    HousekeepingTask,
    Room,
    Staff,
    TransitionLog,
)
from storage.timestamps import utc_now
from storage.unit_of_work import UnitOfWork
from workflows.machines.actors import Actor
from workflows.machines.booking_lifecycle import BookingLifecycle
from workflows.machines.errors import DomainError, TransitionRefused
from workflows.machines.hotel_day import hotel_today
from workflows.machines.room_turnover import RoomTurnover
from workflows.services.bulk_checkout import bulk_checkout
from workflows.services.check_in import check_in_booking
from workflows.services.checkout import BookingRef, checkout_booking
from workflows.services.hotel_calendar import room_floor
from workflows.services.housekeeping import RoomRef, transition_room
from workflows.services.scope import hotel_scope

SOURCE = "staff_board"
HISTORY_LENGTH = 8
ROOM_STATES: tuple[str, ...] = tuple(state.value for state in RoomTurnover.states)
IN_HOUSE = BookingLifecycle.checked_in.value
ARRIVING = BookingLifecycle.confirmed.value


@dataclass(frozen=True)
class RoomTile:
    room_number: int
    status: str
    floor: int
    booking_id: str | None  # the booking in house, if any
    departs_today: bool = False  # the booking in house leaves today (the hotel's date)
    arrival_today: str | None = None  # a confirmed booking of this room arriving today
    expected_arrival: time | None = None  # ... and when its guest said they would come
    do_not_disturb: bool = False  # today's housekeeping flags
    make_up_room: bool = False
    assignee: str | None = None  # who has the room's open housekeeping task


@dataclass(frozen=True)
class Board:
    hotel: Hotel
    tiles: list[RoomTile]
    today: date

    @property
    def counts(self) -> dict[str, int]:
        """Rooms per state, every state listed (in the machine's order), zeros too."""
        counted = Counter(tile.status for tile in self.tiles)
        return {state: counted.get(state, 0) for state in ROOM_STATES}

    @property
    def assignees(self) -> list[str]:
        """Who holds an open housekeeping task on the board (the assignee filter)."""
        return sorted({tile.assignee for tile in self.tiles if tile.assignee})

    @property
    def floors(self) -> list[tuple[int, list[RoomTile]]]:
        by_floor: dict[int, list[RoomTile]] = {}
        for tile in self.tiles:
            by_floor.setdefault(tile.floor, []).append(tile)
        return sorted(by_floor.items())


@dataclass(frozen=True)
class BookingSummary:
    booking_id: str
    status: str
    guests: list[str]
    checked_in_at: datetime | None = None
    arrival_date: date | None = None
    departure_date: date | None = None
    expected_arrival_time: time | None = None


@dataclass(frozen=True)
class TaskSummary:
    kind: str
    status: str
    service_date: date
    assignee: str | None


@dataclass(frozen=True)
class RoomPanel:
    """One room as the board opens it, for the member asking."""

    hotel: Hotel
    room: Room
    floor: int
    in_house: BookingSummary | None
    arriving: BookingSummary | None
    history: list[TransitionLog]
    actions: list[str] = field(default_factory=list)
    tasks: list[TaskSummary] = field(default_factory=list)


def hotel_board(
    hotel_slug: str, uow: UnitOfWork | None = None, now: datetime | None = None
) -> Board:
    """Every room of the hotel; "today" (arrivals, departures) is the hotel's date `now`."""
    with hotel_scope(hotel_slug, uow, write=False) as scope:
        rooms = list(
            scope.session.exec(
                select(Room).where(Room.hotel_id == scope.hotel.id).order_by(col(Room.room_number))
            )
        )
        today = hotel_today(scope.hotel, now or utc_now())
        in_house = {
            booking.assigned_room_id: booking
            for booking in _bookings(scope.session, scope.hotel, Booking.status == IN_HOUSE)
        }
        arriving = {
            booking.assigned_room_id: booking
            for booking in _bookings(
                scope.session,
                scope.hotel,
                Booking.status == ARRIVING,
                Booking.arrival_date == today,
                col(Booking.assigned_room_id).is_not(None),
            )
        }
        assignees = _assignees(scope.session, scope.hotel)
        return Board(
            scope.hotel,
            [
                _tile(room, in_house.get(room.id), arriving.get(room.id), today, assignees)
                for room in rooms
            ],
            today,
        )


def _assignees(session: Session, hotel: Hotel) -> dict[int, str]:
    """room id -> the username holding its open housekeeping task (the oldest task)."""
    rows = session.exec(
        select(HousekeepingTask.room_id, Staff.username)
        .join(Staff, Staff.id == HousekeepingTask.assignee_id)  # type: ignore[arg-type]
        .where(
            HousekeepingTask.hotel_id == hotel.id,
            col(HousekeepingTask.status).in_(ACTIVE_TASK_STATUSES),
        )
        .order_by(col(HousekeepingTask.id).desc())
    )
    return dict(rows.all())


def _bookings(session: Session, hotel: Hotel, *conditions: Any) -> list[Booking]:
    query = select(Booking).where(Booking.hotel_id == hotel.id, *conditions)
    return list(session.exec(query.order_by(col(Booking.id))))


def _tile(
    room: Room,
    in_house: Booking | None,
    arriving: Booking | None,
    today: date,
    assignees: dict[int, str],
) -> RoomTile:
    flagged_today = room.flags_date == today
    return RoomTile(
        room.room_number,
        room.room_status,
        room_floor(room),
        in_house.booking_id if in_house else None,
        departs_today=in_house is not None and in_house.departure_date == today,
        arrival_today=arriving.booking_id if arriving else None,
        expected_arrival=arriving.expected_arrival_time if arriving else None,
        do_not_disturb=flagged_today and room.do_not_disturb,
        make_up_room=flagged_today and room.make_up_room,
        assignee=assignees.get(room.id),  # type: ignore[arg-type]
    )


def room_panel(
    hotel_slug: str, room_number: int, actor: Actor, uow: UnitOfWork | None = None
) -> RoomPanel:
    with hotel_scope(hotel_slug, uow, write=False) as scope:
        room = scope.room(room_number)
        machine = RoomTurnover(room, scope.context(actor, source="room_detail"))
        in_house = _booking_of(scope.session, room, IN_HOUSE)
        arriving = _booking_of(scope.session, room, ARRIVING)
        history = list(
            scope.session.exec(
                select(TransitionLog)
                .where(
                    TransitionLog.hotel_id == scope.hotel.id,
                    TransitionLog.entity_kind == RoomTurnover.entity_kind,
                    TransitionLog.entity_id == room.id,
                )
                .order_by(col(TransitionLog.id).desc())
                .limit(HISTORY_LENGTH)
            )
        )
        context = scope.context(actor, source="room_detail")
        booking_events = {
            status: BookingLifecycle(booking, context, room=room).enabled_event_names()
            for status, booking in ((IN_HOUSE, in_house), (ARRIVING, arriving))
            if booking is not None
        }
        actions = [
            event
            for event in machine.enabled_event_names()
            if _booking_allows(event, booking_events)
        ]
        return RoomPanel(
            scope.hotel,
            room,
            room_floor(room),
            _summary(scope.session, in_house),
            _summary(scope.session, arriving),
            history,
            actions,
            _open_tasks(scope.session, room),
        )


def _open_tasks(session: Session, room: Room) -> list[TaskSummary]:
    rows = session.exec(
        select(HousekeepingTask, Staff.username)
        .outerjoin(Staff, Staff.id == HousekeepingTask.assignee_id)  # type: ignore[arg-type]
        .where(
            HousekeepingTask.room_id == room.id,
            col(HousekeepingTask.status).in_(ACTIVE_TASK_STATUSES),
        )
        .order_by(col(HousekeepingTask.id))
    )
    return [
        TaskSummary(task.kind, task.status, task.service_date, username)
        for task, username in rows.all()
    ]


def _booking_allows(event: str, booking_events: dict[str, list[str]]) -> bool:
    """A room's check-in and checkout are its booking's: offered when the booking's own
    machine would take them from this member (a ghost room's checkout has no booking)."""
    if event == "check_in":
        return "check_in" in booking_events.get(ARRIVING, [])
    if event == "check_out" and IN_HOUSE in booking_events:
        return "check_out" in booking_events[IN_HOUSE]
    return True


def perform_room_action(hotel_slug: str, room_number: int, event: str, actor: Actor) -> RoomPanel:
    """Fire `event` on the room the way the API would, then return the room as it is now.
    An event the member may not fire here is refused by the machine, as over the API."""
    if event in RoomTurnover.directly:
        transition_room(
            room=RoomRef(hotel_slug, room_number), event=event, performed_by=actor, source=SOURCE
        )
    elif event in ("check_out", "check_in"):
        _fire_on_booking(hotel_slug, room_number, event, actor)
    elif event == "force_checkout":
        _bulk_checkout_room(hotel_slug, room_number, actor, destructive=True)
    else:
        raise TransitionRefused(
            f"'{event}' is not something the board does to a room", code="TRANSITION_NOT_ALLOWED"
        )
    return room_panel(hotel_slug, room_number, actor)


def _fire_on_booking(hotel_slug: str, room_number: int, event: str, actor: Actor) -> None:
    status = IN_HOUSE if event == "check_out" else ARRIVING
    with hotel_scope(hotel_slug, write=False) as scope:
        room = scope.room(room_number)
        booking = _booking_of(scope.session, room, status)
    if booking is None and event == "check_out":
        # A ghost room (occupied, nobody in house): bulk checkout clears it, with a note.
        _bulk_checkout_room(hotel_slug, room_number, actor, destructive=False)
        return
    if booking is None:
        raise TransitionRefused(
            f"Room {room_number} has no confirmed booking to check in", code="CHECKIN_FAILED"
        )
    ref = BookingRef(hotel_slug, booking.booking_id)
    if event == "check_out":
        checkout_booking(booking=ref, performed_by=actor, source=SOURCE)
    else:
        check_in_booking(booking=ref, performed_by=actor, source=SOURCE)


def _bulk_checkout_room(hotel_slug: str, room_number: int, actor: Actor, *, destructive: bool):  # type: ignore[no-untyped-def]
    with hotel_scope(hotel_slug, write=False) as scope:
        room_id = scope.room(room_number).id
    result = bulk_checkout(
        hotel_slug=hotel_slug,
        room_ids=[room_id],  # type: ignore[list-item]
        performed_by=actor,
        destructive=destructive,
        source=SOURCE,
    )
    if result.errors:
        error = result.errors[0]
        raise DomainError(error.message, code=error.code)
    if result.skipped:
        raise TransitionRefused(result.skipped[0].reason, code="CHECKOUT_FAILED")


def _booking_of(session: Session, room: Room, status: str) -> Booking | None:
    return session.exec(
        select(Booking)
        .where(Booking.assigned_room_id == room.id, Booking.status == status)
        .order_by(col(Booking.id))
    ).first()


def _summary(session: Session, booking: Booking | None) -> BookingSummary | None:
    if booking is None:
        return None
    guests = session.exec(
        select(Guest).where(Guest.booking_id == booking.id).order_by(col(Guest.id))
    )
    names = [f"{guest.first_name} {guest.last_name}".strip() for guest in guests]
    return BookingSummary(
        booking.booking_id,
        booking.status,
        names,
        booking.checked_in_at,
        booking.arrival_date,
        booking.departure_date,
        booking.expected_arrival_time,
    )
