"""Front desk on the machines: the check-in date guard (and the day boundary far from UTC),
bulk check-in, room moves, undo windows. Services get the clock; none reads the wall's."""

from datetime import date
from typing import Any

import pytest
from sqlmodel import select

from storage.models import (
    Booking,
    Conversation,
    Guest,
    GuestChatSession,
    HousekeepingTask,
    Room,
    RoomServiceOrder,
    TransitionLog,
)
from storage.unit_of_work import UnitOfWork
from tests.conftest import outbox, rows, seed
from tests.front_desk_hotel import HOTEL, NOW, at, front_desk_hotel, stay
from workflows.machines.actors import Actor, Role
from workflows.machines.errors import DomainError
from workflows.services.bulk_check_in import CheckInRequestItem, bulk_check_in
from workflows.services.check_in import check_in_booking
from workflows.services.checkout import BookingRef, checkout_booking
from workflows.services.day_lists import arrivals, booking_history, departures, in_house
from workflows.services.front_desk import move_booking, reinstate_booking, revert_check_in

DESK = Actor(username="anna", role=Role.FRONT_DESK)
MANAGER = Actor(username="maeve", role=Role.MANAGER)
SUPERVISOR = Actor(username="sinead", role=Role.SUPERVISOR)
ADMIN = Actor(username="admin", is_superuser=True)


@pytest.fixture
def desk_hotel(database: str) -> str:
    seed(front_desk_hotel())
    return HOTEL


def ref(booking_id: str, hotel: str = HOTEL) -> BookingRef:
    return BookingRef(hotel, booking_id)


def booking(booking_id: str) -> Booking:
    return next(b for b in rows(Booking) if b.booking_id == booking_id)


def room(number: int, hotel_id: int = 1) -> Room:
    return next(r for r in rows(Room) if r.room_number == number and r.hotel_id == hotel_id)


def refused(code: str, call: Any, **kwargs: Any) -> str:
    with pytest.raises(DomainError) as raised:
        call(**kwargs)
    assert raised.value.code == code, raised.value.message
    return raised.value.message


# --- the check-in date guard ---------------------------------------------------------------


def test_front_desk_cannot_check_in_before_the_arrival_date(desk_hotel: str):
    kwargs = dict(booking=ref("BK-FUT"), performed_by=DESK, room_number=201, now=NOW)
    message = refused("TOO_EARLY", check_in_booking, **kwargs)
    assert "arrival date" in message
    assert booking("BK-FUT").status == "CONFIRMED"
    assert room(201).room_status == "READY_FOR_GUEST"
    # On the arrival day it goes through.
    outcome = check_in_booking(**{**kwargs, "now": at(5, 9)})
    assert outcome.booking.status == "CHECKED_IN"


@pytest.mark.parametrize("actor", [MANAGER, ADMIN], ids=["manager", "superuser"])
def test_a_manager_or_superuser_may_check_in_early_and_the_audit_says_so(
    desk_hotel: str, actor: Actor
):
    check_in_booking(booking=ref("BK-FUT"), performed_by=actor, room_number=201, now=NOW)
    assert booking("BK-FUT").status == "CHECKED_IN"
    entry = next(e for e in rows(TransitionLog) if e.entity_ref == "BK-FUT")
    assert "early check-in before the arrival date 2026-12-05" in (entry.note or "")
    assert actor.username in (entry.note or "")


def test_an_on_time_check_in_has_no_early_note(desk_hotel: str):
    check_in_booking(booking=ref("BK-A2"), performed_by=MANAGER, now=NOW)
    entry = next(e for e in rows(TransitionLog) if e.entity_ref == "BK-A2")
    assert entry.note is None


@pytest.mark.parametrize(
    ("timezone", "arrival", "last_too_early", "first_allowed"),
    [
        # NZDT is UTC+13: 4 December begins at 11:00 UTC on the 3rd.
        ("Pacific/Auckland", "2026-12-04", at(3, 10, 59), at(3, 11, 0)),
        # PST is UTC-8: 3 December begins at 08:00 UTC on the 3rd.
        ("America/Los_Angeles", "2026-12-03", at(3, 7, 59), at(3, 8, 0)),
    ],
)
def test_the_arrival_day_begins_at_local_midnight(
    database: str, timezone: str, arrival: str, last_too_early: Any, first_allowed: Any
):
    seed(
        {
            "hotels": [{"slug": "far-away", "timezone": timezone}],
            "rooms": [{"hotel": "far-away", "room_number": 1, "room_status": "READY_FOR_GUEST"}],
            "bookings": [
                {
                    "hotel": "far-away",
                    "booking_id": "BK-TZ",
                    "room_number": 1,
                    "arrival_date": arrival,
                    "departure_date": "2026-12-09",
                }
            ],
        }
    )
    kwargs = dict(booking=ref("BK-TZ", "far-away"), performed_by=DESK)
    refused("TOO_EARLY", check_in_booking, **kwargs, now=last_too_early)
    listed = arrivals(hotel_slug="far-away", actor=DESK, limit=50, offset=0, now=first_allowed)
    assert [item.booking.booking_id for item in listed.items] == ["BK-TZ"]
    assert listed.day == date.fromisoformat(arrival)
    assert check_in_booking(**kwargs, now=first_allowed).booking.status == "CHECKED_IN"


# --- the day's lists -------------------------------------------------------------------------


def test_arrivals_departures_and_in_house(desk_hotel: str):
    page = arrivals(hotel_slug=HOTEL, actor=DESK, limit=50, offset=0, now=NOW)
    # Expected arrival time first, then the others as booked.
    assert [i.booking.booking_id for i in page.items] == ["BK-A2", "BK-A1", "BK-A3"]
    assert page.items[0].room.room_number == 102  # type: ignore[union-attr]
    assert page.items[0].allowed_events == ["check_in", "cancel", "mark_no_show"]
    assert "check_in" not in page.items[1].allowed_events  # no room yet
    later = arrivals(
        hotel_slug=HOTEL, actor=DESK, day=date(2026, 12, 5), limit=50, offset=0, now=NOW
    )
    assert [i.booking.booking_id for i in later.items] == ["BK-FUT"]

    leaving = departures(hotel_slug=HOTEL, actor=DESK, limit=50, offset=0, now=NOW)
    assert [(i.booking.booking_id, i.late_departure) for i in leaving.items] == [
        ("BK-LATE", True),
        ("BK-IN", False),
    ]
    # BK-IN arrived on the 1st: its check-in can no longer be reverted.
    assert leaving.items[1].allowed_events == ["check_out", "move"]
    staying = in_house(hotel_slug=HOTEL, actor=DESK, limit=1, offset=1, now=NOW)
    assert staying.total == 2
    assert [i.booking.booking_id for i in staying.items] == ["BK-IN"]


def test_booking_history_is_newest_first_and_keeps_notes(desk_hotel: str):
    from workflows.services.booking_changes import cancel_booking

    cancel_booking(booking=ref("BK-A3"), performed_by=DESK, note="phoned to cancel")
    check_in_booking(booking=ref("BK-A2"), performed_by=DESK, now=NOW)
    checkout_booking(booking=ref("BK-A2"), performed_by=DESK)
    history = booking_history(hotel_slug=HOTEL, booking_id="BK-A2", limit=50, offset=0)
    assert [e.event for e in history.items] == ["check_out", "check_in"]
    cancelled = booking_history(hotel_slug=HOTEL, booking_id="BK-A3", limit=1, offset=0)
    assert (cancelled.total, cancelled.items[0].note) == (1, "phoned to cancel")
    refused(
        "BOOKING_NOT_FOUND", booking_history, hotel_slug=HOTEL, booking_id="BK-G", limit=1, offset=0
    )


# --- bulk check-in ---------------------------------------------------------------------------


def test_bulk_check_in_mixes_good_and_refused_bookings(desk_hotel: str):
    result = bulk_check_in(
        hotel_slug=HOTEL,
        bookings=[
            CheckInRequestItem("BK-A1", 201),
            CheckInRequestItem("BK-IN"),  # already in house
            CheckInRequestItem("BK-NOPE"),  # unknown
            CheckInRequestItem("BK-G"),  # another hotel's
            CheckInRequestItem("BK-A3", 201),  # the room BK-A1 named
            CheckInRequestItem("BK-A2"),  # its own room 102
            CheckInRequestItem("BK-FUT", 305),  # too early for the front desk
        ],
        performed_by=DESK,
        now=NOW,
    )
    assert result.checked_in_bookings == ["BK-A1", "BK-A2"]
    assert [(a.booking_id, a.room_number, a.auto_assigned) for a in result.assigned_rooms] == [
        ("BK-A1", 201, False),
        ("BK-A2", 102, False),
    ]
    assert [s.booking_id for s in result.skipped] == ["BK-IN"]
    assert [(e.booking_id, e.code) for e in result.errors] == [
        ("BK-NOPE", "BOOKING_NOT_FOUND"),
        ("BK-G", "BOOKING_NOT_FOUND"),
        ("BK-A3", "ROOM_TAKEN"),
        ("BK-FUT", "TOO_EARLY"),
    ]
    assert booking("BK-A3").status == "CONFIRMED"
    assert room(305).room_status == "READY_FOR_GUEST"
    assert booking("BK-G").status == "CONFIRMED"
    guest = next(g for g in rows(Guest) if g.first_name == "Aoife")
    assert guest.room_id == room(201).id


def test_auto_assign_takes_the_lowest_floor_then_number_and_skips_held_rooms(desk_hotel: str):
    seed(
        {
            "hotels": [],
            "rooms": [
                {"hotel": HOTEL, "room_number": 405, "room_status": "READY_FOR_GUEST", "floor": 0},
            ],
        }
    )
    result = bulk_check_in(
        hotel_slug=HOTEL,
        bookings=[
            CheckInRequestItem("BK-A1"),
            CheckInRequestItem("BK-A3"),
            CheckInRequestItem("BK-FUT", 101),
        ],
        auto_assign=True,
        performed_by=MANAGER,
        now=NOW,
    )
    # 405 is on floor 0 (stored), 101 is named by BK-FUT, 102 is held by BK-A2 (arrives
    # today): then 201.
    assert [(a.booking_id, a.room_number, a.auto_assigned) for a in result.assigned_rooms] == [
        ("BK-A1", 405, True),
        ("BK-A3", 201, True),
        ("BK-FUT", 101, False),
    ]
    assert result.errors == []


def test_auto_assign_reports_when_no_room_is_free(desk_hotel: str):
    seed(
        {
            "hotels": [],
            "bookings": [stay(f"BK-X{n}", "12-03", "12-04") for n in range(4)],
        }
    )
    items = [CheckInRequestItem(f"BK-X{n}") for n in range(4)]
    result = bulk_check_in(
        hotel_slug=HOTEL, bookings=items, auto_assign=True, performed_by=DESK, now=NOW
    )
    # Free rooms: 101, 201, 305 (102 is BK-A2's).
    assert len(result.checked_in_bookings) == 3
    assert [(e.booking_id, e.code) for e in result.errors] == [("BK-X3", "ROOM_TAKEN")]
    assert room(102).room_status == "READY_FOR_GUEST"


# --- room move -------------------------------------------------------------------------------


def test_a_room_move_takes_everything_of_the_stay_along(desk_hotel: str):
    old, new = room(110), room(305)
    outcome = move_booking(
        booking=ref("BK-IN"), to_room_number=305, performed_by=DESK, reason="shower broken", now=NOW
    )
    assert outcome.room.room_number == 305  # type: ignore[union-attr]
    assert booking("BK-IN").status == "CHECKED_IN"
    assert booking("BK-IN").assigned_room_id == new.id
    moved, left = room(305), room(110)
    assert (moved.room_status, moved.is_occupied, moved.fcm_token) == ("OCCUPIED", True, "f-110")
    assert (left.room_status, left.is_occupied, left.fcm_token) == ("CHECKOUT_DIRTY", False, None)
    assert {g.room_id for g in rows(Guest) if g.booking_id == booking("BK-IN").id} == {new.id}
    assert [c.room_id for c in rows(GuestChatSession)] == [new.id]
    assert [c.room_id for c in rows(Conversation)] == [new.id]
    orders = {o.status: o.room_id for o in rows(RoomServiceOrder)}
    assert orders == {"OPEN": new.id, "COMPLETED": old.id}  # billing history stays
    events = [(name, payload) for name, payload in outbox() if not name.startswith("task-")]
    assert [name for name, _ in events] == [
        "booking-room-moved",
        "room-status-changed",
        "room-status-changed",
    ]
    # Housekeeping sees a departure from the old room, as after a checkout.
    tasks = [(t.room_id, t.kind, t.status) for t in rows(HousekeepingTask)]
    assert tasks == [(old.id, "DEPARTURE", "OPEN")]
    assert {k: v for k, v in events[0][1].items() if k != "timestamp"} == {
        "booking_id": "BK-IN",
        "from_room_number": 110,
        "to_room_number": 305,
    }
    assert [(p["room_number"], p["new_status"]) for _, p in events[1:]] == [
        (110, "CHECKOUT_DIRTY"),
        (305, "OCCUPIED"),
    ]
    notes = [e.note for e in rows(TransitionLog) if e.entity_kind in ("booking", "room")]
    assert notes == ["room move of booking BK-IN from room 110 to room 305: shower broken"] * 3
    assert "shower broken" in left.turnover_notes


@pytest.mark.parametrize(
    ("booking_id", "to_room", "code"),
    [
        ("BK-IN", 120, "ROOM_NOT_READY"),  # dirty
        ("BK-IN", 111, "ROOM_NOT_READY"),  # occupied by someone else
        ("BK-IN", 110, "ROOM_NOT_READY"),  # its own room
        ("BK-A1", 305, "NOT_CHECKED_IN"),
        ("BK-IN", 999, "ROOM_NOT_FOUND"),
    ],
)
def test_a_room_move_is_refused_and_changes_nothing(
    desk_hotel: str, booking_id: str, to_room: int, code: str
):
    before = [(r.room_number, r.room_status, r.fcm_token) for r in rows(Room)]
    kwargs = dict(booking=ref(booking_id), to_room_number=to_room, performed_by=DESK, now=NOW)
    refused(code, move_booking, **kwargs)
    assert [(r.room_number, r.room_status, r.fcm_token) for r in rows(Room)] == before
    assert rows(TransitionLog) == []


def test_a_housekeeper_may_not_move_a_guest(desk_hotel: str):
    housekeeper = Actor(username="nora", role=Role.HOUSEKEEPER)
    kwargs = dict(booking=ref("BK-IN"), to_room_number=305, performed_by=housekeeper, now=NOW)
    refused("PERMISSION_DENIED", move_booking, **kwargs)


# --- undo ------------------------------------------------------------------------------------


def test_revert_check_in_on_the_arrival_day_only(desk_hotel: str):
    check_in_booking(booking=ref("BK-A2"), performed_by=DESK, now=NOW)
    refused("UNDO_NOT_ALLOWED", revert_check_in, booking=ref("BK-A2"), performed_by=DESK, now=at(4))
    outcome = revert_check_in(
        booking=ref("BK-A2"), performed_by=DESK, note="wrong guest", now=at(3, 23, 59)
    )
    assert (outcome.booking.status, outcome.booking.checked_in_at) == ("CONFIRMED", None)
    assert room(102).room_status == "READY_FOR_GUEST"
    assert not room(102).is_occupied
    assert [e.note for e in rows(TransitionLog)][-2:] == ["wrong guest", "wrong guest"]
    # BK-IN arrived on the 1st: too late to revert.
    refused("UNDO_NOT_ALLOWED", revert_check_in, booking=ref("BK-IN"), performed_by=DESK, now=NOW)
    # A confirmed booking has no check-in to revert.
    refused("UNDO_NOT_ALLOWED", revert_check_in, booking=ref("BK-A1"), performed_by=DESK, now=NOW)


def test_revert_check_in_detaches_the_guests(desk_hotel: str):
    check_in_booking(booking=ref("BK-A1"), performed_by=DESK, room_number=201, now=NOW)
    assert {g.room_id for g in rows(Guest) if g.first_name == "Aoife"} == {room(201).id}
    revert_check_in(booking=ref("BK-A1"), performed_by=DESK, now=NOW)
    assert {g.room_id for g in rows(Guest) if g.first_name == "Aoife"} == {None}


def test_reinstate_a_wrong_checkout(desk_hotel: str):
    checkout_booking(booking=ref("BK-IN"), performed_by=DESK)
    outcome = reinstate_booking(booking=ref("BK-IN"), performed_by=DESK, now=NOW)
    assert (outcome.booking.status, outcome.booking.checked_out_at) == ("CHECKED_IN", None)
    assert (room(110).room_status, room(110).is_occupied) == ("OCCUPIED", True)
    assert {g.room_id for g in rows(Guest) if g.booking_id == booking("BK-IN").id} == {room(110).id}
    # What the checkout deleted stays deleted.
    assert rows(GuestChatSession) == [] and rows(Conversation) == []
    assert [o.status for o in rows(RoomServiceOrder)] == ["COMPLETED"]
    assert [name for name, _ in outbox()][-3:] == [
        "booking-reinstated",
        "room-status-changed",
        "task-status-changed",
    ]
    # The departure cleaning the checkout opened is called off: the guest is back.
    assert [(t.kind, t.status) for t in rows(HousekeepingTask)] == [("DEPARTURE", "CANCELLED")]


@pytest.mark.parametrize(
    ("now", "allowed"),
    [(at(4, 23, 59), True), (at(5, 0, 0), False)],
    ids=["a day after departure", "two days after"],
)
def test_reinstate_window_is_a_day_past_departure(desk_hotel: str, now: Any, allowed: bool):
    kwargs = dict(booking=ref("BK-OUT"), performed_by=DESK, now=now)
    if allowed:
        assert reinstate_booking(**kwargs).booking.status == "CHECKED_IN"
    else:
        message = refused("UNDO_NOT_ALLOWED", reinstate_booking, **kwargs)
        assert "more than a day" in message


def test_reinstate_is_refused_once_the_room_moved_on_or_is_taken(desk_hotel: str):
    from workflows.services.housekeeping import RoomRef, transition_room

    transition_room(room=RoomRef(HOTEL, 120), event="start_cleaning", performed_by=MANAGER)
    message = refused(
        "UNDO_NOT_ALLOWED", reinstate_booking, booking=ref("BK-OUT"), performed_by=DESK, now=NOW
    )
    assert "no longer CHECKOUT_DIRTY" in message
    # A booking still in house elsewhere cannot be reinstated.
    refused("UNDO_NOT_ALLOWED", reinstate_booking, booking=ref("BK-IN"), performed_by=DESK, now=NOW)


def test_reinstate_is_refused_while_another_booking_holds_the_room(desk_hotel: str):
    with UnitOfWork() as uow:  # a stray in-house booking on the dirty room (data from before)
        other = uow.session.exec(select(Booking).where(Booking.booking_id == "BK-LATE")).one()
        other.assigned_room_id = room(120).id
        uow.session.add(other)
        uow.commit()
    message = refused(
        "UNDO_NOT_ALLOWED", reinstate_booking, booking=ref("BK-OUT"), performed_by=DESK, now=NOW
    )
    assert "another booking holds" in message


def test_a_housekeeper_may_not_undo(desk_hotel: str):
    housekeeper = Actor(username="nora", role=Role.HOUSEKEEPER)
    refused(
        "PERMISSION_DENIED",
        reinstate_booking,
        booking=ref("BK-OUT"),
        performed_by=housekeeper,
        now=NOW,
    )


def test_a_room_is_never_undone_without_its_booking(desk_hotel: str):
    """The room's undo events are only driven by the booking's: not listed on the room,
    refused when fired on it alone."""
    from workflows.machines.base import TransitionContext
    from workflows.machines.errors import TransitionRefused
    from workflows.machines.room_turnover import RoomTurnover
    from workflows.services.queries import room_view

    assert (
        "reinstate" not in room_view(hotel_slug=HOTEL, room_number=120, actor=ADMIN).allowed_events
    )
    assert (
        "revert_check_in"
        not in room_view(hotel_slug=HOTEL, room_number=110, actor=ADMIN).allowed_events
    )
    with UnitOfWork() as uow:
        from storage.models import Hotel

        hotel = uow.session.exec(select(Hotel).where(Hotel.slug == HOTEL)).one()
        dirty = uow.session.exec(select(Room).where(Room.room_number == 120)).first()
        machine = RoomTurnover(dirty, TransitionContext(uow.session, hotel, ADMIN, "test"))
        with pytest.raises(TransitionRefused) as refused:
            machine.fire("reinstate")
    assert "on its own" in refused.value.message
