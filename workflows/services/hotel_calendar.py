"""A hotel's clock and building, as the pages and the analytics read them: its timezone,
its check-in time, the floor of a room (the front desk's `Hotel.timezone`,
`Hotel.check_in_time` and `Room.floor`), each through one function."""

import logging
from datetime import time
from zoneinfo import ZoneInfo

from storage.models import Hotel, Room, floor_of
from workflows.machines.hotel_day import is_time_zone, zone

log = logging.getLogger("turnover.services")

UTC_ZONE = ZoneInfo("UTC")


def hotel_timezone(hotel: Hotel) -> ZoneInfo:
    """The hotel's IANA timezone; UTC when it names none this machine knows."""
    name = hotel.timezone
    if not is_time_zone(name):
        log.warning("hotel %s has an unknown timezone %r; using UTC", hotel.slug, name)
        return UTC_ZONE
    return zone(name)


def hotel_check_in_time(hotel: Hotel) -> time:
    """When the hotel's rooms must be ready for arriving guests (local)."""
    return hotel.check_in_time


def room_floor(room: Room) -> int:
    """The room's floor: as stored, else its number's hundreds (101 -> 1)."""
    return floor_of(room)
