"""Housekeeping: staff move a room through its turnover cycle one event at a time."""

from dataclasses import dataclass

from storage.models import Room
from storage.unit_of_work import UnitOfWork, transaction
from workflows.machines.actors import Actor
from workflows.machines.base import TransitionContext
from workflows.machines.errors import TransitionRefused
from workflows.machines.room_turnover import RoomTurnover
from workflows.services.lookups import load_hotel, load_room
from workflows.services.retries import retry_on_conflict


@dataclass(frozen=True)
class RoomRef:
    hotel_slug: str
    room_number: int


@retry_on_conflict
def transition_room(
    *,
    room: RoomRef,
    event: str,
    performed_by: Actor,
    note: str | None = None,
    source: str = "housekeeping",
    uow: UnitOfWork | None = None,
) -> Room:
    """Fire a housekeeping event (start_cleaning, pass_inspection, ...) on a room."""
    with transaction(uow) as tx:
        hotel = load_hotel(tx.session, room.hotel_slug)
        record = load_room(tx.session, hotel, room.room_number)
        if event not in RoomTurnover.housekeeping_events:
            raise TransitionRefused(not_housekeeping_message(event, record.room_number))
        ctx = TransitionContext(tx.session, hotel, performed_by, source, note=note)
        RoomTurnover(record, ctx).fire(event)
        return record


def not_housekeeping_message(event: str, room_number: int) -> str:
    if event in ("check_in", "check_out"):
        return f"Cannot {event} room {room_number} directly: {event} the booking instead"
    if event in RoomTurnover.superuser_events:
        return f"Cannot {event} room {room_number} here: use destructive bulk checkout"
    events = ", ".join(RoomTurnover.housekeeping_events)
    return f"Unknown housekeeping event '{event}' for room {room_number} (one of: {events})"
