"""The front desk's test hotel: a day in Dublin (UTC in December), stays around 3 December
2026, and the clock the tests pass to the services (never the wall clock)."""

from datetime import UTC, date, datetime
from typing import Any

HOTEL = "hotel-killarney"
OTHER = "hotel-galway"
TODAY = date(2026, 12, 3)
NOW = datetime(2026, 12, 3, 10, 0, tzinfo=UTC)  # 10:00 in Dublin


def at(day: int, hour: int = 10, minute: int = 0) -> datetime:
    """A moment of December 2026, UTC."""
    return datetime(2026, 12, day, hour, minute, tzinfo=UTC)


def stay(booking_id: str, arrival: str, departure: str, **more: Any) -> dict[str, Any]:
    return {
        "hotel": HOTEL,
        "booking_id": booking_id,
        "arrival_date": f"2026-{arrival}",
        "departure_date": f"2026-{departure}",
        **more,
    }


def front_desk_hotel() -> dict[str, Any]:
    """Rooms 101, 102, 201, 305 ready (102 held by BK-A2 arriving today), 110 in house
    (BK-IN, leaving today, with everything a stay gathers), 111 in house (BK-LATE, due out
    yesterday), 120 dirty after BK-OUT's checkout today. Arrivals today: BK-A1, BK-A2 (room
    102), BK-A3; BK-FUT arrives on the 5th. The other hotel has BK-G and a ready room 101."""
    ready = [101, 102, 201, 305]
    return {
        "hotels": [
            {"slug": HOTEL, "timezone": "Europe/Dublin"},
            {"slug": OTHER, "timezone": "Europe/Dublin"},
        ],
        "staff": [
            {"hotel": HOTEL, "username": "admin", "is_superuser": True},
            {"hotel": HOTEL, "username": "anna"},
        ],
        "rooms": [
            *({"hotel": HOTEL, "room_number": n, "room_status": "READY_FOR_GUEST"} for n in ready),
            {"hotel": HOTEL, "room_number": 110, "room_status": "OCCUPIED", "fcm_token": "f-110"},
            {"hotel": HOTEL, "room_number": 111, "room_status": "OCCUPIED"},
            {"hotel": HOTEL, "room_number": 120, "room_status": "CHECKOUT_DIRTY"},
            {"hotel": OTHER, "room_number": 101, "room_status": "READY_FOR_GUEST"},
        ],
        "bookings": [
            stay(
                "BK-IN",
                "12-01",
                "12-03",
                status="CHECKED_IN",
                room_number=110,
                guests=[{"first_name": "Mary"}, {"first_name": "John"}],
            ),
            stay("BK-LATE", "11-29", "12-02", status="CHECKED_IN", room_number=111),
            stay("BK-A1", "12-03", "12-05", guests=[{"first_name": "Aoife"}]),
            stay("BK-A2", "12-03", "12-04", room_number=102, expected_arrival_time="14:30"),
            stay("BK-A3", "12-03", "12-06", adults=2, notes="coach party"),
            stay("BK-FUT", "12-05", "12-07"),
            stay("BK-OUT", "12-01", "12-03", status="COMPLETED", room_number=120),
            {
                "hotel": OTHER,
                "booking_id": "BK-G",
                "arrival_date": "2026-12-03",
                "departure_date": "2026-12-04",
            },
        ],
        "chat_sessions": [{"hotel": HOTEL, "room_number": 110}],
        "conversations": [{"hotel": HOTEL, "room_number": 110}],
        "room_service_orders": [
            {"hotel": HOTEL, "room_number": 110, "status": "OPEN"},
            {"hotel": HOTEL, "room_number": 110, "status": "COMPLETED"},
        ],
    }
