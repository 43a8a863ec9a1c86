"""BookingLifecycle: CONFIRMED -> CHECKED_IN -> COMPLETED, with cancel and no-show."""

from typing import ClassVar

from sqlalchemy import bindparam, update
from sqlmodel import col
from statemachine import State

from storage.models import Guest, Room
from workflows.machines.actors import FRONT_DESK, Role
from workflows.machines.base import Drive, Refusal, TurnoverMachine, guard
from workflows.machines.errors import (
    CHECKIN_FAILED,
    CHECKOUT_FAILED,
    NOT_CHECKED_IN,
    TransitionRefused,
)
from workflows.machines.realtime_events import booking_event
from workflows.machines.room_turnover import RoomTurnover

# Built once (building a statement costs more than running it).
ATTACH_GUESTS = (
    update(Guest)
    .where(col(Guest.booking_id) == bindparam("the_booking"))
    .values(room_id=bindparam("new_room"))
)


class BookingLifecycle(TurnoverMachine):
    """Bound to `Booking.status`. Built with the booking's room as `room=`: its assigned
    room, or for a check-in the room it is being given (and the room number the caller
    named as `requested_room_number=`)."""

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
        on=["assign_room", "stamp_checked_in_at", "attach_guests_to_room"],
    )
    check_out = checked_in.to(
        completed,
        cond=["has_assigned_room", "room_in_same_hotel"],
        on=["stamp_checked_out_at"],
    )
    cancel = confirmed.to(cancelled)
    mark_no_show = confirmed.to(no_show)

    who_may_fire: ClassVar[dict[str, tuple[Role, ...]]] = {
        "check_in": FRONT_DESK,
        "check_out": FRONT_DESK,
        "cancel": FRONT_DESK,
        "mark_no_show": FRONT_DESK,
    }
    # The room follows its booking: check-in occupies it, checkout leaves it to be cleaned.
    drives: ClassVar[dict[str, Drive]] = {
        "check_in": Drive(RoomTurnover, "room", "check_in"),
        "check_out": Drive(RoomTurnover, "room", "check_out"),
    }
    # Repeating one of these once done returns the booking as it stands.
    repeatable = frozenset({"check_in", "check_out", "cancel", "mark_no_show"})
    unavailable: ClassVar[dict[str, Refusal]] = {
        "check_out": Refusal(NOT_CHECKED_IN, "Booking must be checked in to check out"),
    }
    realtime_events: ClassVar[dict[str, str]] = {
        "check_in": "booking-checked-in",
        "check_out": "booking-checked-out",
        "cancel": "booking-cancelled",
        "mark_no_show": "booking-no-show",
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

    def check_repeat(self, event: str) -> None:
        """A check-in repeated naming another room than the booking's is refused."""
        wanted = self.related.get("requested_room_number")
        if event != "check_in" or wanted is None:
            return
        if self.room is None or self.room.room_number != wanted:
            message = f"Booking {self.model.booking_id} is already checked in to another room"
            raise TransitionRefused(message, code=CHECKIN_FAILED)

    def complete_for_forced_room(self) -> None:
        """Destructive bulk checkout: the booking is checked out without driving its room,
        which the caller then forces to CHECKOUT_DIRTY whatever its state."""
        self.fire("check_out", drive=False)

    # --- guards ---------------------------------------------------------------------------

    @guard(
        check_out=Refusal(CHECKOUT_FAILED, "Booking has no assigned room to checkout from"),
        check_in=Refusal(CHECKIN_FAILED, "Cannot check_in {entity}: it has no assigned room"),
    )
    def has_assigned_room(self) -> bool:
        return self.room is not None

    @guard(
        check_out=Refusal(CHECKOUT_FAILED, "Booking's assigned room belongs to another hotel"),
        check_in=Refusal(
            CHECKIN_FAILED, "Cannot check_in {entity}: its room belongs to another hotel"
        ),
    )
    def room_in_same_hotel(self) -> bool:
        return self.room is not None and self.room.hotel_id == self.model.hotel_id

    @guard(
        check_in=Refusal(
            CHECKIN_FAILED, "Cannot check_in {entity}: its room is not READY_FOR_GUEST"
        ),
    )
    def room_is_ready(self) -> bool:
        return self.room is not None and self.room.room_status == "READY_FOR_GUEST"

    # --- hooks ----------------------------------------------------------------------------

    def assign_room(self) -> None:
        """The booking keeps the room it is checked in to."""
        assert self.room is not None
        self.model.assigned_room_id = self.room.id

    def stamp_checked_in_at(self) -> None:
        self.model.checked_in_at = self.ctx.now

    def attach_guests_to_room(self) -> None:
        assert self.room is not None
        self.ctx.execute_bulk(
            ATTACH_GUESTS, {"the_booking": self.model.id, "new_room": self.room.id}
        )

    def stamp_checked_out_at(self) -> None:
        self.model.checked_out_at = self.ctx.now
