"""BookingLifecycle: CONFIRMED -> CHECKED_IN -> COMPLETED, with cancel and no-show, room
moves while in house, and the front desk's undo (revert_check_in, reinstate)."""

from datetime import date, timedelta
from typing import ClassVar

from sqlalchemy import bindparam, update
from sqlmodel import col, select
from statemachine import State

from storage.models import (
    OPEN_ORDER_STATUSES,
    Booking,
    Conversation,
    Guest,
    GuestChatSession,
    Room,
    RoomServiceOrder,
)
from workflows.machines.actors import EARLY_CHECK_IN, FRONT_DESK, Role
from workflows.machines.base import Drive, Refusal, TurnoverMachine, guard
from workflows.machines.errors import (
    CHECKIN_FAILED,
    CHECKOUT_FAILED,
    NOT_CHECKED_IN,
    ROOM_NOT_READY,
    ROOM_OUT_OF_ORDER,
    TOO_EARLY,
    UNDO_NOT_ALLOWED,
    TransitionRefused,
)
from workflows.machines.hotel_day import hotel_today
from workflows.machines.out_of_order_period import out_of_order_during
from workflows.machines.realtime_events import (
    BOOKING_ROOM_MOVED,
    booking_event,
    booking_room_moved,
)
from workflows.machines.room_turnover import RoomTurnover

# Built once (building a statement costs more than running it).
ATTACH_GUESTS = (
    update(Guest)
    .where(col(Guest.booking_id) == bindparam("the_booking"))
    .values(room_id=bindparam("new_room"))
)
# A checkout may be reinstated until this long after the booking's departure date.
REINSTATE_GRACE = timedelta(days=1)


class BookingLifecycle(TurnoverMachine):
    """Bound to `Booking.status`. Built with the booking's room as `room=`: its assigned
    room, or for a check-in the room it is being given (and the room number the caller
    named as `requested_room_number=`)."""

    entity_kind = "booking"
    status_field = "status"

    confirmed = State(value="CONFIRMED", initial=True)
    checked_in = State(value="CHECKED_IN")
    completed = State(value="COMPLETED")  # not final: a wrong checkout can be reinstated
    cancelled = State(value="CANCELLED", final=True)
    no_show = State(value="NO_SHOW", final=True)

    check_in = confirmed.to(
        checked_in,
        cond=[
            "has_assigned_room",
            "room_in_same_hotel",
            "room_is_ready",
            "arrival_day_has_come",
            "room_in_order_for_stay",
        ],
        on=["note_early_check_in", "assign_room", "stamp_checked_in_at", "attach_guests_to_room"],
    )
    check_out = checked_in.to(
        completed,
        cond=["has_assigned_room", "room_in_same_hotel"],
        on=["stamp_checked_out_at"],
    )
    cancel = confirmed.to(cancelled)
    mark_no_show = confirmed.to(no_show)
    # An in-house booking changes rooms (`move_to`): its guests' records follow it, then
    # the old room is checked out (with nothing left to delete) and the new one occupied.
    move = checked_in.to.itself(
        cond=[
            "has_assigned_room",
            "new_room_differs",
            "new_room_in_same_hotel",
            "new_room_is_ready",
            "new_room_in_order_for_stay",
        ],
        on=["move_guest_records", "take_new_room"],
    )
    revert_check_in = checked_in.to(
        confirmed,
        cond=["has_assigned_room", "on_arrival_day"],
        on=["detach_guests_from_room", "clear_checked_in_at"],
    )
    reinstate = completed.to(
        checked_in,
        cond=["has_assigned_room", "room_still_dirty", "room_not_held", "within_reinstate_window"],
        on=["clear_checked_out_at", "attach_guests_to_room"],
    )

    who_may_fire: ClassVar[dict[str, tuple[Role, ...]]] = {
        "check_in": FRONT_DESK,
        "check_out": FRONT_DESK,
        "cancel": FRONT_DESK,
        "mark_no_show": FRONT_DESK,
        "move": FRONT_DESK,
        "revert_check_in": FRONT_DESK,
        "reinstate": FRONT_DESK,
    }
    # The room follows its booking: check-in occupies it, checkout leaves it to be cleaned,
    # and the undo events take the room back to where it was. (`move` drives two rooms:
    # see `move_to`.)
    drives: ClassVar[dict[str, Drive]] = {
        "check_in": Drive(RoomTurnover, "room", "check_in"),
        "check_out": Drive(RoomTurnover, "room", "check_out"),
        "revert_check_in": Drive(RoomTurnover, "room", "revert_check_in"),
        "reinstate": Drive(RoomTurnover, "room", "reinstate"),
    }
    # Repeating one of these once done returns the booking as it stands.
    repeatable = frozenset({"check_in", "check_out", "cancel", "mark_no_show"})
    unavailable: ClassVar[dict[str, Refusal]] = {
        "check_out": Refusal(NOT_CHECKED_IN, "Booking must be checked in to check out"),
        "move": Refusal(NOT_CHECKED_IN, "Booking must be checked in to move rooms"),
        "revert_check_in": Refusal(
            UNDO_NOT_ALLOWED, "Cannot revert_check_in {entity}: it is {state}, not CHECKED_IN"
        ),
        "reinstate": Refusal(
            UNDO_NOT_ALLOWED, "Cannot reinstate {entity}: it is {state}, not COMPLETED"
        ),
    }
    realtime_events: ClassVar[dict[str, str]] = {
        "check_in": "booking-checked-in",
        "check_out": "booking-checked-out",
        "cancel": "booking-cancelled",
        "mark_no_show": "booking-no-show",
        "move": BOOKING_ROOM_MOVED,
        "revert_check_in": "booking-check-in-reverted",
        "reinstate": "booking-reinstated",
    }

    @property
    def room(self) -> Room | None:
        return self.related.get("room")

    @property
    def new_room(self) -> Room | None:
        """The room a `move` goes to (`new_room=`)."""
        return self.related.get("new_room")

    @property
    def today(self) -> date:
        """The hotel's local date at the transition's `now`."""
        return hotel_today(self.ctx.hotel, self.ctx.now)

    def entity_label(self) -> str:
        return f"booking {self.model.booking_id}"

    def entity_ref(self) -> str:
        return self.model.booking_id

    def realtime_event(self, event: str, old_status: str, new_status: str) -> tuple[str, dict]:
        if event == "move":
            assert self.room is not None and self.new_room is not None
            payload = booking_room_moved(
                booking_id=self.model.booking_id,
                from_room_number=self.room.room_number,
                to_room_number=self.new_room.room_number,
                at=self.ctx.now,
            )
            return BOOKING_ROOM_MOVED, payload
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

    def move_to(self, new_room: Room, reason: str | None) -> None:
        """Move the in-house booking (built with `room=` its room, `new_room=` the other) in
        the caller's transaction: the booking's `move` carries its guests' records over, then
        the old room goes OCCUPIED -> CHECKOUT_DIRTY through its own `check_out` (whose hooks
        find nothing of the guest left to delete) and the new one READY_FOR_GUEST -> OCCUPIED
        through its `check_in`."""
        old_room = self.room
        self.related["new_room"] = new_room
        moved = f"room move of booking {self.model.booking_id}"
        if old_room is not None:
            moved += f" from room {old_room.room_number} to room {new_room.room_number}"
        self.ctx.note = f"{moved}: {reason}" if reason else moved
        self.fire("move")
        assert old_room is not None  # has_assigned_room made sure
        booking = {"booking": self.model}
        RoomTurnover(old_room, self.ctx, **booking).fire("check_out", driven=True)
        RoomTurnover(new_room, self.ctx, **booking).fire("check_in", driven=True)
        self.related["room"] = new_room

    # --- guards ---------------------------------------------------------------------------

    @guard(
        check_out=Refusal(CHECKOUT_FAILED, "Booking has no assigned room to checkout from"),
        check_in=Refusal(CHECKIN_FAILED, "Cannot check_in {entity}: it has no assigned room"),
        revert_check_in=Refusal(UNDO_NOT_ALLOWED, "Cannot revert_check_in {entity}: no room"),
        reinstate=Refusal(UNDO_NOT_ALLOWED, "Cannot reinstate {entity}: it has no room"),
        move=Refusal(NOT_CHECKED_IN, "Cannot move {entity}: it has no room to move from"),
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

    @guard(
        check_in=Refusal(
            TOO_EARLY,
            "Cannot check_in {entity} before its arrival date (only a manager or a superuser "
            "may check a guest in early)",
        )
    )
    def arrival_day_has_come(self) -> bool:
        return self.today >= self.model.arrival_date or self.ctx.actor.may_fire(EARLY_CHECK_IN)

    @guard(move=Refusal(ROOM_NOT_READY, "Cannot move {entity}: it is already in that room"))
    def new_room_differs(self) -> bool:
        """(The `new_room` guards pass while no room is named: a UI lists `move` for every
        in-house booking; `move_to` always names one.)"""
        return self.new_room is None or self.new_room.id != self.model.assigned_room_id

    @guard(move=Refusal(ROOM_NOT_READY, "Cannot move {entity}: that room is in another hotel"))
    def new_room_in_same_hotel(self) -> bool:
        return self.new_room is None or self.new_room.hotel_id == self.model.hotel_id

    @guard(
        move=Refusal(ROOM_NOT_READY, "Cannot move {entity}: the new room is not READY_FOR_GUEST")
    )
    def new_room_is_ready(self) -> bool:
        return self.new_room is None or self.new_room.room_status == "READY_FOR_GUEST"

    @guard(
        check_in=Refusal(
            ROOM_OUT_OF_ORDER,
            "Cannot check_in {entity}: its room is scheduled out of order during the stay",
        )
    )
    def room_in_order_for_stay(self) -> bool:
        return self.room is None or not self._out_of_order_during_stay(self.room)

    @guard(
        move=Refusal(
            ROOM_OUT_OF_ORDER,
            "Cannot move {entity}: the new room is scheduled out of order during the stay",
        )
    )
    def new_room_in_order_for_stay(self) -> bool:
        return self.new_room is None or not self._out_of_order_during_stay(self.new_room)

    def _out_of_order_during_stay(self, room: Room) -> bool:
        """A live period of `room` on a night from today to the departure."""
        session = self.ctx.session
        return out_of_order_during(session, room, self.today, self.model.departure_date) is not None

    @guard(
        revert_check_in=Refusal(
            UNDO_NOT_ALLOWED,
            "Cannot revert_check_in {entity}: a check-in can only be reverted on the arrival day",
        )
    )
    def on_arrival_day(self) -> bool:
        return self.today == self.model.arrival_date

    @guard(
        reinstate=Refusal(
            UNDO_NOT_ALLOWED,
            "Cannot reinstate {entity}: its room is no longer CHECKOUT_DIRTY",
        )
    )
    def room_still_dirty(self) -> bool:
        return self.room is not None and self.room.room_status == "CHECKOUT_DIRTY"

    @guard(
        reinstate=Refusal(
            UNDO_NOT_ALLOWED, "Cannot reinstate {entity}: another booking holds its room"
        )
    )
    def room_not_held(self) -> bool:
        """No other booking is in house in the room."""
        assert self.room is not None
        other = select(Booking.id).where(
            Booking.assigned_room_id == self.room.id,
            Booking.status == self.checked_in.value,
            Booking.id != self.model.id,
        )
        return self.ctx.session.exec(other.limit(1)).first() is None

    @guard(
        reinstate=Refusal(
            UNDO_NOT_ALLOWED,
            "Cannot reinstate {entity}: its departure date passed more than a day ago",
        )
    )
    def within_reinstate_window(self) -> bool:
        return self.today <= self.model.departure_date + REINSTATE_GRACE

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

    def note_early_check_in(self) -> None:
        """An early check-in (allowed by `arrival_day_has_come`) says so in the audit note."""
        if self.today >= self.model.arrival_date:
            return
        actor = self.ctx.actor
        who = "superuser" if actor.is_superuser else actor.role.value
        early = (
            f"early check-in before the arrival date {self.model.arrival_date.isoformat()} "
            f"(allowed for {who} {actor.username})"
        )
        self.ctx.note = f"{self.ctx.note}; {early}" if self.ctx.note else early

    def move_guest_records(self) -> None:
        """Everything of the stay follows the guest: guests, the phone's FCM token, open
        room-service orders, chat sessions and conversations. Nothing is deleted."""
        old, new = self.room, self.new_room
        if new is None:
            raise TransitionRefused("Name the room to move to (move_to)", code=ROOM_NOT_READY)
        assert old is not None
        moves = [
            update(Guest).where(Guest.room_id == old.id),  # type: ignore[arg-type]
            update(GuestChatSession).where(GuestChatSession.room_id == old.id),  # type: ignore[arg-type]
            update(Conversation).where(Conversation.room_id == old.id),  # type: ignore[arg-type]
            update(RoomServiceOrder).where(
                RoomServiceOrder.room_id == old.id,  # type: ignore[arg-type]
                RoomServiceOrder.status.in_(OPEN_ORDER_STATUSES),  # type: ignore[attr-defined]
            ),
        ]
        for statement in moves:
            self.ctx.execute_bulk(statement.values(room_id=new.id))
        new.fcm_token, old.fcm_token = old.fcm_token, None

    def take_new_room(self) -> None:
        assert self.new_room is not None
        self.model.assigned_room_id = self.new_room.id

    def detach_guests_from_room(self) -> None:
        """A reverted check-in: the booking's guests no longer point at the room."""
        self.ctx.execute_bulk(
            update(Guest).where(Guest.booking_id == self.model.id).values(room_id=None)  # type: ignore[arg-type]
        )

    def clear_checked_in_at(self) -> None:
        self.model.checked_in_at = None

    def clear_checked_out_at(self) -> None:
        self.model.checked_out_at = None
