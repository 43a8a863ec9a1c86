"""Housekeeping: staff move a room through its turnover cycle one event at a time."""

from dataclasses import dataclass

from storage.unit_of_work import UnitOfWork
from workflows.machines.actors import Actor
from workflows.machines.room_turnover import RoomTurnover
from workflows.services.queries import RoomView
from workflows.services.retries import retry_on_conflict
from workflows.services.scope import hotel_scope


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
) -> RoomView:
    """Fire an event staff name on a room (start_cleaning, pass_inspection, ...); returns
    the room and what the caller may fire next."""
    with hotel_scope(room.hotel_slug, uow) as scope:
        record = scope.room(room.room_number)
        machine = RoomTurnover(record, scope.context(performed_by, source, note))
        machine.fire_by_name(event)
        return RoomView(record, machine.enabled_event_names())
