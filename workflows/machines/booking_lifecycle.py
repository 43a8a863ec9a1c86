"""BookingLifecycle: CONFIRMED -> CHECKED_IN -> COMPLETED, with cancel and no-show."""

from typing import ClassVar

from sqlalchemy import update
from statemachine import State

from storage.models import Guest, Room
from workflows.machines.base import Refusal, TurnoverMachine
from workflows.machines.realtime_events import booking_event


class BookingLifecycle(TurnoverMachine):
    """Bound to `Booking.status`. Built with the booking's assigned room as `room=`."""

    entity_kind = "booking"
    status_field = "status"

    confirmed = State(value="CONFIRMED", initial=True)
    checked_in = State(value="CHECKED_IN")
    completed = State(value="COMPLETED", final=True)
    cancelled = State(value="CANCELLED", final=True)
    no_show = State(value="NO_SHOW", final=True)

    check_in = confirmed.to(
        checked_in,
        cond=["has_assigned_room", "room_in_same_hotel", "room_is_ready"],
        on=["stamp_checked_in_at", "attach_guests_to_room"],
    )
    check_out = checked_in.to(
        completed,
        cond=["has_assigned_room", "room_in_same_hotel"],
        on=["stamp_checked_out_at"],
    )
    cancel = confirmed.to(cancelled)
    mark_no_show = confirmed.to(no_show)

    realtime_events: ClassVar[dict[str, str]] = {
        "check_in": "booking-checked-in",
        "check_out": "booking-checked-out",
        "cancel": "booking-cancelled",
        "mark_no_show": "booking-no-show",
    }
    unavailable: ClassVar[dict[str, Refusal]] = {
        "check_out": ("NOT_CHECKED_IN", "Booking must be checked in to check out"),
    }
    guard_refusals: ClassVar[dict[tuple[str, str], Refusal]] = {
        ("check_out", "has_assigned_room"): (
            "CHECKOUT_FAILED",
            "Booking has no assigned room to checkout from",
        ),
        ("check_out", "room_in_same_hotel"): (
            "CHECKOUT_FAILED",
            "Booking's assigned room belongs to another hotel",
        ),
        ("check_in", "has_assigned_room"): (
            "CHECKIN_FAILED",
            "Cannot check_in {entity}: it has no assigned room",
        ),
        ("check_in", "room_in_same_hotel"): (
            "CHECKIN_FAILED",
            "Cannot check_in {entity}: its room belongs to another hotel",
        ),
        ("check_in", "room_is_ready"): (
            "CHECKIN_FAILED",
            "Cannot check_in {entity}: its room is not READY_FOR_GUEST",
        ),
    }

    @property
    def room(self) -> Room | None:
        return self.related.get("room")

    def entity_label(self) -> str:
        return f"booking {self.model.booking_id}"

    def entity_ref(self) -> str:
        return self.model.booking_id

    def realtime_event(self, event: str, old_status: str, new_status: str) -> tuple[str, dict]:
        room_number = self.room.room_number if self.room else None
        payload = booking_event(
            booking_id=self.model.booking_id, room_number=room_number, at=self.ctx.now
        )
        return self.realtime_events[event], payload

    # --- guards ---------------------------------------------------------------------------

    def has_assigned_room(self) -> bool:
        return self.room is not None

    def room_in_same_hotel(self) -> bool:
        return self.room is not None and self.room.hotel_id == self.model.hotel_id

    def room_is_ready(self) -> bool:
        return self.room is not None and self.room.room_status == "READY_FOR_GUEST"

    # --- hooks ----------------------------------------------------------------------------

    def stamp_checked_in_at(self) -> None:
        self.model.checked_in_at = self.ctx.now

    def attach_guests_to_room(self) -> None:
        assert self.room is not None
        self.ctx.execute_bulk(
            update(Guest).where(Guest.booking_id == self.model.id).values(room_id=self.room.id)  # type: ignore[arg-type]
        )

    def stamp_checked_out_at(self) -> None:
        self.model.checked_out_at = self.ctx.now
