"""The demo hotel `make run` serves: rooms in every state, one guest in house in room 101."""

from dataclasses import dataclass

from sqlmodel import Session, select

from admin.seed_file import load_seed
from storage.models import Hotel, Staff
from workflows.services.staff_accounts import rotate_token

DEMO_HOTEL = "hotel-killarney"
DEMO_BOOKING = "BK-2025-1234"

DEMO_SEED = {
    "hotels": [
        {"slug": DEMO_HOTEL, "name": "Hotel Killarney"},
        {"slug": "hotel-galway", "name": "Hotel Galway"},
    ],
    "staff": [
        {"hotel": DEMO_HOTEL, "username": "anna", "is_superuser": False},
        {"hotel": DEMO_HOTEL, "username": "admin", "is_superuser": True},
        {"hotel": "hotel-galway", "username": "sean", "is_superuser": False},
    ],
    "rooms": [
        {
            "hotel": DEMO_HOTEL,
            "room_number": 101,
            "room_status": "OCCUPIED",
            "fcm_token": "fcm-101",
        },
        {"hotel": DEMO_HOTEL, "room_number": 102, "room_status": "READY_FOR_GUEST"},
        {"hotel": DEMO_HOTEL, "room_number": 103, "room_status": "OCCUPIED"},
        {"hotel": DEMO_HOTEL, "room_number": 104, "room_status": "CHECKOUT_DIRTY"},
        {"hotel": DEMO_HOTEL, "room_number": 105, "room_status": "CLEANING_IN_PROGRESS"},
        {"hotel": DEMO_HOTEL, "room_number": 106, "room_status": "CLEANED_UNINSPECTED"},
        {"hotel": DEMO_HOTEL, "room_number": 107, "room_status": "OUT_OF_ORDER"},
        {"hotel": DEMO_HOTEL, "room_number": 201, "room_status": "OCCUPIED"},
        {"hotel": DEMO_HOTEL, "room_number": 202, "room_status": "READY_FOR_GUEST"},
        {"hotel": "hotel-galway", "room_number": 101, "room_status": "OCCUPIED"},
    ],
    "bookings": [
        {
            "hotel": DEMO_HOTEL,
            "booking_id": DEMO_BOOKING,
            "status": "CHECKED_IN",
            "room_number": 101,
            "guests": [{"first_name": "Mary", "last_name": "Byrne"}],
        },
        {
            "hotel": DEMO_HOTEL,
            "booking_id": "BK-2025-5678",
            "status": "CHECKED_IN",
            "room_number": 201,
            "guests": [
                {"first_name": "Liam", "last_name": "Murphy"},
                {"first_name": "Aoife", "last_name": "Murphy"},
            ],
        },
        {
            "hotel": DEMO_HOTEL,
            "booking_id": "BK-2025-2001",
            "status": "CONFIRMED",
            "room_number": 102,
            "guests": [{"first_name": "Sean", "last_name": "Kelly"}],
        },
        {"hotel": DEMO_HOTEL, "booking_id": "BK-2025-2002", "status": "CONFIRMED"},
        {
            "hotel": "hotel-galway",
            "booking_id": "BK-2025-9001",
            "status": "CHECKED_IN",
            "room_number": 101,
        },
    ],
    "chat_sessions": [{"hotel": DEMO_HOTEL, "room_number": 101}],
    "conversations": [{"hotel": DEMO_HOTEL, "room_number": 101}],
    "room_service_orders": [
        {"hotel": DEMO_HOTEL, "room_number": 101, "status": "OPEN"},
        {"hotel": DEMO_HOTEL, "room_number": 101, "status": "COMPLETED"},
    ],
}


@dataclass
class DemoAccess:
    created: bool
    # username -> a fresh token for that demo staff member
    tokens: dict[str, str]


def ensure_demo(session: Session) -> DemoAccess:
    """Create the demo hotels once; on every call, give the demo staff fresh tokens.

    Nothing already stored is touched: a second run keeps whatever state the demo
    hotel has reached (checked-out bookings stay checked out).
    """
    exists = session.exec(select(Hotel).where(Hotel.slug == DEMO_HOTEL)).first() is not None
    if not exists:
        load_seed(session, DEMO_SEED)
    demo_hotels = [h["slug"] for h in DEMO_SEED["hotels"]]
    staff = session.exec(
        select(Staff).join(Hotel).where(Hotel.slug.in_(demo_hotels))  # type: ignore[attr-defined]
    )
    tokens = {member.username: rotate_token(session, member) for member in staff}
    return DemoAccess(created=not exists, tokens=tokens)
