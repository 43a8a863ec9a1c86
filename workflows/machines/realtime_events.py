"""The realtime contract frontends rely on: channel names, event names and payloads."""

from datetime import datetime
from typing import Protocol

from storage.timestamps import iso_z


class RoomFlagsLike(Protocol):
    do_not_disturb: bool
    make_up_room: bool
    service_declined: bool


ROOM_STATUS_CHANGED = "room-status-changed"


def hotel_channel(hotel_slug: str) -> str:
    return f"hotel-{hotel_slug}"


def room_status_changed(
    *,
    room_number: int,
    old_status: str,
    new_status: str,
    source: str,
    at: datetime,
    flags: dict | None = None,
) -> dict:
    """The seed contract's fields, then (added) the room's housekeeping flags."""
    payload = {
        "room_number": room_number,
        "old_status": old_status,
        "new_status": new_status,
        "source": source,
        "timestamp": iso_z(at),
    }
    if flags is not None:
        payload["room_flags"] = flags
    return payload


def booking_event(*, booking_id: str, room_number: int | None, at: datetime) -> dict:
    """Payload of every `booking-*` event (`booking-checked-out` and its siblings)."""
    return {"booking_id": booking_id, "room_number": room_number, "timestamp": iso_z(at)}


BOOKING_ROOM_MOVED = "booking-room-moved"


def booking_room_moved(
    *, booking_id: str, from_room_number: int, to_room_number: int, at: datetime
) -> dict:
    """Payload of `booking-room-moved`: an in-house booking changed rooms."""
    return {
        "booking_id": booking_id,
        "from_room_number": from_room_number,
        "to_room_number": to_room_number,
        "timestamp": iso_z(at),
    }


TASK_CREATED = "task-created"
TASK_STATUS_CHANGED = "task-status-changed"
TASK_ASSIGNED = "task-assigned"
ROOM_FLAGS_CHANGED = "room-flags-changed"


def room_flags(room: RoomFlagsLike) -> dict:
    return {
        "do_not_disturb": room.do_not_disturb,
        "make_up_room": room.make_up_room,
        "service_declined": room.service_declined,
    }


def task_event(
    *,
    task_id: int,
    room_number: int,
    kind: str,
    service_date: str,
    status: str,
    assignee: str | None,
    flags: dict,
    at: datetime,
    **more: object,
) -> dict:
    """Payload of every `task-*` event; `task-status-changed` adds `event`, `old_status`
    and `source`, `task-assigned` adds `previous_assignee`."""
    return {
        "task_id": task_id,
        "room_number": room_number,
        "kind": kind,
        "service_date": service_date,
        "status": status,
        "assignee": assignee,
        "room_flags": flags,
        **more,
        "timestamp": iso_z(at),
    }


def room_flags_changed(*, room_number: int, flags: dict, source: str, at: datetime) -> dict:
    return {"room_number": room_number, **flags, "source": source, "timestamp": iso_z(at)}
