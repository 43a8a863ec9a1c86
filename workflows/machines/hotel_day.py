"""The hotel's day: "today", arrivals and departures are local dates in the hotel's IANA
time zone, never the server's."""

from datetime import date, datetime, time
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from storage.models import Hotel


@lru_cache(maxsize=512)
def zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def is_time_zone(name: str) -> bool:
    """Whether `name` is an IANA time zone this machine knows ("Europe/Dublin")."""
    if not name or name != name.strip() or name.startswith(("/", ".")) or ".." in name:
        return False
    try:
        zone(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return False
    return True


def local_time(hotel: Hotel, moment: datetime) -> datetime:
    """`moment` (aware, or naive UTC as the database returns it) on the hotel's clock."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo("UTC"))
    return moment.astimezone(zone(hotel.timezone))


def hotel_today(hotel: Hotel, now: datetime) -> date:
    """The hotel's local date at `now`."""
    return local_time(hotel, now).date()


def check_in_deadline(hotel: Hotel, day: date) -> datetime:
    """When guests may arrive on `day`, as an aware local time (DST included)."""
    check_in: time = hotel.check_in_time
    return datetime.combine(day, check_in, tzinfo=zone(hotel.timezone))
