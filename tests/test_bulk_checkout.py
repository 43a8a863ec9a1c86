"""bulk_checkout: non-destructive through checkout_booking, destructive for superusers."""

import pytest

from storage.models import Booking, Guest, GuestChatSession, Room, TransitionLog
from tests.conftest import ADMIN, ANNA, HOTEL, outbox, rows, snapshot
from workflows.machines.errors import TransitionRefused
from workflows.services.bulk_checkout import bulk_checkout


def room_ids() -> dict[tuple[int, int], int]:
    """(hotel_id, room_number) -> room id"""
    return {(r.hotel_id, r.room_number): r.id for r in rows(Room)}


def statuses() -> dict[tuple[int, int], str]:
    return {(r.hotel_id, r.room_number): r.room_status for r in rows(Room)}


def test_mixed_rooms_non_destructive(hotel: str) -> None:
    ids = room_ids()
    request = [ids[1, 101], ids[1, 103], ids[1, 104], ids[2, 101], 999_999]

    result = bulk_checkout(hotel_slug=HOTEL, room_ids=request, performed_by=ANNA)

    assert result.rooms_processed == 5 and not result.destructive_mode
    assert result.checked_out_bookings == ["BK-1"]
    assert result.rooms_cleared == [103]  # the ghost room
    assert [(e.room_id, e.code) for e in result.errors] == [
        (ids[2, 101], "ROOM_NOT_FOUND"),
        (999_999, "ROOM_NOT_FOUND"),
    ]
    after = statuses()
    assert after[1, 101] == after[1, 103] == "CHECKOUT_DIRTY"
    assert after[1, 104] == "CHECKOUT_DIRTY"
    assert after[2, 101] == "OCCUPIED"  # other hotel's room never touched
    assert [name for name, _ in outbox()] == [
        "booking-checked-out",
        "room-status-changed",
        "task-created",
        "room-status-changed",
        "task-created",
    ]
    assert {g.first_name for g in rows(Guest)} == {"Mary", "John", "Sean"}


def test_repeated_bulk_checkout_changes_nothing(hotel: str) -> None:
    ids = list(room_ids().values())
    bulk_checkout(hotel_slug=HOTEL, room_ids=ids, performed_by=ANNA)
    before = snapshot()
    again = bulk_checkout(hotel_slug=HOTEL, room_ids=ids, performed_by=ANNA)
    assert again.checked_out_bookings == [] and again.rooms_cleared == []
    assert snapshot() == before


def test_an_unexpected_error_rolls_back_the_whole_request(hotel: str, monkeypatch) -> None:
    from workflows.machines.room_turnover import RoomTurnover

    ids = room_ids()
    original = RoomTurnover.delete_chat_sessions

    def fail_for_ghost_room(self) -> None:
        if self.model.room_number == 103:
            raise RuntimeError("disk full")
        original(self)

    monkeypatch.setattr(RoomTurnover, "delete_chat_sessions", fail_for_ghost_room)
    with pytest.raises(RuntimeError):
        bulk_checkout(hotel_slug=HOTEL, room_ids=[ids[1, 101], ids[1, 103]], performed_by=ANNA)
    # Unexpected errors are not swallowed: the whole request rolls back.
    assert statuses()[1, 101] == "OCCUPIED"


def test_a_refused_room_is_reported_and_the_rest_proceed(hotel: str) -> None:
    from sqlalchemy import text

    from storage.unit_of_work import UnitOfWork

    ids = room_ids()
    with UnitOfWork() as uow:  # an in-house booking whose room record is inconsistent
        uow.session.execute(
            text("UPDATE room SET room_status = 'CHECKOUT_DIRTY' WHERE id = :id"),
            {"id": ids[1, 101]},
        )
        uow.commit()
    result = bulk_checkout(hotel_slug=HOTEL, room_ids=[ids[1, 101], ids[1, 103]], performed_by=ANNA)
    assert [(e.room_id, e.code) for e in result.errors] == [(ids[1, 101], "TRANSITION_NOT_ALLOWED")]
    assert result.rooms_cleared == [103]
    booking = next(b for b in rows(Booking) if b.booking_id == "BK-1")
    assert booking.status == "CHECKED_IN"  # its room's savepoint rolled back


def test_destructive_needs_a_superuser(hotel: str) -> None:
    before = snapshot()
    with pytest.raises(TransitionRefused) as refused:
        bulk_checkout(
            hotel_slug=HOTEL,
            room_ids=list(room_ids().values()),
            performed_by=ANNA,
            destructive=True,
        )
    assert refused.value.code == "PERMISSION_DENIED"
    assert snapshot() == before


def test_destructive_deletes_guests_and_keeps_a_snapshot(hotel: str) -> None:
    ids = room_ids()
    result = bulk_checkout(
        hotel_slug=HOTEL, room_ids=[ids[1, 101], ids[1, 102]], performed_by=ADMIN, destructive=True
    )

    assert result.destructive_mode
    assert result.checked_out_bookings == ["BK-1"]
    assert result.rooms_cleared == [101, 102]
    assert statuses()[1, 101] == statuses()[1, 102] == "CHECKOUT_DIRTY"
    assert {g.first_name for g in rows(Guest)} == {"Sean"}  # BK-2 not in house: kept
    assert rows(GuestChatSession) == []
    forced = [e for e in rows(TransitionLog) if e.event == "force_checkout"]
    assert [(e.entity_ref, e.from_state, e.actor) for e in forced] == [
        ("101", "OCCUPIED", "admin"),
        ("102", "READY_FOR_GUEST", "admin"),
    ]
    deleted = forced[0].details["deleted"]
    assert sorted(g["first_name"] for g in deleted["guests"]) == ["John", "Mary"]
    assert len(deleted["chat_sessions"]) == 1 and len(deleted["conversations"]) == 1
    assert sorted(o["status"] for o in deleted["room_service_orders"]) == ["IN_PROGRESS", "OPEN"]
    assert forced[1].details == {
        "deleted": {
            "guests": [],
            "chat_sessions": [],
            "conversations": [],
            "room_service_orders": [],
        }
    }
