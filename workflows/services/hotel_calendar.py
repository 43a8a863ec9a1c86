"""A hotel's clock and building: its timezone, its check-in time, the floor of a room.

Each is read through one function here, so the pages and the analytics switch to the
hotel's own fields (the front desk's `Hotel.timezone`, `Room.floor`) in one place.
"""

import logging
from datetime import time
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from config.settings import get_settings
from storage.models import Hotel, Room

log = logging.getLogger("turnover.services")

UTC_ZONE = ZoneInfo("UTC")


def hotel_timezone(hotel: Hotel) -> ZoneInfo:
    """The hotel's IANA timezone; UTC when it has none (or an unknown one)."""
    name = getattr(hotel, "timezone", None)
    if not name:
        return UTC_ZONE
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        log.warning("hotel %s has an unknown timezone %r; using UTC", hotel.slug, name)
        return UTC_ZONE


def parse_clock_time(text: str) -> time:
    """`15:00` -> 15:00; ValueError for anything else."""
    hours, _, minutes = text.partition(":")
    if len(hours) != 2 or len(minutes) != 2 or not (hours + minutes).isdigit():
        raise ValueError(f"'{text}' is not a time of day (HH:MM)")
    return time(int(hours), int(minutes))


def hotel_check_in_time(hotel: Hotel) -> time:
    """When the hotel's rooms must be ready: its own check-in time, else
    TURNOVER_CHECK_IN_TIME (15:00)."""
    own = getattr(hotel, "check_in_time", None)
    if isinstance(own, time):
        return own
    return parse_clock_time(own or get_settings().check_in_time)


def room_floor(room: Room) -> int:
    """The room's floor: its own when recorded, else its number's hundreds (101 -> 1)."""
    floor = getattr(room, "floor", None)
    return floor if isinstance(floor, int) else room.room_number // 100
