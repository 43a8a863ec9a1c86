"""RoomTurnover: the housekeeping cycle of a room, and everything a checkout does to it."""

from typing import Any, ClassVar

from sqlalchemy import bindparam, delete, literal, update
from sqlmodel import SQLModel, col, select
from statemachine import State

from storage.models import (
    OPEN_ORDER_STATUSES,
    Conversation,
    Guest,
    GuestChatSession,
    RoomServiceOrder,
)
from storage.timestamps import iso_z
from storage.turnover_intervals import interval_ending_now
from workflows.machines.actors import FRONT_DESK, HOUSEKEEPING, SUPERUSERS_ONLY, SUPERVISION, Role
from workflows.machines.base import Drive, Follow, Refusal, TurnoverMachine, guard
from workflows.machines.errors import PERMISSION_DENIED, TRANSITION_NOT_ALLOWED, TransitionRefused
from workflows.machines.guest_notifications import checkout_notification, notifications_enabled
from workflows.machines.housekeeping_task import ROOM_EVENTS_TASKS_FOLLOW, follow_room
from workflows.machines.realtime_events import (
    ROOM_STATUS_CHANGED,
    room_flags,
    room_status_changed,
)

CHECKOUT_HOOKS = [
    "mark_vacant",
    "record_checkout_notification",
    "clear_fcm_token",
    "detach_guests",
    "delete_chat_sessions",
    "delete_conversations",
    "delete_open_orders",
    "append_turnover_note",
]
# The checkout hooks' statements, built once (building one costs more than running it).
_THE_ROOM = bindparam("the_room")
# (values bound one by one, not one "expanding" list: the statement can then run for many
# rooms at once)
_OPEN_ORDERS = col(RoomServiceOrder.status).in_([literal(s) for s in OPEN_ORDER_STATUSES])
DETACH_GUESTS = update(Guest).where(col(Guest.room_id) == _THE_ROOM).values(room_id=None)
DELETE_CHAT_SESSIONS = delete(GuestChatSession).where(col(GuestChatSession.room_id) == _THE_ROOM)
DELETE_CONVERSATIONS = delete(Conversation).where(col(Conversation.room_id) == _THE_ROOM)
DELETE_OPEN_ORDERS = delete(RoomServiceOrder).where(
    col(RoomServiceOrder.room_id) == _THE_ROOM, _OPEN_ORDERS
)
FORCE_CHECKOUT_HOOKS = [
    "delete_room_records_keeping_snapshot",
    "mark_vacant",
    "record_checkout_notification",
    "clear_fcm_token",
    "append_turnover_note",
]


class RoomTurnover(TurnoverMachine):
    """Bound to `Room.room_status`."""

    entity_kind = "room"
    status_field = "room_status"

    ready_for_guest = State(value="READY_FOR_GUEST", initial=True)
    occupied = State(value="OCCUPIED")
    checkout_dirty = State(value="CHECKOUT_DIRTY")
    cleaning_in_progress = State(value="CLEANING_IN_PROGRESS")
    cleaned_uninspected = State(value="CLEANED_UNINSPECTED")
    out_of_order = State(value="OUT_OF_ORDER")

    check_in = ready_for_guest.to(occupied, on=["mark_occupied"])
    check_out = occupied.to(checkout_dirty, on=CHECKOUT_HOOKS)
    start_cleaning = checkout_dirty.to(cleaning_in_progress)
    # The analytics' facts: the cleaning, and the turnover, each ends here.
    finish_cleaning = cleaning_in_progress.to(cleaned_uninspected, on=["record_turnover_interval"])
    pass_inspection = cleaned_uninspected.to(ready_for_guest, on=["record_turnover_interval"])
    fail_inspection = cleaned_uninspected.to(checkout_dirty)
    take_out_of_order = out_of_order.from_(
        ready_for_guest, checkout_dirty, cleaning_in_progress, cleaned_uninspected
    )
    return_to_service = out_of_order.to(checkout_dirty)
    # Undo at the front desk, driven by the booking's events of the same name: a check-in
    # pressed on the wrong booking, a checkout pressed on the wrong one.
    revert_check_in = occupied.to(
        ready_for_guest, cond=["driven_by_booking"], on=["mark_vacant", "clear_fcm_token"]
    )
    reinstate = checkout_dirty.to(
        occupied, cond=["driven_by_booking"], on=["mark_occupied", "append_turnover_note"]
    )
    force_checkout = checkout_dirty.from_(
        ready_for_guest,
        occupied,
        checkout_dirty,
        cleaning_in_progress,
        cleaned_uninspected,
        out_of_order,
        cond=["actor_is_superuser"],
        on=FORCE_CHECKOUT_HOOKS,
    )

    who_may_fire: ClassVar[dict[str, tuple[Role, ...]]] = {
        "check_out": FRONT_DESK,  # a ghost room's (see `clear_ghost_room`)
        "start_cleaning": HOUSEKEEPING,
        "finish_cleaning": HOUSEKEEPING,
        "pass_inspection": SUPERVISION,
        "fail_inspection": SUPERVISION,
        "take_out_of_order": SUPERVISION,
        "return_to_service": SUPERVISION,
        "force_checkout": SUPERUSERS_ONLY,
    }
    # The room's housekeeping tasks follow it (`housekeeping_task.follow_room`): a checkout
    # opens the departure cleaning, a finished cleaning the inspection, and so on.
    drives: ClassVar[dict[str, Drive | Follow]] = {
        event: Follow("HousekeepingTaskLifecycle", "the room's housekeeping tasks", "tasks_follow")
        for event in ROOM_EVENTS_TASKS_FOLLOW
    }
    # Events staff name on a room (its transitions endpoint); the others are fired by the
    # booking's check-in and checkout, and by destructive bulk checkout.
    directly: ClassVar[tuple[str, ...]] = (
        "start_cleaning",
        "finish_cleaning",
        "pass_inspection",
        "fail_inspection",
        "take_out_of_order",
        "return_to_service",
    )
    fired_elsewhere: ClassVar[dict[str, str]] = {
        "check_in": "Cannot check_in {entity} directly: check_in the booking instead",
        "check_out": "Cannot check_out {entity} directly: check_out the booking instead",
        "force_checkout": "Cannot force_checkout {entity} here: use destructive bulk checkout",
        "revert_check_in": "Cannot revert_check_in {entity} directly: revert the booking's",
        "reinstate": "Cannot reinstate {entity} directly: reinstate the booking instead",
    }
    realtime_events: ClassVar[dict[str, str]] = {
        event: ROOM_STATUS_CHANGED
        for event in (
            *directly,
            "check_in",
            "check_out",
            "force_checkout",
            "revert_check_in",
            "reinstate",
        )
    }
    GHOST_ROOM_NOTE = "ghost room: occupied with no in-house booking"

    def entity_label(self) -> str:
        return f"room {self.model.room_number}"

    def entity_ref(self) -> str:
        return str(self.model.room_number)

    def realtime_event(self, event: str, old_status: str, new_status: str) -> tuple[str, dict]:
        payload = room_status_changed(
            room_number=self.model.room_number,
            old_status=old_status,
            new_status=new_status,
            source=self.ctx.source,
            at=self.ctx.now,
            flags=room_flags(self.model),
        )
        return self.realtime_events[event], payload

    def not_fired_directly(self, event: str) -> TransitionRefused:
        template = self.fired_elsewhere.get(event)
        if template is None:
            events = ", ".join(self.directly)
            template = f"Unknown housekeeping event '{{event}}' for {{entity}} (one of: {events})"
        return Refusal(TRANSITION_NOT_ALLOWED, template).error(self, event)

    def clear_ghost_room(self) -> bool:
        """The ghost-room rule: an OCCUPIED room with no booking in house (the caller has
        checked) is checked out on its own, with a note saying so. False when the room
        needs nothing."""
        if self.status != self.occupied.value:
            return False
        self.ctx.note = self.GHOST_ROOM_NOTE
        return self.fire("check_out")

    def nothing_to_check_out(self) -> str:
        """Why a checkout of this room, which has no booking in house, has nothing to do."""
        return f"Room {self.model.room_number} is {self.status} with no booking in house"

    def nothing_to_force(self) -> str | None:
        """Why a destructive checkout has nothing to do here (a room already CHECKOUT_DIRTY
        with no guest records and no guest device left), or None."""
        if self.status != self.checkout_dirty.value or self.model.fcm_token:
            return None
        if self._has_records_to_delete():
            return None
        return f"Room {self.model.room_number} is already CHECKOUT_DIRTY with no guest records"

    def tasks_follow(self, event: str) -> None:
        follow_room(self, event)

    # --- guards ---------------------------------------------------------------------------

    @guard(
        force_checkout=Refusal(PERMISSION_DENIED, "Only a superuser may force_checkout {entity}")
    )
    def actor_is_superuser(self) -> bool:
        return self.ctx.actor.is_superuser

    @guard(
        revert_check_in=Refusal(
            TRANSITION_NOT_ALLOWED,
            "Cannot revert_check_in {entity} on its own: revert its booking's",
        ),
        reinstate=Refusal(
            TRANSITION_NOT_ALLOWED, "Cannot reinstate {entity} on its own: reinstate its booking"
        ),
    )
    def driven_by_booking(self) -> bool:
        """The undo events move a room only with its booking (never listed on a room)."""
        return "booking" in self.related

    # --- hooks ----------------------------------------------------------------------------

    def mark_occupied(self) -> None:
        self.model.is_occupied = True

    def mark_vacant(self) -> None:
        self.model.is_occupied = False

    def record_checkout_notification(self) -> None:
        """Tell the guest's phone that checkout is done (sent after commit), before the
        token is cleared; only when guest notifications are on (TURNOVER_FCM_CREDENTIALS)."""
        if self.model.fcm_token and notifications_enabled():
            self.ctx.session.add(checkout_notification(self.ctx.hotel, self.model, self.ctx.now))

    def clear_fcm_token(self) -> None:
        """So the next guest's phone does not get the previous guest's notifications."""
        self.model.fcm_token = None

    def detach_guests(self) -> None:
        """Guests are kept (their history matters) but no longer point at the room."""
        self._run_for_room(DETACH_GUESTS)

    def delete_chat_sessions(self) -> None:
        self._run_for_room(DELETE_CHAT_SESSIONS)

    def delete_conversations(self) -> None:
        self._run_for_room(DELETE_CONVERSATIONS)

    def delete_open_orders(self) -> None:
        """Open room-service orders go; completed and cancelled ones stay for billing."""
        self._run_for_room(DELETE_OPEN_ORDERS)

    def delete_room_records_keeping_snapshot(self) -> None:
        """Destructive checkout: delete the room's guests, sessions and open orders, and
        keep a JSON copy of every deleted row in the audit entry so it can be restored."""
        snapshot = {
            "guests": self._snapshot_and_delete(Guest),
            "chat_sessions": self._snapshot_and_delete(GuestChatSession),
            "conversations": self._snapshot_and_delete(Conversation),
            "room_service_orders": self._snapshot_and_delete(RoomServiceOrder, _OPEN_ORDERS),
        }
        self.log_details = {"deleted": snapshot}

    def record_turnover_interval(self, event: str) -> None:
        """The finished cleaning or turnover, written with this transition's log row."""
        row = interval_ending_now(
            self.ctx.session, self.ctx.hotel, self.model.id, str(event), self.ctx.now
        )
        if row is not None:
            self.ctx.session.add(row)

    def append_turnover_note(self) -> None:
        line = f"[{iso_z(self.ctx.now)}] {self._event_summary()}"
        notes = self.model.turnover_notes
        self.model.turnover_notes = f"{notes}\n{line}" if notes else line

    # --- helpers --------------------------------------------------------------------------

    def _event_summary(self) -> str:
        ctx = self.ctx
        summary = f"{ctx.source} by {ctx.actor.username}"
        return f"{summary}: {ctx.note}" if ctx.note else summary

    def _run_for_room(self, statement: Any) -> None:
        """Run one of the statements above for this room."""
        self.ctx.write(statement, {"the_room": self.model.id})

    def _delete_rows(self, table: type[SQLModel], *conditions: Any) -> None:
        """Delete the room's rows of `table` (and `conditions`)."""
        where = [table.room_id == self.model.id, *conditions]  # type: ignore[attr-defined]
        self.ctx.execute_bulk(delete(table).where(*where))

    def _has_records_to_delete(self) -> bool:
        tables = ((Guest,), (GuestChatSession,), (Conversation,), (RoomServiceOrder, _OPEN_ORDERS))
        for table, *conditions in tables:
            where = [table.room_id == self.model.id, *conditions]  # type: ignore[attr-defined]
            if self.ctx.session.exec(select(table.id).where(*where).limit(1)).first():  # type: ignore[attr-defined]
                return True
        return False

    def _snapshot_and_delete(self, table: type[SQLModel], *conditions: Any) -> list[dict]:
        """Like `_delete_rows`, returning the deleted rows as JSON-ready dicts."""
        where = [table.room_id == self.model.id, *conditions]  # type: ignore[attr-defined]
        rows = self.ctx.session.exec(select(table).where(*where)).all()
        self._delete_rows(table, *conditions)
        return [row.model_dump(mode="json") for row in rows]
