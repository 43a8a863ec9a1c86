"""Both machines, every state x every event: allowed ones move and are recorded, the rest
are refused with a clear error and change nothing."""

import itertools

import pytest
from sqlmodel import select

from storage.models import Booking, Hotel, OutboxEvent, Room, TransitionLog
from storage.unit_of_work import UnitOfWork
from tests.conftest import ADMIN, ANNA, rows, seed
from workflows.machines.base import TransitionContext
from workflows.machines.booking_lifecycle import BookingLifecycle
from workflows.machines.errors import TransitionRefused
from workflows.machines.room_turnover import RoomTurnover

ROOM_STATES = [
    "READY_FOR_GUEST",
    "OCCUPIED",
    "CHECKOUT_DIRTY",
    "CLEANING_IN_PROGRESS",
    "CLEANED_UNINSPECTED",
    "OUT_OF_ORDER",
]
ROOM_EVENTS = [
    "check_in",
    "check_out",
    "start_cleaning",
    "finish_cleaning",
    "pass_inspection",
    "fail_inspection",
    "take_out_of_order",
    "return_to_service",
    "force_checkout",
    "revert_check_in",
    "reinstate",
]
# Written out from the specification, not read from the machine.
ROOM_ALLOWED = {
    ("READY_FOR_GUEST", "check_in"): "OCCUPIED",
    ("OCCUPIED", "check_out"): "CHECKOUT_DIRTY",
    ("CHECKOUT_DIRTY", "start_cleaning"): "CLEANING_IN_PROGRESS",
    ("CLEANING_IN_PROGRESS", "finish_cleaning"): "CLEANED_UNINSPECTED",
    ("CLEANED_UNINSPECTED", "pass_inspection"): "READY_FOR_GUEST",
    ("CLEANED_UNINSPECTED", "fail_inspection"): "CHECKOUT_DIRTY",
    ("READY_FOR_GUEST", "take_out_of_order"): "OUT_OF_ORDER",
    ("CHECKOUT_DIRTY", "take_out_of_order"): "OUT_OF_ORDER",
    ("CLEANING_IN_PROGRESS", "take_out_of_order"): "OUT_OF_ORDER",
    ("CLEANED_UNINSPECTED", "take_out_of_order"): "OUT_OF_ORDER",
    ("OUT_OF_ORDER", "return_to_service"): "CHECKOUT_DIRTY",
    ("OCCUPIED", "revert_check_in"): "READY_FOR_GUEST",
    ("CHECKOUT_DIRTY", "reinstate"): "OCCUPIED",
    **{(state, "force_checkout"): "CHECKOUT_DIRTY" for state in ROOM_STATES},
}

BOOKING_STATES = ["CONFIRMED", "CHECKED_IN", "COMPLETED", "CANCELLED", "NO_SHOW"]
# (`move` needs the room to go to: tests/test_front_desk.py.)
BOOKING_EVENTS = ["check_in", "check_out", "cancel", "mark_no_show", "revert_check_in", "reinstate"]
# The room follows its booking, in the same transaction.
BOOKING_DRIVES = {
    "check_in": ("room", "check_in", "OCCUPIED"),
    "check_out": ("room", "check_out", "CHECKOUT_DIRTY"),
    "revert_check_in": ("room", "revert_check_in", "READY_FOR_GUEST"),
    "reinstate": ("room", "reinstate", "OCCUPIED"),
}
# The code of an event refused in a state it has no transition from.
BOOKING_UNAVAILABLE = {
    "check_out": "NOT_CHECKED_IN",
    "revert_check_in": "UNDO_NOT_ALLOWED",
    "reinstate": "UNDO_NOT_ALLOWED",
}
# Repeating an event once done is answered with the booking as it stands.
BOOKING_REPEATS = {
    ("CHECKED_IN", "check_in"),
    ("COMPLETED", "check_out"),
    ("CANCELLED", "cancel"),
    ("NO_SHOW", "mark_no_show"),
}
BOOKING_ALLOWED = {
    ("CONFIRMED", "check_in"): "CHECKED_IN",
    ("CHECKED_IN", "check_out"): "COMPLETED",
    ("CONFIRMED", "cancel"): "CANCELLED",
    ("CONFIRMED", "mark_no_show"): "NO_SHOW",
    ("CHECKED_IN", "move"): "CHECKED_IN",
    ("CHECKED_IN", "revert_check_in"): "CONFIRMED",  # on the arrival day
    ("COMPLETED", "reinstate"): "CHECKED_IN",  # its room still dirty
}


# Room events only a booking's undo drives (the room is built with its `booking=`).
DRIVEN_BY_BOOKING = {"revert_check_in", "reinstate"}


def fire_on_room(room_number: int, event: str, actor=ADMIN) -> str:
    with UnitOfWork() as uow:
        hotel = uow.session.exec(select(Hotel)).one()
        room = uow.session.exec(select(Room).where(Room.room_number == room_number)).one()
        booking = {"booking": None} if event in DRIVEN_BY_BOOKING else {}
        ctx = TransitionContext(uow.session, hotel, actor, "test")
        RoomTurnover(room, ctx, **booking).fire(event)
        uow.commit()
        return room.room_status


def fire_on_booking(booking_id: str, event: str) -> str:
    with UnitOfWork() as uow:
        hotel = uow.session.exec(select(Hotel)).one()
        booking = uow.session.exec(select(Booking).where(Booking.booking_id == booking_id)).one()
        room = uow.session.get(Room, booking.assigned_room_id)
        ctx = TransitionContext(uow.session, hotel, ANNA, "test")
        BookingLifecycle(booking, ctx, room=room).fire(event)
        uow.commit()
        return booking.status


@pytest.mark.parametrize(("state", "event"), list(itertools.product(ROOM_STATES, ROOM_EVENTS)))
def test_room_transition_matrix(database: str, state: str, event: str) -> None:
    seed(
        {
            "hotels": [{"slug": "h"}],
            "rooms": [{"hotel": "h", "room_number": 7, "room_status": state}],
        }
    )
    expected = ROOM_ALLOWED.get((state, event))
    if expected:
        assert fire_on_room(7, event) == expected
        # The room's own row and event; its housekeeping tasks follow it
        # (tests/housekeeping) with rows of their own.
        room_log = [e for e in rows(TransitionLog) if e.entity_kind == "room"]
        assert [(e.event, e.from_state, e.to_state) for e in room_log] == [(event, state, expected)]
        room_events = [e for e in rows(OutboxEvent) if e.event_name == "room-status-changed"]
        assert [e.payload["new_status"] for e in room_events] == [expected]
    else:
        with pytest.raises(TransitionRefused) as refused:
            fire_on_room(7, event)
        assert refused.value.code == "TRANSITION_NOT_ALLOWED"
        assert event in refused.value.message and state in refused.value.message
        assert rows(Room)[0].room_status == state
        assert rows(TransitionLog) == [] and rows(OutboxEvent) == []


@pytest.mark.parametrize(
    ("state", "event"), list(itertools.product(BOOKING_STATES, BOOKING_EVENTS))
)
def test_booking_transition_matrix(database: str, state: str, event: str) -> None:
    room_status = {"CHECKED_IN": "OCCUPIED", "COMPLETED": "CHECKOUT_DIRTY"}.get(
        state, "READY_FOR_GUEST"
    )
    seed(
        {
            "hotels": [{"slug": "h"}],
            "rooms": [{"hotel": "h", "room_number": 7, "room_status": room_status}],
            "bookings": [{"hotel": "h", "booking_id": "BK", "status": state, "room_number": 7}],
        }
    )
    expected = BOOKING_ALLOWED.get((state, event))
    if expected:
        assert fire_on_booking("BK", event) == expected
        driven = [BOOKING_DRIVES[event]] if event in BOOKING_DRIVES else []
        logged = [
            (e.entity_kind, e.event, e.to_state)
            for e in rows(TransitionLog)
            if e.entity_kind != "task"  # the room's tasks follow (tests/housekeeping)
        ]
        assert logged == [("booking", event, expected), *driven]
        return
    if (state, event) in BOOKING_REPEATS:
        assert fire_on_booking("BK", event) == state  # done already: nothing written
        assert rows(TransitionLog) == [] and rows(OutboxEvent) == []
        return
    with pytest.raises(TransitionRefused) as refused:
        fire_on_booking("BK", event)
    if event == "check_out":
        assert refused.value.code == "NOT_CHECKED_IN"
        assert refused.value.message == "Booking must be checked in to check out"
    elif event in BOOKING_UNAVAILABLE:
        assert refused.value.code == BOOKING_UNAVAILABLE[event]
        assert event in refused.value.message and state in refused.value.message
    else:
        assert refused.value.code == "TRANSITION_NOT_ALLOWED"
        assert event in refused.value.message and state in refused.value.message
    assert rows(Booking)[0].status == state
    assert rows(TransitionLog) == [] and rows(OutboxEvent) == []


def test_final_booking_states_have_no_way_out() -> None:
    """COMPLETED is not final: a checkout pressed on the wrong booking can be reinstated."""
    finals = {state.value for state in BookingLifecycle.final_states}
    assert finals == {"CANCELLED", "NO_SHOW"}


def test_unknown_event_is_refused_not_ignored(sqlite_database: str) -> None:
    seed({"hotels": [{"slug": "h"}], "rooms": [{"hotel": "h", "room_number": 7}]})
    with pytest.raises(TransitionRefused) as refused:
        fire_on_room(7, "teleport")
    assert refused.value.code == "TRANSITION_NOT_ALLOWED"
    assert "teleport" in refused.value.message


def test_force_checkout_needs_a_superuser(sqlite_database: str) -> None:
    seed({"hotels": [{"slug": "h"}], "rooms": [{"hotel": "h", "room_number": 7}]})
    with pytest.raises(TransitionRefused) as refused:
        fire_on_room(7, "force_checkout", actor=ANNA)
    assert refused.value.code == "PERMISSION_DENIED"
    assert rows(Room)[0].room_status == "READY_FOR_GUEST"


def test_a_failing_hook_surfaces_to_the_caller(sqlite_database: str, monkeypatch) -> None:
    """StateChart would turn this into an internal error event; ours must raise."""
    seed({"hotels": [{"slug": "h"}], "rooms": [{"hotel": "h", "room_number": 7}]})

    def broken(self) -> None:
        raise RuntimeError("hook broke")

    monkeypatch.setattr(RoomTurnover, "mark_occupied", broken)
    with pytest.raises(RuntimeError, match="hook broke"):
        fire_on_room(7, "check_in")
    assert rows(Room)[0].room_status == "READY_FOR_GUEST"
    assert rows(TransitionLog) == [] and rows(OutboxEvent) == []


def test_enabled_events_evaluate_guards(sqlite_database: str) -> None:
    seed({"hotels": [{"slug": "h"}], "rooms": [{"hotel": "h", "room_number": 7}]})
    with UnitOfWork(write=False) as uow:
        hotel = uow.session.exec(select(Hotel)).one()
        room = uow.session.exec(select(Room)).one()
        as_staff = RoomTurnover(room, TransitionContext(uow.session, hotel, ANNA, "test"))
        as_admin = RoomTurnover(room, TransitionContext(uow.session, hotel, ADMIN, "test"))
        assert as_staff.enabled_event_names() == ["check_in", "take_out_of_order"]
        assert "force_checkout" in as_admin.enabled_event_names()
