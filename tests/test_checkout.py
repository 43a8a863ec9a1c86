"""checkout_booking: what a checkout does to the data, its audit and events, its errors."""

import re

import pytest
from sqlalchemy import text

from storage.models import (
    Booking,
    Conversation,
    Guest,
    GuestChatSession,
    OutboxEvent,
    Room,
    RoomServiceOrder,
    TransitionLog,
)
from storage.unit_of_work import UnitOfWork
from tests.conftest import ANNA, HOTEL, log, outbox, rows, snapshot
from workflows.machines.errors import BookingNotFound, TransitionRefused
from workflows.machines.room_turnover import RoomTurnover
from workflows.services.checkout import BookingRef, checkout_booking

TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


def checkout(booking_id: str = "BK-1", hotel: str = HOTEL):
    return checkout_booking(
        booking=BookingRef(hotel, booking_id), performed_by=ANNA, source="staff_checkout_endpoint"
    )


def room(number: int, hotel_id: int = 1) -> Room:
    return next(r for r in rows(Room) if r.room_number == number and r.hotel_id == hotel_id)


def test_checkout_completes_booking_and_leaves_room_dirty(hotel: str) -> None:
    outcome = checkout()

    assert not outcome.unchanged
    booking = next(b for b in rows(Booking) if b.booking_id == "BK-1")
    assert booking.status == "COMPLETED"
    assert booking.checked_out_at is not None
    room_101 = room(101)
    assert room_101.room_status == "CHECKOUT_DIRTY"
    assert room_101.is_occupied is False
    assert room_101.fcm_token is None
    assert "staff_checkout_endpoint by anna: checked out booking BK-1" in room_101.turnover_notes


def test_checkout_detaches_guests_and_clears_the_rooms_sessions(hotel: str) -> None:
    checkout()

    guests = rows(Guest)
    assert {g.first_name for g in guests} == {"Mary", "John", "Sean"}  # nobody deleted
    assert all(g.room_id is None for g in guests if g.first_name in ("Mary", "John"))
    assert rows(GuestChatSession) == []
    assert rows(Conversation) == []
    assert [o.status for o in rows(RoomServiceOrder)] == ["COMPLETED"]


def test_checkout_writes_one_log_row_and_one_event_per_transition(hotel: str) -> None:
    checkout()

    booking_row, room_row, task_row = log()
    assert [booking_row, room_row] == [
        ("BK-1", "check_out", "CHECKED_IN", "COMPLETED", "anna"),
        ("101", "check_out", "OCCUPIED", "CHECKOUT_DIRTY", "anna"),
    ]
    assert task_row[1:] == ("create", "", "OPEN", "anna")  # the departure cleaning's task
    assert {e.source for e in rows(TransitionLog)} == {"staff_checkout_endpoint"}
    (booking_event, booking_payload), (room_event, room_payload), (task_event, _) = outbox()
    assert task_event == "task-created"
    assert booking_event == "booking-checked-out"
    assert set(booking_payload) == {"booking_id", "room_number", "timestamp"}
    assert booking_payload["booking_id"] == "BK-1" and booking_payload["room_number"] == 101
    assert room_event == "room-status-changed"
    assert {k: v for k, v in room_payload.items() if k != "timestamp"} == {
        "room_number": 101,
        "old_status": "OCCUPIED",
        "new_status": "CHECKOUT_DIRTY",
        "source": "staff_checkout_endpoint",
        "room_flags": {"do_not_disturb": False, "make_up_room": False, "service_declined": False},
    }
    assert TIMESTAMP.match(room_payload["timestamp"])
    assert booking_payload["timestamp"] == room_payload["timestamp"]


def test_events_go_to_the_hotels_channel(hotel: str) -> None:
    from tests.conftest import rows as all_rows

    checkout()
    assert {e.channel for e in all_rows(OutboxEvent)} == {f"hotel-{HOTEL}"}


def test_checking_out_twice_changes_nothing_the_second_time(hotel: str) -> None:
    checkout()
    before = snapshot()

    again = checkout()

    assert again.unchanged
    assert again.booking.status == "COMPLETED"
    assert snapshot() == before


def test_other_rooms_and_hotels_are_untouched(hotel: str) -> None:
    checkout()
    assert room(103).room_status == "OCCUPIED"
    assert room(101, hotel_id=2).room_status == "OCCUPIED"
    galway = next(b for b in rows(Booking) if b.booking_id == "BK-G")
    assert galway.status == "CHECKED_IN"


def test_a_booking_that_is_not_checked_in_cannot_check_out(hotel: str) -> None:
    before = snapshot()
    with pytest.raises(TransitionRefused) as refused:
        checkout("BK-2")
    assert refused.value.code == "NOT_CHECKED_IN"
    assert refused.value.message == "Booking must be checked in to check out"
    assert snapshot() == before


@pytest.mark.parametrize("booking_id", ["BK-404", "BK-G"])
def test_unknown_or_other_hotels_booking_is_not_found(hotel: str, booking_id: str) -> None:
    with pytest.raises(BookingNotFound) as missing:
        checkout(booking_id)
    assert missing.value.code == "BOOKING_NOT_FOUND"
    assert missing.value.message == "Booking not found"


def _corrupt(sql: str) -> None:
    with UnitOfWork() as uow:
        uow.session.execute(text(sql))
        uow.commit()


def test_an_in_house_booking_without_room_fails_clearly(hotel: str) -> None:
    _corrupt("UPDATE booking SET assigned_room_id = NULL WHERE booking_id = 'BK-1'")
    before = snapshot()
    with pytest.raises(TransitionRefused) as refused:
        checkout()
    assert refused.value.code == "CHECKOUT_FAILED"
    assert refused.value.message == "Booking has no assigned room to checkout from"
    assert snapshot() == before


def test_a_room_of_another_hotel_is_refused(hotel: str) -> None:
    galway_room = room(101, hotel_id=2).id
    _corrupt(f"UPDATE booking SET assigned_room_id = {galway_room} WHERE booking_id = 'BK-1'")
    with pytest.raises(TransitionRefused) as refused:
        checkout()
    assert refused.value.code == "CHECKOUT_FAILED"
    assert room(101, hotel_id=2).room_status == "OCCUPIED"


@pytest.mark.parametrize(
    "hook",
    [
        "mark_vacant",
        "clear_fcm_token",
        "detach_guests",
        "delete_chat_sessions",
        "delete_conversations",
        "delete_open_orders",
        "append_turnover_note",
    ],
)
def test_a_failing_hook_rolls_the_whole_checkout_back(hotel: str, monkeypatch, hook: str) -> None:
    def broken(self) -> None:
        raise RuntimeError(f"{hook} failed")

    monkeypatch.setattr(RoomTurnover, hook, broken)
    before = snapshot()
    with pytest.raises(RuntimeError):
        checkout()
    assert snapshot() == before
    assert outbox() == []
