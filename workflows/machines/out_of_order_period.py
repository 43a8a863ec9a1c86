"""OutOfOrderPeriod: a room scheduled out of order for some of the hotel's days.

SCHEDULED --start--> ACTIVE --end--> ENDED, and cancel (before it starts). `start` drives
the room's `take_out_of_order`, `end` its `return_to_service`, so the room changes only
through its own machine. The scheduler fires `start` when the period's first day begins
(the hotel's local date) and `end` when the day after its last begins; the compare-and-set
on the period's status makes each happen exactly once, however many schedulers run.
"""

from datetime import date
from typing import ClassVar

from sqlmodel import Session, col, select
from statemachine import State

from storage.models import Booking, OutOfOrderPeriod, Room
from storage.timestamps import iso_z
from workflows.machines.actors import SUPERVISION, Role
from workflows.machines.base import Drive, Refusal, TurnoverMachine, guard
from workflows.machines.errors import TRANSITION_NOT_ALLOWED
from workflows.machines.hotel_day import hotel_today
from workflows.machines.room_turnover import RoomTurnover

# Bookings whose stay keeps a room: a period may not overlap them.
HOLDING_STATUSES = ("CONFIRMED", "CHECKED_IN")
LIVE_PERIOD_STATUSES = ("SCHEDULED", "ACTIVE")


class OutOfOrderPeriodMachine(TurnoverMachine):
    """Bound to `OutOfOrderPeriod.status`; built with `room=` the period's room."""

    entity_kind = "ooo_period"
    status_field = "status"

    scheduled = State(value="SCHEDULED", initial=True)
    active = State(value="ACTIVE")
    ended = State(value="ENDED", final=True)
    cancelled = State(value="CANCELLED", final=True)

    start = scheduled.to(active, cond=["first_day_has_come"])
    end = active.to(ended, cond=["last_day_is_over"])
    # Cancelling an active period: it ends now, its `to` set to today (the last day it held
    # the room, for part of it), never before its `from`.
    end_now = active.to(ended)
    cancel = scheduled.to(cancelled)

    who_may_fire: ClassVar[dict[str, tuple[Role, ...]]] = {
        "start": SUPERVISION,
        "end": SUPERVISION,
        "end_now": SUPERVISION,
        "cancel": SUPERVISION,
    }
    drives: ClassVar[dict[str, Drive]] = {
        "start": Drive(RoomTurnover, "room", "take_out_of_order"),
        "end": Drive(RoomTurnover, "room", "return_to_service"),
        "end_now": Drive(RoomTurnover, "room", "return_to_service"),
    }
    unavailable: ClassVar[dict[str, Refusal]] = {
        "start": Refusal(TRANSITION_NOT_ALLOWED, "Cannot start {entity}: it is {state}"),
        "end": Refusal(TRANSITION_NOT_ALLOWED, "Cannot end {entity}: it is {state}"),
        "end_now": Refusal(TRANSITION_NOT_ALLOWED, "Cannot end {entity}: it is {state}"),
        "cancel": Refusal(
            TRANSITION_NOT_ALLOWED, "Cannot cancel {entity}: it is {state} (shorten it instead)"
        ),
    }
    realtime_events: ClassVar[dict[str, str]] = {
        "start": "out-of-order-period-started",
        "end": "out-of-order-period-ended",
        "end_now": "out-of-order-period-ended",
        "cancel": "out-of-order-period-cancelled",
    }

    @property
    def room(self) -> Room:
        return self.related["room"]

    @property
    def today(self) -> date:
        return hotel_today(self.ctx.hotel, self.ctx.now)

    def entity_label(self) -> str:
        return f"out-of-order period {self.model.id} of room {self.room.room_number}"

    def entity_ref(self) -> str:
        return f"{self.room.room_number}:{self.model.id}"

    def realtime_event(self, event: str, old_status: str, new_status: str) -> tuple[str, dict]:
        period: OutOfOrderPeriod = self.model
        payload = {
            "period_id": period.id,
            "room_number": self.room.room_number,
            "from": period.starts_on.isoformat(),
            "to": period.ends_on.isoformat(),
            "status": new_status,
            "timestamp": iso_z(self.ctx.now),
        }
        return self.realtime_events[event], payload

    # --- guards ---------------------------------------------------------------------------

    @guard(start=Refusal(TRANSITION_NOT_ALLOWED, "Cannot start {entity} before its first day"))
    def first_day_has_come(self) -> bool:
        return self.today >= self.model.starts_on

    @guard(end=Refusal(TRANSITION_NOT_ALLOWED, "Cannot end {entity} before its last day is over"))
    def last_day_is_over(self) -> bool:
        return self.today > self.model.ends_on


def out_of_order_during(
    session: Session, room: Room, first_day: date, departure: date
) -> int | None:
    """The id of a live period of `room` covering a night from `first_day` to the night
    before `departure` (a period may start on the departure day), or None."""
    query = select(OutOfOrderPeriod.id).where(
        OutOfOrderPeriod.room_id == room.id,
        col(OutOfOrderPeriod.status).in_(LIVE_PERIOD_STATUSES),
        OutOfOrderPeriod.starts_on < departure,
        OutOfOrderPeriod.ends_on >= first_day,
    )
    return session.exec(query.limit(1)).first()


def clashes(
    session: Session, room: Room, starts_on: date, ends_on: date, period_id: int | None = None
) -> str | None:
    """Why a period of `room` from `starts_on` to `ends_on` may not be (a booking assigned to
    the room stays then, or another live period covers a day of it), or None. A guest's
    departure day is free from the morning: a period may start on it."""
    stay = select(Booking.booking_id).where(
        Booking.assigned_room_id == room.id,
        col(Booking.status).in_(HOLDING_STATUSES),
        Booking.arrival_date <= ends_on,
        Booking.departure_date > starts_on,
    )
    booking_id = session.exec(stay.limit(1)).first()
    if booking_id is not None:
        return f"Booking {booking_id} is assigned room {room.room_number} during that period"
    other = select(OutOfOrderPeriod.id).where(
        OutOfOrderPeriod.room_id == room.id,
        col(OutOfOrderPeriod.status).in_(LIVE_PERIOD_STATUSES),
        OutOfOrderPeriod.starts_on <= ends_on,
        OutOfOrderPeriod.ends_on >= starts_on,
    )
    if period_id is not None:
        other = other.where(OutOfOrderPeriod.id != period_id)
    other_id = session.exec(other.limit(1)).first()
    if other_id is not None:
        return f"Room {room.room_number} already has out-of-order period {other_id} then"
    return None
