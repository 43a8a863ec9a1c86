"""Cancelling a booking and marking a no-show: one transition each, audited and announced."""

import pytest

from storage.models import Booking
from tests.conftest import ANNA, HOTEL, log, outbox, rows, snapshot
from workflows.machines.errors import BookingNotFound, TransitionRefused
from workflows.services.booking_changes import cancel_booking, mark_no_show
from workflows.services.checkout import BookingRef

SERVICES = {"cancel": (cancel_booking, "CANCELLED"), "mark_no_show": (mark_no_show, "NO_SHOW")}


def status_of(booking_id: str) -> str:
    return next(b.status for b in rows(Booking) if b.booking_id == booking_id)


@pytest.mark.parametrize("event", SERVICES)
def test_confirmed_booking_ends_with_audit_row_and_event(hotel: str, event: str) -> None:
    service, final = SERVICES[event]
    outcome = service(booking=BookingRef(hotel, "BK-2"), performed_by=ANNA, note="guest called")
    assert not outcome.unchanged and outcome.booking.status == final
    assert status_of("BK-2") == final
    assert log() == [("BK-2", event, "CONFIRMED", final, "anna")]
    name = "booking-cancelled" if event == "cancel" else "booking-no-show"
    [(event_name, payload)] = outbox()
    assert event_name == name
    assert payload["booking_id"] == "BK-2" and payload["room_number"] == 102


@pytest.mark.parametrize("event", SERVICES)
def test_repeating_it_writes_nothing(hotel: str, event: str) -> None:
    service, final = SERVICES[event]
    service(booking=BookingRef(hotel, "BK-3"), performed_by=ANNA)
    before = snapshot()
    again = service(booking=BookingRef(hotel, "BK-3"), performed_by=ANNA)
    assert again.unchanged and again.booking.status == final and again.room is None
    assert snapshot() == before


@pytest.mark.parametrize("event", SERVICES)
def test_in_house_booking_cannot_be_cancelled(hotel: str, event: str) -> None:
    service, _ = SERVICES[event]
    before = snapshot()
    with pytest.raises(TransitionRefused) as refused:
        service(booking=BookingRef(hotel, "BK-1"), performed_by=ANNA)
    assert refused.value.code == "TRANSITION_NOT_ALLOWED"
    assert event in refused.value.message and "CHECKED_IN" in refused.value.message
    assert snapshot() == before


def test_other_hotels_booking_is_not_found(hotel: str) -> None:
    with pytest.raises(BookingNotFound):
        cancel_booking(booking=BookingRef(HOTEL, "BK-G"), performed_by=ANNA)
    assert status_of("BK-G") == "CHECKED_IN"
