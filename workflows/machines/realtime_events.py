"""The realtime contract frontends rely on: channel names, event names and payloads."""

from datetime import datetime

from storage.timestamps import iso_z

ROOM_STATUS_CHANGED = "room-status-changed"


def hotel_channel(hotel_slug: str) -> str:
    return f"hotel-{hotel_slug}"


def room_status_changed(
    *, room_number: int, old_status: str, new_status: str, source: str, at: datetime
) -> dict:
    return {
        "room_number": room_number,
        "old_status": old_status,
        "new_status": new_status,
        "source": source,
        "timestamp": iso_z(at),
    }


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
