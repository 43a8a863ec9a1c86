"""The seed's checkout buttons: primary and legacy paths behave as one."""

import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update

from storage.models import Booking, Guest, OutboxEvent, TransitionLog
from storage.unit_of_work import UnitOfWork
from tests.api.conftest import BASE, Headers, error, seeded_stay
from tests.conftest import outbox, rows, snapshot

PRIMARY = BASE + "/room-bookings/{}/check-out/"
LEGACY = BASE + "/bookings/{}/checkout/"
ISO_Z = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


@pytest.mark.parametrize("path", [PRIMARY, LEGACY], ids=["primary", "legacy"])
def test_checkout_answers_with_the_seed_shape(client: TestClient, staff: Headers, path: str):
    response = client.post(path.format("BK-1"), headers=staff)

    assert response.status_code == 200
    body = response.json()
    assert ISO_Z.match(body["booking"]["checked_out_at"])
    assert body == {
        "message": "Booking checked out successfully",
        "booking": {
            "booking_id": "BK-1",
            "status": "COMPLETED",
            "checked_in_at": body["booking"]["checked_in_at"],
            "checked_out_at": body["booking"]["checked_out_at"],
            "assigned_room": {"room_number": 101, "room_status": "CHECKOUT_DIRTY"},
            **seeded_stay(body["booking"]),
        },
    }
    assert [name for name, _ in outbox()] == [
        "booking-checked-out",
        "room-status-changed",
        "task-created",  # the room's departure cleaning
    ]
    assert all(guest.room_id is None for guest in rows(Guest))


@pytest.mark.parametrize("path", [PRIMARY, LEGACY], ids=["primary", "legacy"])
def test_checking_out_twice_returns_the_booking_and_emits_nothing(
    client: TestClient, staff: Headers, path: str
):
    first = client.post(path.format("BK-1"), headers=staff).json()
    events, log_rows = len(rows(OutboxEvent)), len(rows(TransitionLog))

    again = client.post(path.format("BK-1"), headers=staff)

    assert again.status_code == 200
    assert again.json() == {"message": "Booking already checked out", "booking": first["booking"]}
    assert (len(rows(OutboxEvent)), len(rows(TransitionLog))) == (events, log_rows)


def test_legacy_path_answers_exactly_like_the_primary(client: TestClient, staff: Headers):
    client.post(PRIMARY.format("BK-1"), headers=staff)
    with UnitOfWork() as uow:  # a legacy row: in house with no room (what made ghost rooms)
        uow.session.execute(
            update(Booking).where(Booking.booking_id == "BK-2").values(status="CHECKED_IN")
        )
        uow.commit()
    with UnitOfWork() as uow:
        uow.session.execute(
            update(Booking).where(Booking.booking_id == "BK-2").values(assigned_room_id=None)
        )
        uow.commit()
    cases = {"BK-1": 200, "BK-3": 409, "BK-2": 409, "BK-NOPE": 404, "BK-G": 404, "x" * 65: 422}
    for booking_id, status in cases.items():
        primary = client.post(PRIMARY.format(booking_id), headers=staff)
        legacy = client.post(LEGACY.format(booking_id), headers=staff)
        assert primary.status_code == status, (booking_id, primary.text)
        assert (legacy.status_code, legacy.json()) == (primary.status_code, primary.json())


def test_checkout_error_codes(client: TestClient, staff: Headers):
    with UnitOfWork() as uow:
        uow.session.execute(
            update(Booking).where(Booking.booking_id == "BK-1").values(assigned_room_id=None)
        )
        uow.commit()

    assert error(client.post(PRIMARY.format("BK-NOPE"), headers=staff)) == (
        404,
        "BOOKING_NOT_FOUND",
    )
    not_in = client.post(PRIMARY.format("BK-2"), headers=staff)
    assert not_in.json()["error"] == {
        "code": "NOT_CHECKED_IN",
        "message": "Booking must be checked in to check out",
    }
    assert not_in.status_code == 409
    no_room = client.post(PRIMARY.format("BK-1"), headers=staff)
    assert error(no_room) == (409, "CHECKOUT_FAILED")
    assert "no assigned room" in no_room.json()["error"]["message"]


def test_nothing_changes_when_checkout_is_refused(client: TestClient, staff: Headers):
    before = snapshot()
    client.post(PRIMARY.format("BK-2"), headers=staff)
    assert snapshot() == before


def test_paths_without_trailing_slash_answer_without_redirect(client: TestClient, staff: Headers):
    response = client.post(
        PRIMARY.format("BK-1").rstrip("/"), headers=staff, follow_redirects=False
    )
    assert response.status_code == 200
    assert response.json()["booking"]["status"] == "COMPLETED"
    legacy = client.post(LEGACY.format("BK-1").rstrip("/"), headers=staff, follow_redirects=False)
    assert legacy.json()["message"] == "Booking already checked out"


def test_fetch_flow_with_json_content_type_and_no_body(client: TestClient, staff: Headers):
    headers = {**staff, "Content-Type": "application/json"}
    response = client.post(PRIMARY.format("BK-1"), headers=headers)
    assert response.status_code == 200
    assert response.json()["booking"]["assigned_room"]["room_status"] == "CHECKOUT_DIRTY"


def test_checkout_records_the_acting_staff_member(client: TestClient, staff: Headers):
    client.post(PRIMARY.format("BK-1"), headers=staff)
    assert {entry.actor for entry in rows(TransitionLog)} == {"maria"}
    assert {entry.source for entry in rows(TransitionLog)} == {"staff_checkout_endpoint"}
    notes = client.get(BASE + "/rooms/101/", headers=staff).json()["turnover_notes"]
    assert "staff_checkout_endpoint by maria: checked out booking BK-1" in notes
