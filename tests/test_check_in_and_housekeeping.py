"""Check-in and the housekeeping cycle through the services."""

import pytest

from storage.models import Booking, Guest, Room
from tests.conftest import ANNA, HOTEL, log, outbox, rows, snapshot
from workflows.machines.errors import RoomNotFound, TransitionRefused
from workflows.services.check_in import check_in_booking
from workflows.services.checkout import BookingRef, checkout_booking
from workflows.services.housekeeping import RoomRef, transition_room


def check_in(booking_id: str, room_number: int | None = None):
    ref = BookingRef(HOTEL, booking_id)
    return check_in_booking(booking=ref, performed_by=ANNA, room_number=room_number)


def housekeep(room_number: int, event: str, note: str | None = None) -> Room:
    ref = RoomRef(HOTEL, room_number)
    return transition_room(room=ref, event=event, performed_by=ANNA, note=note)


def status_of(room_number: int) -> str:
    return next(r.room_status for r in rows(Room) if r.room_number == room_number)


def test_check_in_occupies_the_room_and_attaches_guests(hotel: str) -> None:
    outcome = check_in("BK-2")

    assert outcome.booking.status == "CHECKED_IN" and outcome.booking.checked_in_at
    assert status_of(102) == "OCCUPIED"
    assert next(r for r in rows(Room) if r.room_number == 102).is_occupied
    sean = next(g for g in rows(Guest) if g.first_name == "Sean")
    assert sean.room_id == outcome.room.id
    assert [name for name, _ in outbox()] == ["booking-checked-in", "room-status-changed"]


def test_check_in_can_assign_the_room_first(hotel: str) -> None:
    for event in ("start_cleaning", "finish_cleaning", "pass_inspection"):
        housekeep(104, event)
    outcome = check_in("BK-3", room_number=104)
    assert outcome.room.room_number == 104 and status_of(104) == "OCCUPIED"


def test_check_in_needs_a_ready_room(hotel: str) -> None:
    before = snapshot()
    with pytest.raises(TransitionRefused) as refused:
        check_in("BK-3", room_number=104)
    assert refused.value.code == "CHECKIN_FAILED"
    assert "READY_FOR_GUEST" in refused.value.message
    assert snapshot() == before  # the room assignment was rolled back too


def test_check_in_needs_a_room(hotel: str) -> None:
    with pytest.raises(TransitionRefused) as refused:
        check_in("BK-3")
    assert refused.value.code == "CHECKIN_FAILED"


def test_check_in_to_an_unknown_room(hotel: str) -> None:
    with pytest.raises(RoomNotFound):
        check_in("BK-3", room_number=999)


def test_repeated_check_in_is_idempotent(hotel: str) -> None:
    check_in("BK-2")
    before = snapshot()
    assert check_in("BK-2").unchanged
    assert check_in("BK-2", room_number=102).unchanged
    assert snapshot() == before
    with pytest.raises(TransitionRefused):
        check_in("BK-2", room_number=104)


def test_full_turnover_cycle_back_to_ready(hotel: str) -> None:
    checkout_booking(booking=BookingRef(HOTEL, "BK-1"), performed_by=ANNA)
    for event, expected in [
        ("start_cleaning", "CLEANING_IN_PROGRESS"),
        ("finish_cleaning", "CLEANED_UNINSPECTED"),
        ("fail_inspection", "CHECKOUT_DIRTY"),
        ("start_cleaning", "CLEANING_IN_PROGRESS"),
        ("finish_cleaning", "CLEANED_UNINSPECTED"),
        ("pass_inspection", "READY_FOR_GUEST"),
    ]:
        assert housekeep(101, event, note=f"{event} done").room.room_status == expected
    assert status_of(101) == "READY_FOR_GUEST"
    assert len([entry for entry in log() if "/" not in entry[0]]) == 2 + 6  # not the tasks'
    room_events = [payload for name, payload in outbox() if name == "room-status-changed"]
    assert room_events[-1]["new_status"] == "READY_FOR_GUEST"


def test_housekeeping_notes_are_kept_in_the_log(hotel: str) -> None:
    housekeep(104, "start_cleaning", note="Mop on floor 1")
    from storage.models import TransitionLog

    assert rows(TransitionLog)[-1].note == "Mop on floor 1"


@pytest.mark.parametrize("event", ["check_out", "check_in", "force_checkout", "explode"])
def test_booking_and_admin_events_are_not_housekeeping(hotel: str, event: str) -> None:
    before = snapshot()
    with pytest.raises(TransitionRefused) as refused:
        housekeep(101, event)
    assert refused.value.code == "TRANSITION_NOT_ALLOWED"
    assert event in refused.value.message
    assert snapshot() == before


def test_out_of_order_and_back(hotel: str) -> None:
    assert housekeep(102, "take_out_of_order").room.room_status == "OUT_OF_ORDER"
    with pytest.raises(TransitionRefused):
        check_in("BK-2")
    assert housekeep(102, "return_to_service").room.room_status == "CHECKOUT_DIRTY"
    booking = next(b for b in rows(Booking) if b.booking_id == "BK-2")
    assert booking.status == "CONFIRMED"


def test_an_occupied_room_cannot_go_out_of_order(hotel: str) -> None:
    with pytest.raises(TransitionRefused) as refused:
        housekeep(101, "take_out_of_order")
    assert "OCCUPIED" in refused.value.message
